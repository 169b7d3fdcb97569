package seed

import (
	"bytes"
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"go.mongodb.org/mongo-driver/v2/mongo"

	"turno/mailin/parse"
	"turno/tickets"
)

var (
	// Body is a customer message's text (~1.8 KB).
	Body = strings.Repeat("Hola, el sitio no carga desde la mañana y el correo rebota. ", 30) // ~1.8 KB
	// Epoch is when the generated mail starts arriving.
	Epoch = time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)
)

// Sender i: 50 registered contacts (clients C00..C49), one in six unknown.
func Sender(i int) string {
	if i%6 == 5 {
		return fmt.Sprintf("anon%d@gmail.com", i)
	}
	return fmt.Sprintf("%02d@cliente.cl", i%50)
}

// Ingest ingests raw into dept as arrived at.
func Ingest(ctx context.Context, tk *tickets.Service, raw []byte, dept string, at time.Time) (tickets.Result, error) {
	m, err := parse.Parse(bytes.NewReader(raw), nil)
	if err != nil {
		return tickets.Result{}, err
	}
	return tk.Ingest(ctx, tickets.Incoming{Msg: m, RawHash: parse.RawHash(raw), RawRef: "bench", Mailbox: dept,
		Department: dept, ArrivedAt: at})
}

// OpenTickets ingests n new tickets from generated mail, a third of them with
// a follow-up from the customer, and returns their numbers.
func OpenTickets(ctx context.Context, tk *tickets.Service, n int, followUps bool) ([]int64, error) {
	nums := make([]int64, n)
	for i := range n {
		dept, at := Departments[i%len(Departments)], Epoch.Add(time.Duration(i)*time.Minute)
		raw := fmt.Appendf(nil, "From: %s\r\nTo: %s@turno.example\r\nSubject: Consulta %d\r\nMessage-ID: <o%d@bench>\r\n"+
			"Date: %s\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n%s\r\n",
			Sender(i), dept, i, i, at.Format(time.RFC1123Z), Body)
		r, err := Ingest(ctx, tk, raw, dept, at)
		if err != nil {
			return nil, err
		}
		if r.Ticket == 0 {
			return nil, fmt.Errorf("message %d made no ticket (%v)", i, r.Outcome)
		}
		nums[i] = r.Ticket
	}
	if !followUps {
		return nums, nil
	}
	for i := 0; i < n; i += 3 {
		dept, at := Departments[i%len(Departments)], Epoch.Add(time.Duration(i)*time.Minute+time.Hour)
		raw := fmt.Appendf(nil, "From: %s\r\nTo: %s@turno.example\r\nSubject: Re: Consulta %d\r\nMessage-ID: <f%d@bench>\r\n"+
			"In-Reply-To: <o%d@bench>\r\nDate: %s\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nSigue igual.\r\n%s\r\n",
			Sender(i), dept, i, i, i, at.Format(time.RFC1123Z), Body)
		r, err := Ingest(ctx, tk, raw, dept, at)
		if err != nil {
			return nil, err
		}
		if r.Ticket != nums[i] {
			return nil, fmt.Errorf("follow-up %d landed on ticket %d, not %d", i, r.Ticket, nums[i])
		}
	}
	return nums, nil
}

// MixStatuses leaves a quarter of the tickets new and sets the others
// open, pending and solved through the service; one in ten is marked high
// priority.
func MixStatuses(ctx context.Context, tk *tickets.Service, a tickets.Actor, nums []int64) error {
	statuses := []string{"", tickets.StatusOpen, tickets.StatusPending, tickets.StatusSolved}
	for i, n := range nums {
		if s := statuses[i%4]; s != "" {
			if _, err := tk.SetStatus(ctx, a, n, s); err != nil {
				return fmt.Errorf("status of %d: %w", n, err)
			}
		}
		if i%10 == 7 {
			if _, err := tk.SetPriority(ctx, a, n, tickets.LabelHigh); err != nil {
				return fmt.Errorf("priority of %d: %w", n, err)
			}
		}
	}
	return nil
}

