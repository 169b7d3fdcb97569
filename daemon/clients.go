package daemon

import (
	"context"

	"turno/clients"
	"turno/config"
	"turno/mailout"
)

// AccessOptions maps the [access] section for the clients registry (the
// daemon and the turno clients commands).
func AccessOptions(cfg config.Config) clients.AccessOptions {
	return clients.AccessOptions{Mode: cfg.Access.Mode, PortalURL: cfg.Access.PortalURL, TokenTTL: cfg.Access.TokenTTL.D()}
}

// lateMailer lets the registry be built before the outbox that needs it as
// its opt-out hook.
type lateMailer struct{ d *Daemon }

func (m lateMailer) Enqueue(ctx context.Context, msg mailout.Message) (string, error) {
	if m.d.Outbox == nil {
		return "", clients.ErrNoMailer
	}
	return m.d.Outbox.Enqueue(ctx, msg)
}

// startClients builds the clients registry. It has no background work;
// other subsystems use it (intake lookups, outbox opt-outs, billing).
func (d *Daemon) startClients(cfg config.Config) {
	d.Clients = clients.New(clients.Options{DB: d.Store.DB, Clock: d.opts.Clock, Logger: d.log,
		Mailer: lateMailer{d}, Access: AccessOptions(cfg)})
}
