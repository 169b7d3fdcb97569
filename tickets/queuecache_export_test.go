package tickets

import "context"

// QueueFromStore is Queue answered by the store query for every status
// (the reference the queue index must agree with).
func (s *Service) QueueFromStore(ctx context.Context, a Actor, f QueueFilter) (Page, error) {
	q, err := s.queueSpec(a, f)
	if err != nil || q.none {
		return Page{}, err
	}
	ts, err := s.queueFromStore(ctx, q)
	if err != nil {
		return Page{}, err
	}
	return s.queuePage(a, ts, q.limit), nil
}

// QueueIndexState reports the queue index's change number and how many
// change entries it is waiting for.
func (s *Service) QueueIndexState() (seq int64, gaps int) {
	s.qc.mu.Lock()
	defer s.qc.mu.Unlock()
	return s.qc.seq, len(s.qc.gaps)
}