// ClosedTicket is a closed ticket of the history, numbered first+i (below
// NumberStart), with the events a worked ticket has.
func ClosedTicket(n int64, i int) (tickets.Ticket, tickets.Message) {
	dept := Departments[i%len(Departments)]
	at := Epoch.Add(-time.Duration(i+1) * 3 * time.Minute)
	from := tickets.Address{Address: Sender(i)}
	origin := fmt.Sprintf("c%d@history.bench", n)
	sort := fmt.Sprintf("%05d|%019d|%019d", 9999-30, at.UnixNano(), n)
	t := tickets.Ticket{ID: strconv.FormatInt(n, 10), Number: n, Subject: fmt.Sprintf("Consulta antigua %d", n),
		Requester: from, Department: dept, Channel: "email", Mailbox: dept, Status: tickets.StatusClosed,
		Priority: 30, Label: tickets.LabelLow, SortKey: sort, Origin: origin, FirstArrival: at, CreatedAt: at,
		SolvedAt: at.Add(2 * time.Hour), ClosedAt: at.Add(98 * time.Hour), Assignee: AgentEmail, Score: 30,
		LastPublic: &tickets.LastPublic{Key: "r" + origin, At: at.Add(time.Hour), Agent: AgentEmail},
		Events: []tickets.Event{
			{At: at, By: "customer", Type: "created"},
			{At: at.Add(time.Hour), By: AgentEmail, Type: "reply"},
			{At: at.Add(2 * time.Hour), By: AgentEmail, Type: "status", From: "open", To: tickets.StatusSolved},
			{At: at.Add(98 * time.Hour), By: "system", Type: "status", From: tickets.StatusSolved, To: tickets.StatusClosed},
		},
		Version: 3, UpdatedAt: at.Add(98 * time.Hour)}
	m := tickets.Message{Key: origin, Ticket: n, Disposition: tickets.DispTicket, MessageID: origin, From: from,
		Subject: t.Subject, Kind: string(parse.KindNormal), Text: Body, Mailbox: dept, RawRef: "bench", ArrivedAt: at,
		StoredAt: at, Thread: "new", Opened: true}
	return t, m
}

// InsertClosed inserts count closed tickets numbered from first, in
// InsertMany batches of 99 (and their opening messages when withMessages).
func InsertClosed(ctx context.Context, db *mongo.Database, first int64, count int, withMessages bool) error {
	return insertDocs(ctx, db, first, count, withMessages, ClosedTicket)
}

func insertDocs(ctx context.Context, db *mongo.Database, first int64, count int, withMessages bool,
	gen func(int64, int) (tickets.Ticket, tickets.Message)) error {
	tc, mc := db.Collection(tickets.CollTickets), db.Collection(tickets.CollMessages)
	const batch = 99
	ts, ms := make([]any, 0, batch), make([]any, 0, batch)
	flush := func() error {
		if len(ts) == 0 {
			return nil
		}
		if _, err := tc.InsertMany(ctx, ts); err != nil {
			return fmt.Errorf("insert tickets: %w", err)
		}
		if withMessages {
			if _, err := mc.InsertMany(ctx, ms); err != nil {
				return fmt.Errorf("insert messages: %w", err)
			}
		}
		ts, ms = ts[:0], ms[:0]
		return nil
	}
	for i := range count {
		t, m := gen(first+int64(i), i)
		ts, ms = append(ts, t), append(ms, m)
		if len(ts) == batch {
			if err := flush(); err != nil {
				return err
			}
		}
	}
	return flush()
}

// OpenTicket is ClosedTicket left open (a quarter each new, open,
// pending; one in ten high priority), for stores too large to ingest:
// inserted as documents, the queue projection is built from them by
// Tickets.RepairQueue on a store where it has not run yet.
func OpenTicket(n int64, i int) (tickets.Ticket, tickets.Message) {
	t, m := ClosedTicket(n, i)
	t.Subject = fmt.Sprintf("Consulta abierta %d", n)
	m.Subject = t.Subject
	t.Status = []string{tickets.StatusNew, tickets.StatusOpen, tickets.StatusPending, tickets.StatusOpen}[i%4]
	t.SolvedAt, t.ClosedAt = time.Time{}, time.Time{}
	t.Events = t.Events[:1]
	t.LastPublic = &tickets.LastPublic{Key: m.Key, At: t.CreatedAt}
	t.Assignee = ""
	if i%3 == 0 {
		t.Assignee = AgentEmail
	}
	t.Priority, t.Label, t.Score = 30, tickets.LabelLow, 30
	if i%10 == 7 {
		t.Priority, t.Label, t.Score = 80, tickets.LabelHigh, 80
	}
	t.SortKey = fmt.Sprintf("%05d|%019d|%019d", 9999-t.Priority, t.CreatedAt.UnixNano(), n)
	t.Version = 1
	t.UpdatedAt = t.CreatedAt
	return t, m
}

// InsertOpen inserts count open tickets (OpenTicket) numbered from first,
// with their opening messages, in InsertMany batches of 99.
func InsertOpen(ctx context.Context, db *mongo.Database, first int64, count int) error {
	return insertDocs(ctx, db, first, count, true, OpenTicket)
}
