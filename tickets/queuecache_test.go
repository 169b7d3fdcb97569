package tickets_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"turno/internal/testenv"
	"turno/tickets"
)

// The queue index (queuecache.go) against the store query it replaces:
// random writes through two Services on one database (two processes),
// crashed writers (a marker left, the projection stale or its change
// unrecorded) and lost change entries, and after each step many random
// filters paged to the end on both, for several actors.
func TestQueueIndexMatchesStore(t *testing.T) {
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, 7))
	agents := agentDir{agentAna.Email: agentAna, outside.Email: outside,
		"luis@turno.test": {Email: "luis@turno.test", Departments: []string{"soporte", "pagos"}}}
	depts := []string{"soporte", "pagos", "ventas"}
	e := replyEnv(t, func(o *tickets.Options) {
		o.SLA, o.Agents, o.Departments = slaPolicy(t), agents, depts
	})
	other, err := tickets.New(tickets.Options{DB: e.db, Directory: e.dir, Mailer: e.out, MessageIDKey: testKey,
		Clock: e.clk, Logger: testenv.Logger(t), SLA: slaPolicy(t), Agents: agents, Departments: depts,
		DefaultSender: tickets.Sender{Name: "Mi Proveedor", Address: "hola@turno.example"}, MailDomain: "turno.example"})
	if err != nil {
		t.Fatal(err)
	}
	svcs := []*tickets.Service{e.svc, other}
	ctx := context.Background()
	e.clk.Set(time.Date(2026, time.December, 7, 12, 0, 0, 0, time.UTC)) // a Monday, business hours
	senders := []string{"maria@cliente.cl", "jorge@cliente.cl", "ana@premium.cl", "nadie@gmail.com", "Otro@Gmail.com"}
	words := []string{"Correo caído", "DNS", "Factura [marzo]", "CAÍDA total", "backup", "Web lenta", "ñandú"}
	var nums []int64
	open := func() {
		i := len(nums)
		inc := e.incoming(mail{from: senders[rng.IntN(len(senders))], subject: words[rng.IntN(len(words))],
			id: fmt.Sprintf("qi%d@x", i)}.raw(), "soporte")
		inc.Department = depts[rng.IntN(len(depts))]
		res, err := svcs[rng.IntN(2)].Ingest(ctx, inc)
		if err != nil {
			t.Fatal(err)
		}
		nums = append(nums, res.Ticket)
	}
	// crash leaves what a writer that died mid-update leaves: its marker,
	// the ticket written, and the projection stale (alsoQueue false) or
	// written without its change recorded (alsoQueue true).
	crash := func(n int64, alsoQueue bool) {
		id := fmt.Sprint(n)
		var cur tickets.Ticket
		if err := e.db.Collection(tickets.CollTickets).FindOne(ctx, bson.D{{Key: "_id", Value: id}}).Decode(&cur); err != nil {
			t.Fatal(err)
		}
		if cur.Status == tickets.StatusClosed {
			return
		}
		if _, err := e.db.Collection(tickets.CollDirty).InsertOne(ctx, bson.D{{Key: "_id", Value: id},
			{Key: "token", Value: "crashed"}, {Key: "at", Value: e.clk.Now().Add(-time.Hour)}}); err != nil {
			return // a marker is there already
		}
		set := bson.D{{Key: "version", Value: cur.Version + 1},
			{Key: "subject", Value: words[rng.IntN(len(words))] + " (crash)"}}
		switch rng.IntN(4) {
		case 0:
			set = append(set, bson.E{Key: "status", Value: tickets.StatusPending})
		case 1:
			set = append(set, bson.E{Key: "assignee", Value: "luis@turno.test"})
		case 2:
			if !alsoQueue { // closed: a writer would have deleted its copy
				set = append(set, bson.E{Key: "status", Value: tickets.StatusClosed}, bson.E{Key: "closed_at", Value: e.clk.Now()})
			}
		}
		upd := bson.D{{Key: "$set", Value: set}}
		if _, err := e.db.Collection(tickets.CollTickets).UpdateOne(ctx, bson.D{{Key: "_id", Value: id}}, upd); err != nil {
			t.Fatal(err)
		}
		if alsoQueue {
			if _, err := e.db.Collection(tickets.CollQueue).UpdateOne(ctx, bson.D{{Key: "_id", Value: id}}, upd); err != nil {
				t.Fatal(err)
			}
		}
	}
	act := func() {
		if len(nums) == 0 {
			open()
			return
		}
		n := nums[rng.IntN(len(nums))]
		s := svcs[rng.IntN(2)]
		var err error
		switch rng.IntN(10) {
		case 0, 1:
			open()
		case 2:
			as := []string{"", "luis@turno.test", agentAna.Email, outside.Email}[rng.IntN(4)]
			_, err = s.Assign(ctx, admin, n, as)
		case 3:
			st := []string{tickets.StatusOpen, tickets.StatusPending, tickets.StatusSolved, tickets.StatusClosed}[rng.IntN(4)]
			_, err = s.SetStatus(ctx, admin, n, st)
		case 4:
			_, err = s.SetPriority(ctx, admin, n, []string{"", tickets.LabelHigh, tickets.LabelMedium, tickets.LabelLow}[rng.IntN(4)])
		case 5:
			_, err = s.Move(ctx, admin, n, depts[rng.IntN(len(depts))])
		case 6:
			_, err = s.Reply(ctx, admin, n, tickets.ReplyInput{Key: fmt.Sprintf("r%d", rng.Int()), Force: true, Text: "Hola."})
		case 7:
			crash(n, rng.IntN(2) == 0)
		case 8: // a writer lost between drawing a change number and writing it
			if _, err := e.db.Collection("ticket_counters").UpdateOne(ctx, bson.D{{Key: "_id", Value: "queue_seq"}},
				bson.D{{Key: "$inc", Value: bson.D{{Key: "seq", Value: int64(1)}}}}); err != nil {
				t.Fatal(err)
			}
		case 9:
			_, err = s.CheckSLA(ctx)
		}
		var ie *tickets.InputError
		if err != nil && !errors.As(err, &ie) && !errors.Is(err, tickets.ErrNotFound) {
			t.Fatal(err)
		}
		// Time passes: seconds (gaps are waited for) to hours (due times pass).
		e.clk.Advance(time.Duration(rng.IntN(3)) * []time.Duration{time.Second, 8 * time.Second, 40 * time.Minute}[rng.IntN(3)])
	}
	actors := []tickets.Actor{admin, admin, agentAna, outside, {Email: "luis@turno.test", Departments: []string{"soporte", "pagos"}},
		{Email: "nadie@turno.test"}}
	// some is "" three times in four, else one of xs.
	some := func(xs ...string) string {
		if rng.IntN(4) > 0 {
			return ""
		}
		return xs[rng.IntN(len(xs))]
	}
	filter := func() tickets.QueueFilter {
		return tickets.QueueFilter{
			Status:     some(tickets.StatusNew, tickets.StatusOpen, tickets.StatusPending, tickets.StatusSolved),
			Department: some("soporte", "pagos", " ventas "),
			Assignee:   some("none", "LUIS@turno.test", agentAna.Email),
			Label:      some(tickets.LabelHigh, tickets.LabelMedium, tickets.LabelLow),
			Requester:  some("MARIA@cliente.cl", "otro@gmail.com", "Otro@Gmail.com"),
			Text:       some("caíd", "[MARZO]", "crash", "Ñ", "z"),
			Overdue:    rng.IntN(5) == 0,
			Limit:      []int{0, 1, 2, 3, 5}[rng.IntN(5)],
		}
	}
	pages, rows := 0, 0
	compare := func(step int) {
		for range 12 {
			a, f := actors[rng.IntN(len(actors))], filter()
			s := svcs[rng.IntN(2)]
			for page := 0; ; page++ {
				got, err := s.Queue(ctx, a, f)
				if err != nil {
					t.Fatal(err)
				}
				exp, err := s.QueueFromStore(ctx, a, f)
				if err != nil {
					t.Fatal(err)
				}
				for i := range exp.Tickets {
					exp.Tickets[i].MessageKeys = nil // the index leaves them out
				}
				if !reflect.DeepEqual(got, exp) {
					g, _ := json.Marshal(got)
					x, _ := json.Marshal(exp)
					t.Fatalf("step %d, %+v, %+v, page %d:\nindex %s\nstore %s", step, a, f, page, g, x)
				}
				pages, rows = pages+1, rows+len(got.Tickets)
				if got.Next == "" || page > 50 {
					break
				}
				f.Cursor = got.Next
			}
		}
		for _, s := range svcs {
			got, err := s.QueueStats(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if exp := storeStats(t, e); !reflect.DeepEqual(got, exp) {
				t.Fatalf("step %d: QueueStats\nindex %+v\nstore %+v", step, got, exp)
			}
		}
	}
	for range 15 {
		open()
	}
	for step := range 70 {
		act()
		if step%3 == 2 {
			compare(step)
		}
	}
	compare(70)
	t.Logf("%d tickets, %d pages compared holding %d rows", len(nums), pages, rows)
	if rows < pages/2 {
		t.Fatalf("the filters matched too little to test anything")
	}
}

