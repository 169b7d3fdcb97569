package tickets_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"turno/tickets"
)

func queueNumbers(t *testing.T, e *env, a tickets.Actor, f tickets.QueueFilter) []int64 {
	t.Helper()
	p, err := e.svc.Queue(context.Background(), a, f)
	if err != nil {
		t.Fatal(err)
	}
	out := []int64{}
	for _, tk := range p.Tickets {
		if len(tk.Events) > 0 {
			t.Fatal("the queue carries events")
		}
		out = append(out, tk.Number)
	}
	return out
}

func TestAgentQueueOrderFiltersAndPaging(t *testing.T) {
	w := tickets.DefaultWeights()
	w.Departments = map[string]int{"pagos": 5}
	e := workEnv(t, func(o *tickets.Options) { o.Weights = &w })
	ctx := context.Background()
	ins := []struct {
		from, dept, subject string
		at                  time.Duration
	}{
		{"nadie@gmail.com", "soporte", "Sin acceso", 0},                  // 20 low
		{"maria@cliente.cl", "soporte", "Correo caído", 3 * time.Minute}, // 30
		{"ana@premium.cl", "soporte", "Web [caída]", 5 * time.Minute},    // 45 high
		{"maria@cliente.cl", "soporte", "DNS", 1 * time.Minute},          // 30, older
		{"maria@cliente.cl", "pagos", "Factura", 4 * time.Minute},        // 35
		{"ana@premium.cl", "soporte", "Backup", 2 * time.Minute},         // 45, older
	}
	num := map[int]int64{}
	for i, x := range ins {
		inc := e.incoming(mail{from: x.from, subject: x.subject, id: fmt.Sprintf("aq%d@x", i)}.raw(), "mb")
		inc.Department, inc.ArrivedAt = x.dept, t0.Add(x.at)
		num[i] = e.ingestIn(inc).Ticket
	}
	exp := func(idx ...int) string {
		out := []int64{}
		for _, i := range idx {
			out = append(out, num[i])
		}
		return fmt.Sprint(out)
	}
	check := func(name string, a tickets.Actor, f tickets.QueueFilter, idx ...int) {
		t.Helper()
		if got := fmt.Sprint(queueNumbers(t, e, a, f)); got != exp(idx...) {
			t.Fatalf("%s: got %s, want %s", name, got, exp(idx...))
		}
	}
	check("admin", admin, tickets.QueueFilter{}, 5, 2, 4, 3, 1, 0)
	check("soporte only", agentAna, tickets.QueueFilter{}, 5, 2, 3, 1, 0)
	check("pagos for ana", agentAna, tickets.QueueFilter{Department: "pagos"})
	check("pagos for admin", admin, tickets.QueueFilter{Department: "pagos"}, 4)
	check("high", agentAna, tickets.QueueFilter{Label: "high"}, 5, 2)
	check("requester any case", agentAna, tickets.QueueFilter{Requester: " MARIA@Cliente.CL "}, 3, 1)
	check("text", agentAna, tickets.QueueFilter{Text: "CAÍD"}, 2, 1)
	check("text is not a regex", agentAna, tickets.QueueFilter{Text: "[caída]"}, 2)
	if _, err := e.svc.Assign(ctx, agentAna, num[3], "luis@turno.test"); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.SetStatus(ctx, agentAna, num[1], tickets.StatusPending); err != nil {
		t.Fatal(err)
	}
	check("assignee", agentAna, tickets.QueueFilter{Assignee: "luis@turno.test"}, 3)
	check("unassigned", agentAna, tickets.QueueFilter{Assignee: "none"}, 5, 2, 1, 0)
	check("pending", agentAna, tickets.QueueFilter{Status: "pending"}, 1)
	check("new", agentAna, tickets.QueueFilter{Status: "new"}, 5, 2, 3, 0)
	if _, err := e.svc.SetStatus(ctx, agentAna, num[0], tickets.StatusClosed); err != nil {
		t.Fatal(err)
	}
	check("closed", agentAna, tickets.QueueFilter{Status: "closed"}, 0)
	check("all", agentAna, tickets.QueueFilter{Status: "all"}, 5, 2, 3, 1, 0)
	check("queue", agentAna, tickets.QueueFilter{}, 5, 2, 3, 1)

	// Pages of two walk the whole queue once.
	var walked []int64
	f := tickets.QueueFilter{Limit: 2}
	for pages := 0; ; pages++ {
		p, err := e.svc.Queue(ctx, admin, f)
		if err != nil {
			t.Fatal(err)
		}
		for _, tk := range p.Tickets {
			walked = append(walked, tk.Number)
		}
		if p.Next == "" {
			break
		}
		if pages > 5 {
			t.Fatal("paging does not end")
		}
		f.Cursor = p.Next
	}
	if fmt.Sprint(walked) != exp(5, 2, 4, 3, 1) {
		t.Fatalf("paged: %v", walked)
	}

	for field, f := range map[string]tickets.QueueFilter{
		"status": {Status: "abierto"}, "label": {Label: "urgente"}, "limit": {Limit: 501},
		"cursor": {Cursor: "%%%"},
	} {
		_, err := e.svc.Queue(ctx, agentAna, f)
		inputField(t, err, field)
	}
	if _, err := e.svc.Queue(ctx, agentAna, tickets.QueueFilter{Limit: -1}); err == nil {
		t.Fatal("negative limit accepted")
	}
}

