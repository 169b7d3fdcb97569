package billing

import (
	"context"
	"time"

	"turno/store"
)

// DTELease is the lease whose holder runs the DTE requests between cycles.
const DTELease = "billing-dte"

// RunDTE is the DTE loop: every interval (default 15 s), and at once when
// this process records a new request, the holder of the "billing-dte"
// lease (TTL billing.lease_ttl) does the requests that are due
// (ProcessDTE). Several `turno serve` on one database call the issuer from
// one of them; each request is also claimed on its own, so the cycle's pass
// and this loop never call the issuer twice at once for one invoice. It
// returns when ctx ends, releasing the lease. With no DTE issuer configured
// it returns at once.
func (s *Service) RunDTE(ctx context.Context, interval time.Duration) {
	if !s.DTEEnabled() || s.wired() != nil {
		return
	}
	if interval <= 0 {
		interval = 15 * time.Second
	}
	ttl := s.opts.Billing.LeaseTTL.D()
	if ttl <= 0 {
		ttl = 30 * time.Second
	}
	lease := store.NewLease(s.opts.DB, DTELease, s.owner, max(ttl, interval*2), s.opts.Clock)
	defer func() { _ = lease.Release(context.WithoutCancel(ctx)) }()
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		if ok, err := lease.Acquire(ctx); err != nil && ctx.Err() == nil {
			s.opts.Logger.Warn("DTE lease", "err", err)
		} else if ok {
			if _, err := s.ProcessDTE(ctx); err != nil && ctx.Err() == nil {
				s.opts.Logger.Error("DTE requests", "err", err)
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-s.dteKick:
		}
	}
}