// storeStats is QueueStats counted from ticket_queue as stored.
func storeStats(t *testing.T, e *env) []tickets.QueueStat {
	t.Helper()
	cur, err := e.db.Collection(tickets.CollQueue).Find(context.Background(), bson.D{})
	if err != nil {
		t.Fatal(err)
	}
	var ts []tickets.Ticket
	if err := cur.All(context.Background(), &ts); err != nil {
		t.Fatal(err)
	}
	by := map[string]*tickets.QueueStat{}
	for _, tk := range ts {
		st := by[tk.Department]
		if st == nil {
			st = &tickets.QueueStat{Department: tk.Department, Oldest: tk.CreatedAt, Assigned: map[string]int{}}
			by[tk.Department] = st
		}
		st.Open++
		if tk.Assignee == "" {
			st.Unassigned++
		} else {
			st.Assigned[tk.Assignee]++
		}
		if tk.CreatedAt.Before(st.Oldest) {
			st.Oldest = tk.CreatedAt
		}
	}
	out := []tickets.QueueStat{}
	for _, st := range by {
		out = append(out, *st)
	}
	slices.SortFunc(out, func(a, b tickets.QueueStat) int { return strings.Compare(a.Department, b.Department) })
	return out
}

// A change entry that never comes (its writer died between drawing the
// number and writing the entry) is waited for, then the index reloads; a
// reader far behind reloads rather than read the log; old entries are
// pruned in blocks of 99 by the writer that draws a multiple of 99.
func TestQueueIndexGapsAndPruning(t *testing.T) {
	e := workEnv(t, nil)
	ctx := context.Background()
	other, err := tickets.New(tickets.Options{DB: e.db, Directory: e.dir, Clock: e.clk, Logger: testenv.Logger(t),
		Agents: agentDir{"luis@turno.test": {Email: "luis@turno.test", Departments: []string{"soporte"}}}})
	if err != nil {
		t.Fatal(err)
	}
	a := e.ingest(mail{from: "maria@cliente.cl", subject: "Uno", id: "g1@x"}.raw()).Ticket
	b := e.ingest(mail{from: "maria@cliente.cl", subject: "Dos", id: "g2@x"}.raw()).Ticket
	want(t, "loaded", fmt.Sprint(queueNumbers(t, e, admin, tickets.QueueFilter{Status: tickets.StatusPending})), "[]")
	seq0, _ := e.svc.QueueIndexState()
	counters := e.db.Collection("ticket_counters")
	if _, err := counters.UpdateOne(ctx, bson.D{{Key: "_id", Value: "queue_seq"}},
		bson.D{{Key: "$inc", Value: bson.D{{Key: "seq", Value: int64(1)}}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := other.SetStatus(ctx, admin, a, tickets.StatusPending); err != nil {
		t.Fatal(err)
	}
	state := func(what string, seq int64, gaps int) {
		t.Helper()
		s, g := e.svc.QueueIndexState()
		if s != seq || g != gaps {
			t.Fatalf("%s: index at change %d with %d gaps, want %d and %d", what, s, g, seq, gaps)
		}
	}
	want(t, "another process's change past a gap", fmt.Sprint(queueNumbers(t, e, admin,
		tickets.QueueFilter{Status: tickets.StatusPending})), fmt.Sprint([]int64{a}))
	state("gap seen", seq0+2, 1)
	e.clk.Advance(5 * time.Second)
	queueNumbers(t, e, admin, tickets.QueueFilter{})
	state("gap waited for", seq0+2, 1)
	e.clk.Advance(6 * time.Second)
	queueNumbers(t, e, admin, tickets.QueueFilter{})
	state("reloaded", seq0+2, 0)

	// Entries 800..1000 stand for the old log; the next change is 5940.
	changes := e.db.Collection(tickets.CollQueueChanges)
	for i := 800; i <= 1000; i++ {
		if _, err := changes.InsertOne(ctx, bson.D{{Key: "_id", Value: fmt.Sprint(i)}, {Key: "ticket", Value: b}}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := counters.UpdateOne(ctx, bson.D{{Key: "_id", Value: "queue_seq"}},
		bson.D{{Key: "$set", Value: bson.D{{Key: "seq", Value: int64(5939)}}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := other.Assign(ctx, admin, b, "luis@turno.test"); err != nil {
		t.Fatal(err)
	}
	for id, kept := range map[string]bool{"841": true, "842": false, "900": false, "940": false, "941": true, "5940": true} {
		want(t, "change "+id+" kept", e.count(tickets.CollQueueChanges, bson.D{{Key: "_id", Value: id}}) == 1, kept)
	}
	want(t, "far behind: reloaded", fmt.Sprint(queueNumbers(t, e, admin,
		tickets.QueueFilter{Assignee: "luis@turno.test"})), fmt.Sprint([]int64{b}))
	state("after the jump", 5940, 0)
}