// A writer that crashed after writing the ticket left its marker and a stale
// queue document: the next Queue repairs both.
func TestQueueRepairsAfterCrash(t *testing.T) {
	e := workEnv(t, nil)
	ctx := context.Background()
	a := e.ingest(mail{from: "maria@cliente.cl", subject: "Uno", id: "r1@x"}.raw()).Ticket
	b := e.ingest(mail{from: "maria@cliente.cl", subject: "Dos", id: "r2@x"}.raw()).Ticket
	want(t, "markers after ingest", e.count(tickets.CollDirty, bson.D{}), int64(0))
	want(t, "queued", e.count(tickets.CollQueue, bson.D{}), int64(2))
	crash := func(n int64, set bson.D) {
		id := fmt.Sprint(n)
		if _, err := e.db.Collection(tickets.CollDirty).InsertOne(ctx, bson.D{{Key: "_id", Value: id},
			{Key: "token", Value: "crashed"}, {Key: "at", Value: t0.Add(-time.Hour)}}); err != nil {
			t.Fatal(err)
		}
		set = append(set, bson.E{Key: "version", Value: int64(2)})
		if _, err := e.db.Collection(tickets.CollTickets).UpdateOne(ctx, bson.D{{Key: "_id", Value: id}},
			bson.D{{Key: "$set", Value: set}}); err != nil {
			t.Fatal(err)
		}
	}
	crash(a, bson.D{{Key: "status", Value: tickets.StatusPending}})
	crash(b, bson.D{{Key: "status", Value: tickets.StatusClosed}, {Key: "closed_at", Value: t0}})
	got := queueNumbers(t, e, agentAna, tickets.QueueFilter{})
	if fmt.Sprint(got) != fmt.Sprint([]int64{a}) {
		t.Fatalf("queue after repair: %v", got)
	}
	p, _ := e.svc.Queue(ctx, agentAna, tickets.QueueFilter{})
	want(t, "repaired status", p.Tickets[0].Status, tickets.StatusPending)
	want(t, "stale markers cleared", e.count(tickets.CollDirty, bson.D{}), int64(0))
	// The ticket is writable again (its marker was a crashed writer's).
	if _, err := e.svc.SetStatus(ctx, agentAna, a, tickets.StatusOpen); err != nil {
		t.Fatal(err)
	}
	want(t, "after update", queueNumbers(t, e, agentAna, tickets.QueueFilter{Status: "open"})[0], a)
}

// Concurrent changes to one ticket all land: none overwrites another.
func TestConcurrentChangesAllLand(t *testing.T) {
	e := workEnv(t, nil)
	ctx := context.Background()
	n := e.ingest(mail{from: "maria@cliente.cl", subject: "Carrera", id: "cc1@x"}.raw()).Ticket
	errs := make(chan error, 3)
	go func() { _, err := e.svc.Assign(ctx, agentAna, n, "luis@turno.test"); errs <- err }()
	go func() { _, err := e.svc.SetStatus(ctx, agentAna, n, tickets.StatusPending); errs <- err }()
	go func() { _, err := e.svc.SetPriority(ctx, agentAna, n, tickets.LabelHigh); errs <- err }()
	for range 3 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	tk := e.ticket(n)
	want(t, "assignee", tk.Assignee, "luis@turno.test")
	want(t, "status", tk.Status, tickets.StatusPending)
	want(t, "label", tk.Label, tickets.LabelHigh)
	want(t, "events", len(tk.Events), 4)
	want(t, "version", tk.Version, int64(4))
	p, _ := e.svc.Queue(ctx, agentAna, tickets.QueueFilter{})
	want(t, "queue version", p.Tickets[0].Version, int64(4))
}
