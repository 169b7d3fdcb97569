package daemon

import (
	"context"
	"errors"
	"fmt"
	"time"

	"turno/mailin"
	"turno/tickets"
)

// startTickets builds the ticket service the mail intake hands messages to
// (it runs nothing in the background). Acknowledgements and unknown-sender
// replies go through the outbox; bounces are matched against outbox entries
// by their VERP envelope sender (bounces.go). Senders are looked up in the
// clients registry.
func (d *Daemon) startTickets(ctx context.Context, td *teardown) error {
	var mailer tickets.Mailer
	if d.Outbox != nil {
		mailer = d.Outbox
	}
	parts, err := NewWorkParts(ctx, d.opts.Config, d.Store.DB, d.Clients, mailer, d.opts.Clock, d.log)
	if err != nil {
		return err
	}
	d.Tickets, d.Agents, d.Replies = parts.Tickets, parts.Agents, parts.Replies
	d.bounces = parts.Bounces
	d.wirePaymentReports() // payreport.go: billing joins when it starts
	// A crash between a ticket's write and its queue projection's leaves a
	// marker: settle them before anyone reads the queue.
	if err := d.Tickets.RepairQueue(ctx); err != nil {
		return fmt.Errorf("tickets: repair the queue: %w", err)
	}
	// Tickets from before the per-client index are indexed once, so no
	// customer's or agent's first look at a client scans the tickets
	// (until then a client's first read indexes that client alone).
	d.upgradeInBackground(td, "tickets client index", func(ctx context.Context) error {
		_, err := d.Tickets.UpgradeClientIndex(ctx)
		return err
	})
	go d.closeSolved(ctx)
	d.startSLA(ctx)    // sla.go: breaches every minute, their metrics
	d.startNotify(ctx) // notify.go: agents' notifications, once the daemon is ready
	return nil
}

// closeSolvedEvery is how often solved tickets past tickets.close_after are
// closed. Every process does it; closing is idempotent.
const closeSolvedEvery = 10 * time.Minute

func (d *Daemon) closeSolved(ctx context.Context) {
	t := time.NewTicker(closeSolvedEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-d.stop:
			return
		case <-t.C:
			if n, err := d.Tickets.CloseSolved(ctx); err != nil {
				d.log.Warn("closing solved tickets", "err", err)
			} else if n > 0 {
				d.log.Info("closed solved tickets", "count", n)
			}
		}
	}
}

// ticketSink adapts tickets.Service to the intake's Sink contract.
func (d *Daemon) ticketSink() mailin.Sink {
	router := d.agentMailRouter()
	return mailin.SinkFunc(func(ctx context.Context, in mailin.Incoming) (mailin.Result, error) {
		// An agent's answer by mail is the router's (daemon/agentmail.go).
		if res, handled, err := d.routeAgentMail(ctx, router, in); handled || err != nil {
			if err == nil && !res.Duplicate && res.Ticket != 0 {
				d.pokeNotifications() // an assignment or a mention to tell
			}
			return res, err
		}
		tin := tickets.Incoming{Msg: in.Message, RawHash: in.RawID, RawRef: in.RawID, Mailbox: in.Mailbox,
			Department: in.Department, UnknownSender: tickets.Policy(in.UnknownSender), ArrivedAt: in.ReceivedAt}
		if o := in.Oversize; o != nil {
			tin.Oversize = &tickets.Oversize{Size: o.Size, Limit: o.Limit}
		}
		res, err := d.Tickets.Ingest(ctx, tin)
		if err != nil {
			var perm *tickets.PermanentError
			if errors.As(err, &perm) {
				return mailin.Result{}, mailin.Permanent(err)
			}
			return mailin.Result{}, err
		}
		dup := res.Outcome == tickets.OutcomeDuplicate
		if !dup {
			d.pokeNotifications() // notify.go: agents hear of it now, not at the next poll
		}
		return mailin.Result{Ticket: res.Ticket, Duplicate: dup}, nil
	})
}

// quarantineNotifier tells a quarantined mail's sender that a person is
// reviewing it, through the ticket service's budgeted automatic replies.
type quarantineNotifier struct{ t *tickets.Service }

func (q quarantineNotifier) NotifyQuarantined(ctx context.Context, n mailin.Notice) error {
	_, err := q.t.NotifyQuarantined(ctx, n.ID, n.Message, n.ReceivedAt)
	return err
}
