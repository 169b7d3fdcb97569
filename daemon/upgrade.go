package daemon

import (
	"context"
	"time"
)

// upgradeInBackground runs a one-time index upgrade (billing's markers,
// the tickets' client index) beside the running daemon: on a year of
// history it reads whole collections for minutes, and neither readiness
// nor systemd's start timeout should wait for that. Until it ends, the
// services build what a reader needs on the way (each upgrade says how).
// Stopping cancels it; an unfinished upgrade sets no flag and runs again
// at the next start.
func (d *Daemon) upgradeInBackground(td *teardown, what string, fn func(context.Context) error) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		start := time.Now()
		if err := fn(ctx); err != nil {
			if ctx.Err() == nil {
				d.log.Warn("one-time upgrade failed; it runs again at the next start", "upgrade", what, "err", err)
			}
			return
		}
		d.log.Debug("one-time upgrade checked", "upgrade", what, "took", time.Since(start))
	}()
	td.push(what, func(tctx context.Context) error {
		cancel()
		select {
		case <-done:
		case <-tctx.Done():
		}
		return nil
	})
}
