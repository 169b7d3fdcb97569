package mailin

import (
	"context"
	"errors"
	"math/rand/v2"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"turno/config"
	"turno/store"
)

// watch holds mailbox mb whenever this process can get its lease, and
// reconnects with capped exponential backoff and jitter while it holds it.
// It returns only when ctx ends.
func (s *Service) watch(ctx context.Context, mb config.MailboxConfig) {
	ttl := s.cfg.LeaseTTL.D()
	lease := store.NewLease(s.db, "mailbox:"+mb.Name, s.owner, ttl, s.clock)
	log := s.log.With("mailbox", mb.Name)
	for ctx.Err() == nil {
		ok, err := lease.Acquire(ctx)
		if err != nil {
			log.Warn("acquire mailbox lease", "err", err)
		}
		if !ok {
			sleep(ctx, ttl/3)
			continue
		}
		log.Info("holding mailbox", "owner", s.owner, "epoch", lease.Epoch())
		s.setState(mb.Name, func(w *watchState) { w.holding = true })
		lctx, cancel := context.WithCancel(ctx)
		renewed := make(chan struct{})
		go func() {
			defer close(renewed)
			s.renew(lctx, cancel, lease, ttl/3, log)
		}()
		s.hold(lctx, mb, lease)
		cancel()
		<-renewed
		s.setState(mb.Name, func(w *watchState) { w.holding, w.connected = false, false })
		s.m.connected.WithLabelValues(mb.Name).Set(0)
		if ctx.Err() != nil {
			rctx, rcancel := context.WithTimeout(context.Background(), 5*time.Second)
			s.status(rctx, mb.Name, bson.D{{Key: "connected", Value: false}}, nil)
			if err := lease.Release(rctx); err != nil {
				log.Warn("release mailbox lease", "err", err)
			}
			rcancel()
			return
		}
		log.Warn("lost mailbox lease; another process may hold it now")
	}
}

// renew keeps the lease every period; on failure it cancels the holder.
func (s *Service) renew(ctx context.Context, cancel context.CancelFunc, l *store.Lease, period time.Duration, log interface {
	Warn(string, ...any)
}) {
	t := time.NewTicker(period)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if err := l.Renew(ctx); err != nil {
				if ctx.Err() == nil {
					log.Warn("renew mailbox lease", "err", err)
				}
				cancel()
				return
			}
		}
	}
}

// hold runs IMAP sessions on mb until ctx ends, backing off between failures.
func (s *Service) hold(ctx context.Context, mb config.MailboxConfig, lease *store.Lease) {
	delay := s.opts.MinBackoff
	for ctx.Err() == nil {
		connected, err := s.session(ctx, mb, lease)
		if ctx.Err() != nil {
			return
		}
		if connected {
			delay = s.opts.MinBackoff
		}
		s.setState(mb.Name, func(w *watchState) { w.connected, w.lastErr = false, err })
		s.m.connected.WithLabelValues(mb.Name).Set(0)
		msg := "<nil>"
		if err != nil {
			msg = err.Error()
		}
		s.status(ctx, mb.Name, bson.D{{Key: "connected", Value: false}, {Key: "last_error", Value: msg},
			{Key: "last_error_at", Value: s.clock.Now()}}, bson.D{{Key: "errors", Value: 1}})
		wait := jitter(delay)
		s.log.Warn("mailbox session ended; reconnecting", "mailbox", mb.Name, "err", err,
			"permanent", IsPermanent(err), "retry_in", wait.Round(time.Millisecond))
		sleep(ctx, wait)
		delay = min(delay*2, s.opts.MaxBackoff)
	}
}

// jitter spreads d over [d/2, d).
func jitter(d time.Duration) time.Duration {
	if d <= 1 {
		return d
	}
	return d/2 + rand.N(d/2)
}

func sleep(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}

func (s *Service) status(ctx context.Context, name string, set, inc bson.D) {
	set = append(set, bson.E{Key: "owner", Value: s.owner}, bson.E{Key: "updated_at", Value: s.clock.Now()})
	if err := s.cur.status(ctx, name, set, inc); err != nil && !errors.Is(err, context.Canceled) {
		s.log.Debug("record mailbox status", "mailbox", name, "err", err)
	}
}
