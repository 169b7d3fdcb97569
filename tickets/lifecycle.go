package tickets

import (
	"context"
	"errors"
)

var errTodo = errors.New("not built yet")

// Event types (Event.Type).
const (
	EventCreated    = "created"
	EventStatus     = "status"
	EventAssign     = "assign"
	EventPriority   = "priority"
	EventDepartment = "department"
	EventMerged     = "merged"      // on the ticket merged away
	EventMergedFrom = "merged_from" // on the survivor
	EventLink       = "link"
	EventReply      = "reply"
	EventNote       = "note"
	EventReopened   = "reopened"
)

// Event authors besides agents (Event.By).
const (
	ByCustomer = "customer"
	BySystem   = "system"
)

// Assign gives ticket n to assignee (an active agent of the ticket's
// department; "" unassigns).
func (s *Service) Assign(ctx context.Context, a Actor, n int64, assignee string) (*Ticket, error) {
	return nil, errTodo
}

// SetStatus moves ticket n to status (see Statuses).
func (s *Service) SetStatus(ctx context.Context, a Actor, n int64, status string) (*Ticket, error) {
	return nil, errTodo
}

// SetPriority overrides ticket n's priority label ("" clears the override).
func (s *Service) SetPriority(ctx context.Context, a Actor, n int64, label string) (*Ticket, error) {
	return nil, errTodo
}

// Move puts ticket n in another department and recomputes its priority.
func (s *Service) Move(ctx context.Context, a Actor, n int64, department string) (*Ticket, error) {
	return nil, errTodo
}

// Link registers ticket n's unverified requester as a technical contact of
// clientID, marks the ticket verified and recomputes its priority.
func (s *Service) Link(ctx context.Context, a Actor, n int64, clientID string) (*Ticket, error) {
	return nil, errTodo
}

// CloseSolved closes every ticket solved longer than Options.CloseAfter ago.
func (s *Service) CloseSolved(ctx context.Context) (int, error) {
	return 0, errTodo
}
