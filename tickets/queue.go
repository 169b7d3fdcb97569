package tickets

import (
	"context"
	"encoding/base64"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// Queue page sizes.
const (
	defaultPage = 50
	maxPage     = 500
)

// Queue lists the tickets the actor sees, in queue order, one page at a time.
//
// The queue (Status "" or any status but closed) reads only ticket_queue,
// the projection of the tickets that are not closed, so its cost follows
// the open work, not the closed history; "closed" and "all" read the
// tickets collection. Pages continue after the last sort key (Page.Next).
func (s *Service) Queue(ctx context.Context, a Actor, f QueueFilter) (Page, error) {
	q, coll, limit, err := s.queueQuery(a, f)
	if err != nil {
		return Page{}, err
	}
	if q == nil {
		return Page{}, nil // asks for departments the actor does not see
	}
	if coll == s.c.queue {
		if err := s.RepairQueue(ctx); err != nil {
			return Page{}, err
		}
	}
	opts := options.Find().SetSort(bson.D{{Key: "sort_key", Value: 1}}).SetLimit(int64(limit) + 1).
		SetProjection(bson.D{{Key: "events", Value: 0}})
	cur, err := coll.Find(ctx, q, opts)
	if err != nil {
		return Page{}, failed("read queue", err)
	}
	var ts []Ticket
	if err := cur.All(ctx, &ts); err != nil {
		return Page{}, failed("read queue", err)
	}
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
	return p, nil
}

// queueQuery checks f and builds the query; a nil query (and no error)
// means nothing can match.
func (s *Service) queueQuery(a Actor, f QueueFilter) (bson.D, *mongo.Collection, int, error) {
	limit := f.Limit
	switch {
	case limit == 0:
		limit = defaultPage
	case limit < 0 || limit > maxPage:
		return nil, nil, 0, badInput("limit", "must be between 1 and %d", maxPage)
	}
	q := bson.D{}
	coll := s.c.queue
	switch {
	case f.Status == "":
	case f.Status == "all":
		coll = s.c.tickets
	case f.Status == StatusClosed:
		coll = s.c.tickets
		q = append(q, bson.E{Key: "status", Value: StatusClosed})
	case slices.Contains(Statuses, f.Status):
		q = append(q, bson.E{Key: "status", Value: f.Status})
	default:
		return nil, nil, 0, badInput("status", "unknown status %q (one of %s, or all)", f.Status, strings.Join(Statuses, ", "))
	}
	switch f.Label {
	case "":
	case LabelHigh, LabelMedium, LabelLow:
		q = append(q, bson.E{Key: "priority_label", Value: f.Label})
	default:
		return nil, nil, 0, badInput("label", "unknown priority %q (high, medium or low)", f.Label)
	}
	if f.Cursor != "" {
		k, err := base64.RawURLEncoding.DecodeString(f.Cursor)
		if err != nil || len(k) == 0 {
			return nil, nil, 0, badInput("cursor", "not a cursor this queue returned")
		}
		q = append(q, bson.E{Key: "sort_key", Value: bson.D{{Key: "$gt", Value: string(k)}}})
	}
	switch dept := strings.TrimSpace(f.Department); {
	case dept != "":
		if !a.Sees(dept) {
			return nil, coll, limit, nil
		}
		q = append(q, bson.E{Key: "department", Value: dept})
	case !a.Admin:
		if len(a.Departments) == 0 {
			return nil, coll, limit, nil
		}
		q = append(q, bson.E{Key: "department", Value: bson.D{{Key: "$in", Value: a.Departments}}})
	}
	switch as := strings.ToLower(strings.TrimSpace(f.Assignee)); as {
	case "":
	case "none":
		q = append(q, bson.E{Key: "assignee", Value: bson.D{{Key: "$exists", Value: false}}})
	default:
		q = append(q, bson.E{Key: "assignee", Value: as})
	}
	if r := strings.ToLower(strings.TrimSpace(f.Requester)); r != "" {
		q = append(q, bson.E{Key: "requester.address", Value: r})
	}
	if f.Overdue {
		if s.opts.SLA == nil {
			return nil, nil, 0, badInput("overdue", "no service-level targets are configured ([sla] enabled = false)")
		}
		q = append(q, overdueQuery(s.clk.Now().UTC())) // sla.go
	}
	if txt := strings.TrimSpace(f.Text); txt != "" {
		q = append(q, bson.E{Key: "subject", Value: bson.D{
			{Key: "$regex", Value: regexp.QuoteMeta(txt)}, {Key: "$options", Value: "i"}}})
	}
	return q, coll, limit, nil
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
