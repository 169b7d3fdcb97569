package tickets

import "context"

// Merge merges ticket from into ticket into: from's messages and history
// appear on into, from is closed as merged, and later mail that would have
// joined from joins into.
func (s *Service) Merge(ctx context.Context, a Actor, from, into int64) (*Ticket, error) {
	return nil, errTodo
}
