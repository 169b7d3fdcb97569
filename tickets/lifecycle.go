package tickets

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
)

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

// errNotSeen is fn's refusal when the actor does not see the ticket; act
// turns it into ErrNotFound.
var errNotSeen = errors.New("not seen")

// act runs an agent's change on ticket n through update, refusing (as
// ErrNotFound) a ticket outside the actor's departments.
func (s *Service) act(ctx context.Context, a Actor, n int64, fn func(t *Ticket) ([]Event, error)) (*Ticket, error) {
	t, err := s.update(ctx, n, func(t *Ticket) ([]Event, error) {
		if !a.Sees(t.Department) {
			return nil, errNotSeen
		}
		return fn(t)
	})
	if errors.Is(err, errNotSeen) {
		return nil, fmt.Errorf("ticket %d: %w", n, ErrNotFound)
	}
	return t, err
}

// seen reads ticket n for the actor (ErrNotFound when it does not see it).
func (s *Service) seen(ctx context.Context, a Actor, n int64) (*Ticket, error) {
	t, err := s.getTicket(ctx, n)
	if err != nil {
		return nil, err
	}
	if t == nil || !a.Sees(t.Department) {
		return nil, fmt.Errorf("ticket %d: %w", n, ErrNotFound)
	}
	return t, nil
}

// Assign gives ticket n to assignee (an active agent of the ticket's
// department; "" unassigns).
func (s *Service) Assign(ctx context.Context, a Actor, n int64, assignee string) (*Ticket, error) {
	assignee = strings.ToLower(strings.TrimSpace(assignee))
	var to Actor
	if assignee != "" {
		t, err := s.seen(ctx, a, n)
		if err != nil {
			return nil, err
		}
		if s.opts.Agents == nil {
			return nil, badInput("assignee", "no agent directory: tickets can only be unassigned")
		}
		to, err = s.opts.Agents.Actor(ctx, assignee)
		if errors.Is(err, ErrNoAgent) {
			return nil, badInput("assignee", "no active agent has the address %s", assignee)
		}
		if err != nil {
			return nil, fmt.Errorf("look up agent %s: %w", assignee, err)
		}
		if !to.Sees(t.Department) {
			return nil, badInput("assignee", "%s is not an agent of department %s", to.Email, t.Department)
		}
	}
	return s.act(ctx, a, n, func(t *Ticket) ([]Event, error) {
		if to.Email != "" && !to.Sees(t.Department) { // moved meanwhile
			return nil, badInput("assignee", "%s is not an agent of department %s", to.Email, t.Department)
		}
		if t.Assignee == to.Email {
			return nil, nil
		}
		ev := Event{By: a.Email, Type: EventAssign, From: t.Assignee, To: to.Email}
		t.Assignee = to.Email
		return []Event{ev}, nil
	})
}

// SetStatus moves ticket n to status (see Statuses). Agents never set
// "new" (it means no agent has answered yet); solved starts the
// automatic close (CloseSolved); reopening clears the solved and closed
// times. A ticket merged into another stays closed.
func (s *Service) SetStatus(ctx context.Context, a Actor, n int64, status string) (*Ticket, error) {
	status = strings.ToLower(strings.TrimSpace(status))
	if !slices.Contains(Statuses, status) || status == StatusNew {
		return nil, badInput("status", "must be one of open, pending, solved, closed (got %q)", status)
	}
	return s.act(ctx, a, n, func(t *Ticket) ([]Event, error) {
		if t.Status == status {
			return nil, nil
		}
		if t.MergedInto != 0 {
			return nil, badInput("status", "ticket %d was merged into %d", t.Number, t.MergedInto)
		}
		return []Event{s.setStatus(t, status, a.Email)}, nil
	})
}

// setStatus changes t's status and the times that go with it.
func (s *Service) setStatus(t *Ticket, status, by string) Event {
	now := s.clk.Now().UTC()
	ev := Event{By: by, Type: EventStatus, From: t.Status, To: status}
	if t.Status == StatusClosed && status != StatusClosed {
		t.ReopenedAt = now
	}
	switch status {
	case StatusSolved:
		t.SolvedAt, t.ClosedAt = now, time.Time{}
	case StatusClosed:
		t.ClosedAt = now
	default:
		t.SolvedAt, t.ClosedAt = time.Time{}, time.Time{}
	}
	t.Status = status
	return ev
}

// SetPriority overrides ticket n's priority label ("" clears the override).
// The override's score is above every computed high (high), the medium
// threshold (medium) or zero (low); clearing restores the computed score.
func (s *Service) SetPriority(ctx context.Context, a Actor, n int64, label string) (*Ticket, error) {
	label = strings.ToLower(strings.TrimSpace(label))
	switch label {
	case "", LabelHigh, LabelMedium, LabelLow:
	default:
		return nil, badInput("priority", "must be high, medium, low or empty to clear (got %q)", label)
	}
	return s.act(ctx, a, n, func(t *Ticket) ([]Event, error) {
		if t.ManualLabel == label {
			return nil, nil
		}
		if t.ManualLabel == "" {
			t.Score = t.Priority // the computed score (older tickets lack Score)
		}
		from := t.Label
		t.ManualLabel = label
		s.applyPriority(t)
		note := "override"
		if label == "" {
			note = "override cleared"
		}
		return []Event{{By: a.Email, Type: EventPriority, From: from, To: t.Label, Note: note}}, nil
	})
}

