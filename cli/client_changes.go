package cli

import (
	"context"
	"log/slog"

	"turno/billing"
	"turno/clients"
	"turno/config"
	"turno/store"
)

// Commands that change a client or clear a suppression tell billing at
// once, as the daemon's own writes do, so the undeliverable-clients gauge
// of a running daemon follows them (it re-reads the markers within its
// cache time) instead of waiting for its next reconcile.

// followClientChanges makes reg re-decide billing's undeliverable marker
// of every client it changes.
func followClientChanges(reg *clients.Registry, st *store.Store, log *slog.Logger) {
	svc, err := billing.New(billing.Options{DB: st.DB, Clients: reg, Logger: log})
	if err != nil {
		log.Warn("billing: undeliverable markers not followed; the daemon's next reconcile repairs them", "err", err)
		return
	}
	reg.OnChange(func(ctx context.Context, id string) {
		if err := svc.ClientChanged(ctx, id); err != nil {
			log.Warn("billing: undeliverable marker after a client change; the daemon's next reconcile repairs it", "client", id, "err", err)
		}
	})
}

// addressCleared re-decides the marker of every client addr belongs to
// after its suppression was cleared.
func addressCleared(ctx context.Context, st *store.Store, log *slog.Logger, addr string) {
	reg := clients.New(clients.Options{DB: st.DB, Logger: log})
	svc, err := billing.New(billing.Options{DB: st.DB, Clients: reg, Logger: log})
	if err == nil {
		err = svc.AddressChanged(ctx, addr)
	}
	if err != nil {
		log.Warn("billing: undeliverable markers after clearing a suppression; the daemon's next reconcile repairs them", "address", addr, "err", err)
	}
}

// cfgOrDefault is the loaded configuration, or the defaults when it cannot
// be read again (only the logger is made from it here).
func cfgOrDefault(e *env) config.Config {
	cfg, err := e.load()
	if err != nil {
		return config.Default()
	}
	return cfg
}
