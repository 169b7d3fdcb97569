package tickets

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// ErrNotFound: no ticket with that number.
var ErrNotFound = errors.New("no such ticket")

// Filter narrows the queue listing; empty fields match everything.
type Filter struct {
	Status     string
	Department string
	Label      string // high, medium, low
	Limit      int64  // 0: no limit
}

// List returns tickets in queue order (priority descending, then the first
// message's arrival, oldest first): one query sorted on the precomputed
// sort key.
func (s *Service) List(ctx context.Context, f Filter) ([]Ticket, error) {
	q := bson.D{}
	if f.Status != "" {
		q = append(q, bson.E{Key: "status", Value: f.Status})
	}
	if f.Department != "" {
		q = append(q, bson.E{Key: "department", Value: f.Department})
	}
	if f.Label != "" {
		q = append(q, bson.E{Key: "priority_label", Value: f.Label})
	}
	opts := options.Find().SetSort(bson.D{{Key: "sort_key", Value: 1}})
	if f.Limit > 0 {
		opts.SetLimit(f.Limit)
	}
	cur, err := s.c.tickets.Find(ctx, q, opts)
	if err != nil {
		return nil, fmt.Errorf("list tickets: %w", err)
	}
	var out []Ticket
	if err := cur.All(ctx, &out); err != nil {
		return nil, fmt.Errorf("list tickets: %w", err)
	}
	return out, nil
}

// Show returns a ticket and its messages, oldest first.
func (s *Service) Show(ctx context.Context, n int64) (*Ticket, []Message, error) {
	t, err := s.getTicket(ctx, n)
	if err != nil {
		return nil, nil, err
	}
	if t == nil {
		return nil, nil, fmt.Errorf("ticket %d: %w", n, ErrNotFound)
	}
	if msgs, ok, err := s.threadByKeys(ctx, t); ok || err != nil {
		return t, msgs, err
	}
	// Messages of tickets merged into this one are moved onto it by
	// Merge; a straggler filed on one of them meanwhile shows here too.
	var which any = n
	if src := mergedSources(t); len(src) > 0 {
		which = bson.D{{Key: "$in", Value: append([]int64{n}, src...)}}
	}
	cur, err := s.c.messages.Find(ctx, bson.D{{Key: "ticket", Value: which}},
		options.Find().SetSort(bson.D{{Key: "arrived_at", Value: 1}, {Key: "_id", Value: 1}}))
	if err != nil {
		return nil, nil, fmt.Errorf("read thread of %d: %w", n, err)
	}
	var msgs []Message
	if err := cur.All(ctx, &msgs); err != nil {
		return nil, nil, fmt.Errorf("read thread of %d: %w", n, err)
	}
	return t, msgs, nil
}

// Close marks a ticket closed now, as the system (the unscoped command
// of operators). Closing a closed ticket changes nothing.
func (s *Service) Close(ctx context.Context, n int64) error {
	_, err := s.update(ctx, n, func(t *Ticket) ([]Event, error) {
		if t.Status == StatusClosed {
			return nil, nil
		}
		ev := Event{By: BySystem, Type: EventStatus, From: t.Status, To: StatusClosed}
		t.Status, t.ClosedAt = StatusClosed, s.clk.Now().UTC()
		return []Event{ev}, nil
	})
	if err != nil {
		return fmt.Errorf("close ticket %d: %w", n, err)
	}
	return nil
}

// UnmatchedBounces lists delivery reports no outbound message claimed,
// newest first.
func (s *Service) UnmatchedBounces(ctx context.Context, limit int64) ([]BounceRecord, error) {
	opts := options.Find().SetSort(bson.D{{Key: "received_at", Value: -1}})
	if limit > 0 {
		opts.SetLimit(limit)
	}
	cur, err := s.c.bounces.Find(ctx, bson.D{{Key: "matched", Value: false}}, opts)
	if err != nil {
		return nil, fmt.Errorf("list bounces: %w", err)
	}
	var out []BounceRecord
	if err := cur.All(ctx, &out); err != nil {
		return nil, fmt.Errorf("list bounces: %w", err)
	}
	return out, nil
}

// threadByKeys reads a keyed ticket's thread by _id: its own message keys
// and those of the tickets merged into it (ok=false for a ticket opened
// before keys were kept, read by a filtered query instead). On the
// embedded store a filter on ticket scans every message; this reads only
// the thread.
func (s *Service) threadByKeys(ctx context.Context, t *Ticket) ([]Message, bool, error) {
	if !t.Keyed {
		return nil, false, nil
	}
	keys := slices.Clone(t.MessageKeys)
	for _, src := range mergedSources(t) {
		b, err := s.getTicket(ctx, src)
		if err != nil {
			return nil, true, err
		}
		if b == nil {
			continue
		}
		if !b.Keyed {
			return nil, false, nil
		}
		keys = append(keys, b.MessageKeys...)
	}
	seen := map[string]bool{}
	var msgs []Message
	for _, k := range keys {
		if seen[k] {
			continue
		}
		seen[k] = true
		m, err := s.findMessage(ctx, k)
		if err != nil {
			return nil, true, fmt.Errorf("read thread of %d: %w", t.Number, err)
		}
		if m != nil {
			msgs = append(msgs, *m)
		}
	}
	slices.SortFunc(msgs, func(a, b Message) int {
		if c := a.ArrivedAt.Compare(b.ArrivedAt); c != 0 {
			return c
		}
		return strings.Compare(a.Key, b.Key)
	})
	return msgs, true, nil
}