// applyPriority sets Priority, Label and SortKey from the effective score:
// the override's when there is one, else the computed Score.
func (s *Service) applyPriority(t *Ticket) {
	p := t.Score
	switch t.ManualLabel {
	case LabelHigh:
		p = s.w.High + 100
	case LabelMedium:
		p = s.w.Medium
	case LabelLow:
		p = 0
	}
	t.Priority, t.Label = p, s.w.Label(p)
	t.SortKey = sortKey(p, t.FirstArrival, t.Number)
}

// Move puts ticket n in another department and recomputes its priority
// (the department offset changes; an override stays). The actor must see
// the ticket, not the destination.
func (s *Service) Move(ctx context.Context, a Actor, n int64, department string) (*Ticket, error) {
	department = strings.TrimSpace(department)
	if department == "" {
		return nil, badInput("department", "required")
	}
	if len(s.opts.Departments) > 0 && !slices.Contains(s.opts.Departments, department) {
		return nil, badInput("department", "unknown department %q (one of %s)", department, strings.Join(s.opts.Departments, ", "))
	}
	return s.act(ctx, a, n, func(t *Ticket) ([]Event, error) {
		if t.Department == department {
			return nil, nil
		}
		if t.ManualLabel == "" {
			t.Score = t.Priority
		}
		t.Score += s.w.Departments[department] - s.w.Departments[t.Department]
		ev := Event{By: a.Email, Type: EventDepartment, From: t.Department, To: department}
		t.Department = department
		s.applyPriority(t)
		return []Event{ev}, nil
	})
}

// Link registers ticket n's unverified requester as a technical contact of
// clientID, marks the ticket verified and recomputes its priority.
func (s *Service) Link(ctx context.Context, a Actor, n int64, clientID string) (*Ticket, error) {
	clientID = strings.TrimSpace(clientID)
	if clientID == "" {
		return nil, badInput("client", "required")
	}
	t, err := s.seen(ctx, a, n)
	if err != nil {
		return nil, err
	}
	if !t.Unverified {
		if t.ClientID == clientID {
			return t, nil // done before (a retry)
		}
		return nil, badInput("client", "ticket %d's requester is already a contact of client %s", n, t.ClientID)
	}
	if s.opts.Linker == nil {
		return nil, errors.New("link: no clients registry configured")
	}
	if t.Requester.Address == "" {
		return nil, badInput("", "ticket %d has no requester address to link", n)
	}
	if err := s.opts.Linker.LinkContact(ctx, clientID, t.Requester.Address, t.Requester.Name, a.Email); err != nil {
		return nil, fmt.Errorf("link %s to client %s: %w", t.Requester.Address, clientID, err)
	}
	var tier string
	if s.opts.Directory != nil {
		mem, err := s.opts.Directory.Lookup(ctx, t.Requester.Address)
		if err != nil {
			return nil, fmt.Errorf("look up %s: %w", t.Requester.Address, err)
		}
		for _, m := range mem {
			if m.ClientID == clientID {
				tier = m.SupportTier
				break
			}
		}
	}
	if err := s.indexClientTicket(ctx, clientID, n); err != nil { // clientindex.go
		return nil, err
	}
	return s.act(ctx, a, n, func(t *Ticket) ([]Event, error) {
		if !t.Unverified {
			return nil, nil
		}
		t.ClientID, t.Unverified = clientID, false
		t.Score, _ = s.w.Score(PriorityInput{Channel: t.Channel, Registered: true, Tier: tier, Department: t.Department})
		s.applyPriority(t)
		return []Event{{By: a.Email, Type: EventLink, From: t.Requester.Address, To: clientID}}, nil
	})
}

// CloseSolved closes every ticket solved longer than Options.CloseAfter ago
// (read from the queue projection: only open work is scanned).
func (s *Service) CloseSolved(ctx context.Context) (int, error) {
	if err := s.RepairQueue(ctx); err != nil {
		return 0, err
	}
	cutoff := s.clk.Now().UTC().Add(-s.opts.CloseAfter)
	cur, err := s.c.queue.Find(ctx, bson.D{{Key: "status", Value: StatusSolved},
		{Key: "solved_at", Value: bson.D{{Key: "$lte", Value: cutoff}}}})
	if err != nil {
		return 0, failed("find solved tickets", err)
	}
	var due []Ticket
	if err := cur.All(ctx, &due); err != nil {
		return 0, failed("find solved tickets", err)
	}
	closed := 0
	for _, d := range due {
		var did bool
		_, err := s.update(ctx, d.Number, func(t *Ticket) ([]Event, error) {
			if t.Status != StatusSolved || t.SolvedAt.After(cutoff) {
				return nil, nil // answered or changed meanwhile
			}
			did = true
			return []Event{s.setStatus(t, StatusClosed, BySystem)}, nil
		})
		if errors.Is(err, ErrNotFound) {
			continue
		}
		if err != nil {
			return closed, err
		}
		if did {
			closed++
		}
	}
	if closed > 0 {
		s.log.Info("solved tickets closed", "count", closed, "solved_before", cutoff)
	}
	return closed, nil
}
