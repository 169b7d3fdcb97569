package scheduler

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/robfig/cron/v3"

	"turno/store"
)

// Start is the production trigger: cron, in the business time zone, calls
// Tick at each job's hour and every minute (catch-up), and a loop renews the
// lease a third of its TTL apart. When that renewal finds the lease held by
// no one or by another owner, the loop ticks at once: a standby, or a
// process restarted after a crash, takes over as soon as the dead leader's
// lease expires, not at the next minute. Stop ends all of it and waits for
// running jobs.
func (s *Scheduler) Start(ctx context.Context) error {
	s.loadLastSuccess(ctx)
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
	// The ticker goroutine ticks at once (catch up after a start), then
	// whenever the lease loop asks; the lease loop never waits for a job.
	kick := make(chan struct{}, 1)
	var wg sync.WaitGroup
	wg.Go(func() {
		tick()
		for {
			select {
			case <-ctx.Done():
				return
			case <-kick:
				tick()
			}
		}
	})
	wg.Go(func() {
		t := time.NewTicker(s.opts.LeaseTTL / 3)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				err := s.renewLease(ctx)
				if err == nil || errors.Is(err, context.Canceled) {
					continue
				}
				s.opts.Logger.Debug("scheduler lease not held", "err", err)
				if errors.Is(err, store.ErrLeaseLost) {
					select {
					case kick <- struct{}{}:
					default: // a tick is pending already
					}
				}
			}
		}
	})
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	s.cronStop = func(sctx context.Context) error {
		cancel()
		select {
		case <-done:
		case <-sctx.Done():
			return fmt.Errorf("wait for running jobs: %w", sctx.Err())
		}
		select {
		case <-c.Stop().Done():
		case <-sctx.Done():
			return fmt.Errorf("wait for running jobs: %w", sctx.Err())
		}
		return s.releaseLease(context.WithoutCancel(sctx))
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
