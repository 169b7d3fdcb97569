package daemon

import (
	"context"
	"errors"
	"log/slog"

	"github.com/prometheus/client_golang/prometheus"
	"go.mongodb.org/mongo-driver/v2/mongo"

	"turno/agentmail"
	"turno/agents"
	"turno/clients"
	"turno/clock"
	"turno/config"
	"turno/mailin"
	"turno/tickets"
)

// NewAgentMailRouter builds the router of agents' answers by mail (package
// agentmail) as the daemon does, for the daemon and for the CLI (which
// releases held mail with it). contacts, mailer and reg may be nil.
func NewAgentMailRouter(cfg config.Config, db *mongo.Database, tk *tickets.Service, ag *agents.Service,
	contacts *clients.Registry, mailer tickets.Mailer, reg prometheus.Registerer, clk clock.Clock, log *slog.Logger) (*agentmail.Router, error) {
	opts := agentmail.Options{DB: db, Tickets: tk, Agents: ag,
		Raw: mailin.NewRawStore(db), MessageIDKey: tk.MessageIDKey(), Domain: cfg.Mail.Domain,
		TrustedAuthservID: cfg.Intake.TrustedAuthservID,
		OwnAddresses:      []string{cfg.Company.SupportAddress, cfg.Mail.FromAddress},
		Registerer:        reg, Clock: clk, Logger: log.With("component", "agentmail")}
	if mailer != nil {
		opts.Mailer = mailer
	}
	if contacts != nil {
		opts.Contacts = contacts
	}
	return agentmail.New(opts)
}

// agentMailRouter builds the router that takes agents' answers by mail
// before tickets.Ingest sees them, once (the intake and the API's release
// of held mail share it). nil (logged) when it cannot be built: the intake
// then treats every mail as a customer's.
func (d *Daemon) agentMailRouter() *agentmail.Router {
	d.agentMailOnce.Do(func() {
		var mailer tickets.Mailer
		if d.Outbox != nil {
			mailer = d.Outbox
		}
		r, err := NewAgentMailRouter(d.opts.Config, d.Store.DB, d.Tickets, d.Agents, d.Clients, mailer,
			d.opts.Registry, d.opts.Clock, d.log)
		if err != nil {
			d.log.Error("agents' answers by mail are off", "err", err)
			return
		}
		d.agentMail = r
	})
	return d.agentMail
}

// heldReleaser is the router for the API's release of held mail (nil when
// there is none, so the API answers 503).
func (d *Daemon) heldReleaser() agentmail.Releaser {
	if r := d.agentMailRouter(); r != nil {
		return r
	}
	return nil
}

// routeAgentMail hands a stored message to the router; handled says the
// intake is done with it.
func (d *Daemon) routeAgentMail(ctx context.Context, r *agentmail.Router, in mailin.Incoming) (mailin.Result, bool, error) {
	if r == nil {
		return mailin.Result{}, false, nil
	}
	auth := ""
	for _, mb := range d.opts.Config.Mailboxes {
		if mb = mb.Normalized(); mb.Name == in.Mailbox {
			auth = mb.AgentAuth
		}
	}
	res, handled, err := r.Route(ctx, agentmail.Mail{Msg: in.Message, RawHash: in.RawID, Mailbox: in.Mailbox,
		AgentAuth: auth, ArrivedAt: in.ReceivedAt})
	if err != nil {
		var perm *tickets.PermanentError
		if errors.As(err, &perm) {
			return mailin.Result{}, true, mailin.Permanent(err)
		}
		return mailin.Result{}, true, err
	}
	return mailin.Result{Ticket: res.Ticket, Duplicate: res.Replayed}, handled, nil
}
