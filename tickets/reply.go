package tickets

import "context"

// Reply mails an agent's answer to ticket n's requester through the outbox
// and stores it on the ticket (see ReplyInput for the collision check and
// idempotency).
func (s *Service) Reply(ctx context.Context, a Actor, n int64, in ReplyInput) (*ReplyResult, error) {
	return nil, errTodo
}

// Note stores an internal note on ticket n; it is never mailed.
func (s *Service) Note(ctx context.Context, a Actor, n int64, in NoteInput) (*ReplyResult, error) {
	return nil, errTodo
}
