package daemon

import (
	"context"
	"errors"

	"turno/agentmail"
	"turno/mailin"
	"turno/tickets"
)

// agentMailRouter builds the router that takes agents' answers by mail
// before tickets.Ingest sees them (package agentmail). nil (logged) when it
// cannot be built: the intake then treats every mail as a customer's.
func (d *Daemon) agentMailRouter() *agentmail.Router {
	cfg := d.opts.Config
	opts := agentmail.Options{DB: d.Store.DB, Tickets: d.Tickets, Agents: d.Agents,
		Raw: mailin.NewRawStore(d.Store.DB), MessageIDKey: d.Tickets.MessageIDKey(), Domain: cfg.Mail.Domain,
		TrustedAuthservID: cfg.Intake.TrustedAuthservID,
		OwnAddresses:      []string{cfg.Company.SupportAddress, cfg.Mail.FromAddress},
		Registerer:        d.opts.Registry, Clock: d.opts.Clock, Logger: d.log.With("component", "agentmail")}
	if d.Outbox != nil {
		opts.Mailer = d.Outbox
	}
	if d.Clients != nil {
		opts.Contacts = d.Clients
	}
	r, err := agentmail.New(opts)
	if err != nil {
		d.log.Error("agents' answers by mail are off", "err", err)
		return nil
	}
	return r
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
