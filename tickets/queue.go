package tickets

import (
	"context"
	"encoding/base64"
	"fmt"
	"sort"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// Queue page sizes.
const (
	defaultPage = 50
	maxPage     = 500
)

// Queue lists the tickets the actor sees, in queue order, one page at a time.
//
// The queue (Status "" or any status but closed) is answered from the
// in-process queue index (queuecache.go), a copy of ticket_queue (the
// projection of the tickets that are not closed) kept current through its
// change log, so a page costs a few reads by _id, not a scan; "closed" and
// "all" read the tickets collection. Pages continue after the last sort
// key (Page.Next).
func (s *Service) Queue(ctx context.Context, a Actor, f QueueFilter) (Page, error) {
	q, err := s.queueSpec(a, f)
	if err != nil {
		return Page{}, err
	}
	if q.none {
		return Page{}, nil // asks for departments the actor does not see
	}
	var ts []Ticket
	if q.history {
		ts, err = s.queueFromStore(ctx, q)
	} else {
		ts, err = s.queueFromIndex(ctx, q)
	}
	if err != nil {
		return Page{}, err
	}
	return s.queuePage(a, ts, q.limit), nil
}

// queuePage cuts ts (up to limit+1 tickets in queue order) to a page.
func (s *Service) queuePage(a Actor, ts []Ticket, limit int) Page {
	var p Page
	if len(ts) > limit {
		ts = ts[:limit]
		p.Next = base64.RawURLEncoding.EncodeToString([]byte(ts[len(ts)-1].SortKey))
	}
	p.Tickets = make([]Ticket, 0, len(ts))
	now := s.clk.Now()
	for _, t := range ts {
		s.markOverdue(&t, now) // sla.go
		// The query is scoped already; this is the second lock on the door.
		if a.Sees(t.Department) {
			p.Tickets = append(p.Tickets, t)
		}
	}
	return p
}

// queueFromStore reads up to limit+1 tickets matching q from the store:
// the tickets collection for "closed" and "all" (and ticket_queue for the
// open statuses, which only the tests still ask for, as the reference the
// index must agree with).
func (s *Service) queueFromStore(ctx context.Context, q queueSpec) ([]Ticket, error) {
	coll := s.c.tickets
	if !q.history {
		coll = s.c.queue
		if err := s.RepairQueue(ctx); err != nil {
			return nil, err
		}
	}
	opts := options.Find().SetSort(bson.D{{Key: "sort_key", Value: 1}}).SetLimit(int64(q.limit) + 1).
		SetProjection(bson.D{{Key: "events", Value: 0}})
	cur, err := coll.Find(ctx, q.query(), opts)
	if err != nil {
		return nil, failed("read queue", err)
	}
	var ts []Ticket
	if err := cur.All(ctx, &ts); err != nil {
		return nil, failed("read queue", err)
	}
	return ts, nil
}

// queueFromIndex picks up to limit+1 tickets matching q from the queue
// index, after finishing crashed writers' projection writes.
func (s *Service) queueFromIndex(ctx context.Context, q queueSpec) ([]Ticket, error) {
	if err := s.RepairQueue(ctx); err != nil {
		return nil, err
	}
	match := q.matcher()
	var ts []Ticket
	err := s.withQueue(ctx, func(rows []*Ticket) {
		i := 0
		if q.after != "" {
			i = sort.Search(len(rows), func(i int) bool { return rows[i].SortKey > q.after })
		}
		for ; i < len(rows) && len(ts) <= q.limit; i++ {
			if match(rows[i]) {
				ts = append(ts, copyRow(rows[i]))
			}
		}
	})
	return ts, err
}

// Get returns ticket n with its thread and events, if the actor sees it.
// Messages of tickets merged into it are on it (Merge moves them).
func (s *Service) Get(ctx context.Context, a Actor, n int64) (*Thread, error) {
	t, msgs, err := s.Show(ctx, n)
	if err != nil {
		return nil, err
	}
	if !a.Sees(t.Department) {
		return nil, fmt.Errorf("ticket %d: %w", n, ErrNotFound)
	}
	if msgs == nil {
		msgs = []Message{}
	}
	s.markOverdue(t, s.clk.Now()) // sla.go
	return &Thread{Ticket: *t, Messages: msgs}, nil
}
