package scheduler

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/robfig/cron/v3"
)

// Start is the production trigger: cron, in the business time zone, calls
// Tick at each job's hour and every minute (catch-up, a takeover of the
// lease), and a loop renews the lease a third of its TTL apart. Stop ends
// both and waits for running jobs.
func (s *Scheduler) Start(ctx context.Context) error {
	ctx, cancel := context.WithCancel(ctx)
	c := cron.New(cron.WithLocation(s.opts.Location), cron.WithChain(cron.SkipIfStillRunning(cron.DiscardLogger)))
	tick := func() {
		if _, err := s.Tick(ctx); err != nil && ctx.Err() == nil {
			s.opts.Logger.Error("scheduler tick failed", "err", err)
		}
	}
	if _, err := c.AddFunc("@every 1m", tick); err != nil {
		cancel()
		return fmt.Errorf("add cron entry: %w", err)
	}
	for _, j := range s.Jobs() {
		if _, err := c.AddFunc(fmt.Sprintf("0 %d * * *", j.Hour), tick); err != nil {
			cancel()
			return fmt.Errorf("add cron entry for %s: %w", j.Name, err)
		}
	}
	c.Start()
	first := make(chan struct{})
	go func() { defer close(first); tick() }() // catch up at once after a start
	done := make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(s.opts.LeaseTTL / 3)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				if err := s.lease.Renew(ctx); err != nil && !errors.Is(err, context.Canceled) {
					s.opts.Logger.Debug("scheduler lease not held", "err", err)
				}
			}
		}
	}()
	s.cronStop = func(sctx context.Context) error {
		cancel()
		<-done
		select {
		case <-first:
		case <-sctx.Done():
			return fmt.Errorf("wait for running jobs: %w", sctx.Err())
		}
		select {
		case <-c.Stop().Done():
		case <-sctx.Done():
			return fmt.Errorf("wait for running jobs: %w", sctx.Err())
		}
		return s.lease.Release(context.WithoutCancel(sctx))
	}
	return nil
}

// Stop ends the cron trigger, waits for running jobs until ctx ends, and
// releases the lease so another process takes over at once.
func (s *Scheduler) Stop(ctx context.Context) error {
	if s.cronStop == nil {
		return nil
	}
	return s.cronStop(ctx)
}
