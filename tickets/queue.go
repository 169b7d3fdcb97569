package tickets

import "context"

// Queue lists the tickets the actor sees, in queue order, one page at a time.
func (s *Service) Queue(ctx context.Context, a Actor, f QueueFilter) (Page, error) {
	return Page{}, errTodo
}

// Get returns ticket n with its thread and events, if the actor sees it.
func (s *Service) Get(ctx context.Context, a Actor, n int64) (*Thread, error) {
	return nil, errTodo
}
