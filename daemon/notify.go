package daemon

import (
	"context"
	"errors"

	"github.com/prometheus/client_golang/prometheus"

	"turno/clients"
	"turno/notify"
)

// startNotify runs the agents' notifications (package notify) once the
// daemon is ready (so the billing service the client glance reads is
// there), until it stops. Every process runs it; the outbox keys make each
// mail go out once.
func (d *Daemon) startNotify(ctx context.Context) {
	if d.Outbox == nil {
		return
	}
	cfg := d.opts.Config
	w, err := notify.New(notify.Options{DB: d.Store.DB, Tickets: d.Tickets, Agents: d.Agents, Mailer: d.Outbox,
		Clients: notifyClients{d}, Sender: cfg.DepartmentSender, MailDomain: cfg.Mail.Domain,
		MessageIDKey: d.Tickets.MessageIDKey(), Clock: d.opts.Clock, Logger: d.log.With("component", "notify")})
	if err != nil {
		d.log.Warn("agents' notifications are off", "err", err)
		return
	}
	d.pokeNotify = w.Poke
	if err := d.opts.Registry.Register(notify.Sent); err != nil {
		var are prometheus.AlreadyRegisteredError
		if !errors.As(err, &are) {
			d.log.Warn("notifications metric", "err", err)
		}
	}
	go func() {
		select {
		case <-d.ready:
		case <-ctx.Done():
			return
		case <-d.stop:
			return
		}
		ctx, cancel := context.WithCancel(ctx)
		defer cancel()
		go func() {
			select {
			case <-d.stop:
				cancel()
			case <-ctx.Done():
			}
		}()
		w.Run(ctx)
	}()
}

// pokeNotifications tells the notify worker a ticket just changed, so an
// agent hears of it now rather than at the next poll.
func (d *Daemon) pokeNotifications() {
	if d.pokeNotify != nil {
		d.pokeNotify()
	}
}

// notifyClients gives a notification the ticket's client: its name and
// tier from the registry, what it owes from billing (as the API's glance).
type notifyClients struct{ d *Daemon }

func (c notifyClients) ClientInfo(ctx context.Context, id string) (*notify.ClientInfo, error) {
	if c.d.Clients == nil {
		return nil, nil
	}
	cl, err := c.d.Clients.Get(ctx, id)
	var nf *clients.NotFoundError
	if errors.As(err, &nf) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	info := &notify.ClientInfo{Name: cl.Name, Tier: cl.SupportTier}
	if c.d.Billing == nil {
		return info, nil
	}
	g, err := c.d.Billing.Glance(ctx, id)
	if err != nil {
		return nil, err
	}
	info.UnpaidCount, info.UnpaidBalance = g.UnpaidCount, g.UnpaidBalance
	return info, nil
}
