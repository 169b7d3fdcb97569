package scheduler

import "context"

// The scheduler lease is used from two goroutines (Tick and Start's renewal
// loop); these serialise the calls.

func (s *Scheduler) acquireLease(ctx context.Context) (bool, error) {
	s.leaseMu.Lock()
	defer s.leaseMu.Unlock()
	return s.lease.Acquire(ctx)
}

func (s *Scheduler) renewLease(ctx context.Context) error {
	s.leaseMu.Lock()
	defer s.leaseMu.Unlock()
	return s.lease.Renew(ctx)
}

func (s *Scheduler) releaseLease(ctx context.Context) error {
	s.leaseMu.Lock()
	defer s.leaseMu.Unlock()
	return s.lease.Release(ctx)
}
