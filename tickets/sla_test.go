package tickets_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"turno/config"
	"turno/internal/testenv"
	"turno/sla"
	"turno/tickets"
)

// slaEnv is a reply-capable tickets service with the default [sla] policy:
// Monday to Friday 09:00-18:00 in America/Santiago, Chile's holidays.
func slaEnv(t *testing.T) (*env, *time.Location) {
	t.Helper()
	p, err := sla.FromConfig(config.Default())
	if err != nil || p == nil {
		t.Fatalf("sla.FromConfig(Default()) = %v, %v", p, err)
	}
	e := replyEnv(t, func(o *tickets.Options) {
		o.SLA = p
		o.Departments = []string{"soporte", "ventas"}
	})
	return e, p.Calendar.Location()
}

// open files a new ticket from `from` arriving at `at`.
func (e *env) openAt(from, id string, at time.Time) int64 {
	e.t.Helper()
	e.clk.Set(at)
	inc := e.incoming(mail{from: from, subject: "Ayuda " + id, id: id + "@cliente"}.raw(), "soporte")
	inc.ArrivedAt = at
	return e.ingestIn(inc).Ticket
}

func wantAt(t *testing.T, what string, got, want time.Time) {
	t.Helper()
	if !got.Equal(want) {
		t.Fatalf("%s = %s, want %s", what, got.In(want.Location()), want)
	}
}

// Due times across a weekend and a Chilean holiday (Tuesday 8 December
// 2026), pending time excluded from resolution, recomputed on a label
// change, and the first response is the first agent reply, not a note.
func TestSLADueTimesWeekendHolidayPending(t *testing.T) {
	e, loc := slaEnv(t)
	ctx := context.Background()
	at := func(d, h, m int) time.Time { return time.Date(2026, time.December, d, h, m, 0, 0, loc) }

	// Friday 4 Dec, 17:30: 30 business minutes left that day.
	high := e.openAt("ana@premium.cl", "alta", at(4, 17, 30))
	tk := e.ticket(high)
	want(t, "label", tk.Label, tickets.LabelHigh)
	wantAt(t, "high first response", tk.FirstResponseDue, at(7, 9, 30)) // 1h: Fri 30m, Mon 30m
	wantAt(t, "high resolution", tk.ResolutionDue, at(7, 16, 30))       // 8h: Fri 30m, Mon 7h30

	med := e.openAt("maria@cliente.cl", "media", at(4, 17, 30))
	tk = e.ticket(med)
	want(t, "label", tk.Label, tickets.LabelMedium)
	wantAt(t, "medium first response", tk.FirstResponseDue, at(7, 12, 30)) // 4h: Fri 30m, Mon 3h30
	// 24h: Fri 30m, Mon 9h, Tue 8 (holiday) none, Wed 9h, Thu 5h30.
	wantAt(t, "medium resolution", tk.ResolutionDue, at(10, 14, 30))

	// The queue projection carries them too.
	var q tickets.Ticket
	if err := e.db.Collection(tickets.CollQueue).FindOne(ctx, bson.D{{Key: "_id", Value: fmt.Sprint(med)}}).Decode(&q); err != nil {
		t.Fatal(err)
	}
	wantAt(t, "projection's resolution", q.ResolutionDue, at(10, 14, 30))

	// A note is not a response.
	e.clk.Set(at(7, 9, 45))
	if _, err := e.svc.Note(ctx, ana, med, tickets.NoteInput{Key: "n1", Text: "mirando"}); err != nil {
		t.Fatal(err)
	}
	if tk = e.ticket(med); !tk.FirstResponseAt.IsZero() {
		t.Fatalf("a note counted as the first response (%s)", tk.FirstResponseAt)
	}
	// Monday 10:00: the agent answers and waits on the customer.
	e.clk.Set(at(7, 10, 0))
	if _, err := e.svc.Reply(ctx, ana, med, tickets.ReplyInput{Key: "r1", Force: true, Text: "¿Qué dominio?",
		Status: tickets.StatusPending}); err != nil {
		t.Fatal(err)
	}
	tk = e.ticket(med)
	wantAt(t, "first response at", tk.FirstResponseAt, at(7, 10, 0))
	if !tk.ResolutionDue.IsZero() {
		t.Fatalf("resolution due %s while pending: its clock should be stopped", tk.ResolutionDue)
	}
	// Wednesday 10:00 the customer writes back: open again. Pending took
	// Mon 10-18 (8h) and Wed 9-10 (1h) of business time, so resolution
	// moves 9h later: Thu 14:30 + 3h30 to closing, Fri 9:00 + 5h30.
	e.clk.Set(at(9, 10, 0))
	inc := e.incoming(mail{from: "maria@cliente.cl", subject: fmt.Sprintf("Re: [Ticket #%d] Ayuda media", med),
		id: "media-2@cliente", body: "ejemplo.cl"}.raw(), "soporte")
	e.ingestIn(inc)
	tk = e.ticket(med)
	want(t, "status after the customer's answer", tk.Status, tickets.StatusOpen)
	wantAt(t, "resolution after pending", tk.ResolutionDue, at(11, 14, 30))
	if len(tk.Waiting) != 1 || !tk.Waiting[0].Start.Equal(at(7, 10, 0)) || !tk.Waiting[0].End.Equal(at(9, 10, 0)) {
		t.Fatalf("waiting = %+v, want one stretch Mon 10:00 - Wed 10:00", tk.Waiting)
	}
	wantAt(t, "first response stays the first", tk.FirstResponseAt, at(7, 10, 0))

	// A label change recomputes from the first arrival: low is 8h/72h.
	if _, err := e.svc.SetPriority(ctx, ana, high, tickets.LabelLow); err != nil {
		t.Fatal(err)
	}
	tk = e.ticket(high)
	wantAt(t, "low first response", tk.FirstResponseDue, at(7, 16, 30)) // Fri 30m, Mon 7h30
	// 72h = 8 business days: Fri 30m, Mon 9h, Wed 9, Thu 10, Fri 11, Mon 14,
	// Tue 15, Wed 16 (63h30), Thu 17 8h30.
	wantAt(t, "low resolution", tk.ResolutionDue, at(17, 17, 30))
}

// A ticket solved and reopened keeps its clock stopped while solved.
func TestSLAReopenedTicketKeepsItsTime(t *testing.T) {
	e, loc := slaEnv(t)
	ctx := context.Background()
	at := func(d, h, m int) time.Time { return time.Date(2026, time.December, d, h, m, 0, 0, loc) }
	n := e.openAt("ana@premium.cl", "reabre", at(14, 9, 0)) // Monday: high, resolution Mon 17:00
	wantAt(t, "resolution", e.ticket(n).ResolutionDue, at(14, 17, 0))
	e.clk.Set(at(14, 12, 0))
	if _, err := e.svc.SetStatus(ctx, ana, n, tickets.StatusSolved); err != nil {
		t.Fatal(err)
	}
	e.clk.Set(at(16, 12, 0)) // Wednesday: 2 business days later
	if _, err := e.svc.SetStatus(ctx, ana, n, tickets.StatusOpen); err != nil {
		t.Fatal(err)
	}
	// 3h used Monday, 5h left from Wed 12:00.
	wantAt(t, "resolution after reopening", e.ticket(n).ResolutionDue, at(16, 17, 0))
}

// The overdue mark and filter, and CheckSLA: one breach per ticket and
// target, whether it runs again or in two processes at once.
func TestSLABreachRecordedOnce(t *testing.T) {
	e, loc := slaEnv(t)
	ctx := context.Background()
	at := func(d, h, m int) time.Time { return time.Date(2026, time.December, d, h, m, 0, 0, loc) }
	// A second service on the same database: another process.
	other, err := tickets.New(tickets.Options{DB: e.db, Clock: e.clk, Logger: testenv.Logger(t), SLA: slaPolicy(t),
		Departments: []string{"soporte", "ventas"}})
	if err != nil {
		t.Fatal(err)
	}
	// Monday 7 Dec 9:00: high, first response 10:00, resolution 17:00.
	late := e.openAt("ana@premium.cl", "tarde", at(7, 9, 0))
	// Medium, first response 13:00.
	fine := e.openAt("maria@cliente.cl", "bien", at(7, 9, 0))

	queue := func(f tickets.QueueFilter) map[int64]bool {
		t.Helper()
		p, err := e.svc.Queue(ctx, ana, f)
		if err != nil {
			t.Fatal(err)
		}
		out := map[int64]bool{}
		for _, tk := range p.Tickets {
			out[tk.Number] = tk.Overdue
		}
		return out
	}
	check := func(wantN int) tickets.SLAReport {
		t.Helper()
		r, err := e.svc.CheckSLAReport(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(r.Breaches) != wantN {
			t.Fatalf("breaches = %+v, want %d", r.Breaches, wantN)
		}
		return r
	}
	breaches := func(n int64, target string) int {
		c := 0
		for _, ev := range e.ticket(n).Events {
			if ev.Type == tickets.EventSLABreach && ev.To == target {
				c++
			}
		}
		return c
	}

	e.clk.Set(at(7, 9, 59))
	check(0)
	if got := queue(tickets.QueueFilter{Overdue: true}); len(got) != 0 {
		t.Fatalf("overdue before any due time: %v", got)
	}

	e.clk.Set(at(7, 10, 1))
	got := queue(tickets.QueueFilter{})
	if !got[late] || got[fine] || len(got) != 2 {
		t.Fatalf("queue marks = %v, want %d overdue and %d not", got, late, fine)
	}
	if got := queue(tickets.QueueFilter{Overdue: true}); len(got) != 1 || !got[late] {
		t.Fatalf("overdue filter = %v, want only %d", got, late)
	}
	r := check(1)
	if b := r.Breaches[0]; b.Ticket != late || b.Target != tickets.TargetFirstResponse || b.Department != "soporte" {
		t.Fatalf("breach = %+v", b)
	}
	if r.Overdue["soporte"] != 1 || r.Overdue["ventas"] != 0 {
		t.Fatalf("overdue by department = %v", r.Overdue)
	}
	check(0) // again: nothing more
	if n, err := other.CheckSLA(ctx); err != nil || n != 0 {
		t.Fatalf("another process: %d, %v", n, err)
	}
	want(t, "first-response breach events", breaches(late, tickets.TargetFirstResponse), 1)

	// The answer meets the first response; the resolution is still owed.
	e.clk.Set(at(7, 11, 0))
	if _, err := e.svc.Reply(ctx, ana, late, tickets.ReplyInput{Key: "r", Force: true, Text: "Vamos."}); err != nil {
		t.Fatal(err)
	}
	if got := queue(tickets.QueueFilter{Overdue: true}); len(got) != 0 {
		t.Fatalf("overdue after the answer: %v", got)
	}

	// 17:01, two processes at once (twice each): resolution of late and
	// first response of fine, each recorded once.
	e.clk.Set(at(7, 17, 1))
	var wg sync.WaitGroup
	var mu sync.Mutex
	total := 0
	for _, s := range []*tickets.Service{e.svc, other, e.svc, other} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			n, err := s.CheckSLA(ctx)
			if err != nil {
				t.Error(err)
			}
			mu.Lock()
			total += n
			mu.Unlock()
		}()
	}
	wg.Wait()
	want(t, "breaches recorded by concurrent runs", total, 2)
	want(t, "resolution breach events", breaches(late, tickets.TargetResolution), 1)
	want(t, "first-response breach events (fine)", breaches(fine, tickets.TargetFirstResponse), 1)
	want(t, "first-response breach events (late)", breaches(late, tickets.TargetFirstResponse), 1)
	tk := e.ticket(late)
	if len(tk.SLABreached) != 2 {
		t.Fatalf("sla_breached = %v", tk.SLABreached)
	}
	r = check(0)
	want(t, "overdue in soporte", r.Overdue["soporte"], 2)

	// Solved owes nothing: no longer overdue.
	if _, err := e.svc.SetStatus(ctx, ana, late, tickets.StatusSolved); err != nil {
		t.Fatal(err)
	}
	if got := queue(tickets.QueueFilter{Overdue: true}); len(got) != 1 || !got[fine] {
		t.Fatalf("overdue after solving %d = %v", late, got)
	}
	want(t, "overdue in soporte after solving", check(0).Overdue["soporte"], 1)
}

// Without a policy the filter is refused and CheckSLA does nothing.
func TestSLAOffRefusesOverdueFilter(t *testing.T) {
	e := newEnv(t, nil)
	_, err := e.svc.Queue(context.Background(), tickets.Actor{Admin: true}, tickets.QueueFilter{Overdue: true})
	var ie *tickets.InputError
	if !errors.As(err, &ie) || ie.Field != "overdue" {
		t.Fatalf("Queue(Overdue) without SLA = %v, want an input error on overdue", err)
	}
	if n, err := e.svc.CheckSLA(context.Background()); n != 0 || err != nil {
		t.Fatalf("CheckSLA without SLA = %d, %v", n, err)
	}
}

// Tickets opened by a process without the policy get due times from
// CheckSLA.
func TestSLABackfillsDueTimes(t *testing.T) {
	e := newEnv(t, nil)
	loc, _ := time.LoadLocation("America/Santiago")
	n := e.openAt("ana@premium.cl", "viejo", time.Date(2026, time.December, 7, 9, 0, 0, 0, loc))
	if !e.ticket(n).FirstResponseDue.IsZero() {
		t.Fatal("due times without a policy")
	}
	with, err := tickets.New(tickets.Options{DB: e.db, Clock: e.clk, Logger: testenv.Logger(t), SLA: slaPolicy(t)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := with.CheckSLA(context.Background()); err != nil {
		t.Fatal(err)
	}
	wantAt(t, "backfilled first response", e.ticket(n).FirstResponseDue, time.Date(2026, time.December, 7, 10, 0, 0, 0, loc))
	// The zero times are absent, so queries on them work.
	want(t, "tickets with first_response_at stored", e.count(tickets.CollQueue,
		bson.D{{Key: "first_response_at", Value: bson.D{{Key: "$exists", Value: true}}}}), int64(0))
}

func slaPolicy(t *testing.T) *sla.Policy {
	t.Helper()
	p, err := sla.FromConfig(config.Default())
	if err != nil {
		t.Fatal(err)
	}
	return p
}
