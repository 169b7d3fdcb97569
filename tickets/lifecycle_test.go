package tickets_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"turno/clients"
	"turno/tickets"
)

// agentDir is the agents registry as tickets sees it.
type agentDir map[string]tickets.Actor

func (d agentDir) Actor(_ context.Context, email string) (tickets.Actor, error) {
	a, ok := d[email]
	if !ok {
		return tickets.Actor{}, tickets.ErrNoAgent
	}
	return a, nil
}

// linker registers the address in the test directory, as the clients
// registry would.
type linker struct {
	dir   directory
	tier  string
	calls []string
}

func (l *linker) LinkContact(_ context.Context, clientID, addr, name, by string) error {
	l.calls = append(l.calls, clientID+"|"+addr+"|"+by)
	l.dir[addr] = append(l.dir[addr], clients.Membership{ClientID: clientID, Role: clients.RoleTechnical,
		ClientActive: true, SupportTier: l.tier})
	return nil
}

var (
	agentAna = tickets.Actor{Email: "ana@turno.test", Name: "Ana", Departments: []string{"soporte"}}
	outside  = tickets.Actor{Email: "pedro@turno.test", Name: "Pedro", Departments: []string{"ventas"}}
	admin    = tickets.Actor{Email: "root@turno.test", Admin: true}
)

func workEnv(t *testing.T, mod func(*tickets.Options)) *env {
	return newEnv(t, func(o *tickets.Options) {
		o.Agents = agentDir{agentAna.Email: agentAna, outside.Email: outside,
			"luis@turno.test": {Email: "luis@turno.test", Departments: []string{"soporte", "pagos"}}}
		if mod != nil {
			mod(o)
		}
	})
}

func inputField(t *testing.T, err error, field string) {
	t.Helper()
	var ie *tickets.InputError
	if !errors.As(err, &ie) {
		t.Fatalf("err = %v, want an InputError on %q", err, field)
	}
	want(t, "field", ie.Field, field)
}

func lastEvent(t *testing.T, tk *tickets.Ticket) tickets.Event {
	t.Helper()
	if len(tk.Events) == 0 {
		t.Fatal("no events")
	}
	return tk.Events[len(tk.Events)-1]
}

func TestLifecycleStatusAndEvents(t *testing.T) {
	e := workEnv(t, nil)
	ctx := context.Background()
	n := e.ingest(mail{from: "maria@cliente.cl", subject: "Caído", id: "l1@x"}.raw()).Ticket
	tk := e.ticket(n)
	want(t, "status", tk.Status, tickets.StatusNew)
	want(t, "created event", tk.Events[0].Type+"/"+tk.Events[0].By, "created/customer")
	want(t, "last public", tk.LastPublic.Key, "l1@x")
	want(t, "score", tk.Score, tk.Priority)

	tk, err := e.svc.SetStatus(ctx, agentAna, n, tickets.StatusPending)
	if err != nil {
		t.Fatal(err)
	}
	ev := lastEvent(t, tk)
	want(t, "event", ev.Type+" "+ev.By+" "+ev.From+"→"+ev.To, "status ana@turno.test new→pending")
	v := tk.Version
	tk, err = e.svc.SetStatus(ctx, agentAna, n, tickets.StatusPending)
	if err != nil {
		t.Fatal(err)
	}
	want(t, "no-op version", tk.Version, v)
	for _, bad := range []string{tickets.StatusNew, "abierto", ""} {
		_, err = e.svc.SetStatus(ctx, agentAna, n, bad)
		inputField(t, err, "status")
	}
	want(t, "version after refusals", e.ticket(n).Version, v)

	tk, _ = e.svc.SetStatus(ctx, agentAna, n, tickets.StatusSolved)
	want(t, "solved_at", tk.SolvedAt.Equal(t0), true)
	tk, _ = e.svc.SetStatus(ctx, agentAna, n, tickets.StatusClosed)
	want(t, "closed_at set", tk.ClosedAt.IsZero(), false)
	if p, _ := e.svc.Queue(ctx, agentAna, tickets.QueueFilter{}); len(p.Tickets) != 0 {
		t.Fatalf("closed ticket still queued: %+v", p.Tickets)
	}
	tk, _ = e.svc.SetStatus(ctx, agentAna, n, tickets.StatusOpen)
	want(t, "reopened clears", tk.ClosedAt.IsZero() && tk.SolvedAt.IsZero(), true)
	if p, _ := e.svc.Queue(ctx, agentAna, tickets.QueueFilter{}); len(p.Tickets) != 1 {
		t.Fatalf("reopened ticket not queued: %+v", p.Tickets)
	}
	got := e.ticket(n)
	want(t, "events", len(got.Events), 5) // created, pending, solved, closed, open
}

func TestScopeHidesOtherDepartments(t *testing.T) {
	e := workEnv(t, func(o *tickets.Options) { o.Linker = &linker{} })
	ctx := context.Background()
	n := e.ingest(mail{from: "nadie@gmail.com", subject: "Hola", id: "s1@x"}.raw()).Ticket
	m := e.ingest(mail{from: "maria@cliente.cl", subject: "Otro", id: "s2@x"}.raw()).Ticket
	calls := map[string]func() error{
		"get":      func() error { _, err := e.svc.Get(ctx, outside, n); return err },
		"assign":   func() error { _, err := e.svc.Assign(ctx, outside, n, "pedro@turno.test"); return err },
		"unassign": func() error { _, err := e.svc.Assign(ctx, outside, n, ""); return err },
		"status":   func() error { _, err := e.svc.SetStatus(ctx, outside, n, "open"); return err },
		"priority": func() error { _, err := e.svc.SetPriority(ctx, outside, n, "high"); return err },
		"move":     func() error { _, err := e.svc.Move(ctx, outside, n, "ventas"); return err },
		"link":     func() error { _, err := e.svc.Link(ctx, outside, n, "C1"); return err },
		"merge":    func() error { _, err := e.svc.Merge(ctx, outside, n, m); return err },
	}
	for name, call := range calls {
		if err := call(); !errors.Is(err, tickets.ErrNotFound) {
			t.Fatalf("%s: err = %v, want ErrNotFound", name, err)
		}
	}
	want(t, "untouched", e.ticket(n).Version, int64(1))
	p, err := e.svc.Queue(ctx, outside, tickets.QueueFilter{})
	if err != nil {
		t.Fatal(err)
	}
	want(t, "outsider's queue", len(p.Tickets), 0)
	p, _ = e.svc.Queue(ctx, outside, tickets.QueueFilter{Department: "soporte"})
	want(t, "outsider asking for soporte", len(p.Tickets), 0)
	p, _ = e.svc.Queue(ctx, admin, tickets.QueueFilter{})
	want(t, "admin's queue", len(p.Tickets), 2)
	if _, err := e.svc.Get(ctx, agentAna, 999999); !errors.Is(err, tickets.ErrNotFound) {
		t.Fatalf("missing ticket: %v", err)
	}
}

func TestAssign(t *testing.T) {
	e := workEnv(t, nil)
	ctx := context.Background()
	n := e.ingest(mail{from: "maria@cliente.cl", subject: "Asignar", id: "a1@x"}.raw()).Ticket
	tk, err := e.svc.Assign(ctx, agentAna, n, "LUIS@turno.test")
	if err != nil {
		t.Fatal(err)
	}
	want(t, "assignee", tk.Assignee, "luis@turno.test")
	ev := lastEvent(t, tk)
	want(t, "event", ev.Type+" "+ev.From+"→"+ev.To, "assign →luis@turno.test")
	_, err = e.svc.Assign(ctx, agentAna, n, outside.Email) // not an agent of soporte
	inputField(t, err, "assignee")
	_, err = e.svc.Assign(ctx, agentAna, n, "ghost@turno.test")
	inputField(t, err, "assignee")
	want(t, "assignee kept", e.ticket(n).Assignee, "luis@turno.test")
	tk, err = e.svc.Assign(ctx, agentAna, n, "")
	if err != nil {
		t.Fatal(err)
	}
	want(t, "unassigned", tk.Assignee, "")
}

func TestPriorityOverrideAndMove(t *testing.T) {
	w := tickets.DefaultWeights()
	w.Departments = map[string]int{"pagos": 5}
	e := workEnv(t, func(o *tickets.Options) { o.Weights = &w; o.Departments = []string{"soporte", "pagos"} })
	ctx := context.Background()
	low := e.ingest(mail{from: "nadie@gmail.com", subject: "Bajo", id: "p1@x"}.raw()).Ticket   // 20
	mid := e.ingest(mail{from: "maria@cliente.cl", subject: "Medio", id: "p2@x"}.raw()).Ticket // 30
	order := func() []int64 {
		p, err := e.svc.Queue(ctx, admin, tickets.QueueFilter{})
		if err != nil {
			t.Fatal(err)
		}
		var out []int64
		for _, tk := range p.Tickets {
			out = append(out, tk.Number)
		}
		return out
	}
	want(t, "first", order()[0], mid)
	tk, err := e.svc.SetPriority(ctx, agentAna, low, "HIGH")
	if err != nil {
		t.Fatal(err)
	}
	want(t, "label", tk.Label, tickets.LabelHigh)
	want(t, "priority", tk.Priority, w.High+100)
	want(t, "score kept", tk.Score, 20)
	want(t, "override first", order()[0], low)
	_, err = e.svc.SetPriority(ctx, agentAna, low, "urgent")
	inputField(t, err, "priority")

	// Moving keeps the override and recomputes the score underneath.
	tk, err = e.svc.Move(ctx, agentAna, low, "pagos")
	if err != nil {
		t.Fatal(err)
	}
	want(t, "moved score", tk.Score, 25)
	want(t, "override kept", tk.Label, tickets.LabelHigh)
	ev := lastEvent(t, tk)
	want(t, "event", ev.Type+" "+ev.From+"→"+ev.To, "department soporte→pagos")
	tk, err = e.svc.SetPriority(ctx, admin, low, "")
	if err != nil {
		t.Fatal(err)
	}
	want(t, "restored", tk.Priority, 25)
	want(t, "restored label", tk.Label, tickets.LabelLow)
	want(t, "order restored", order()[0], mid)
	_, err = e.svc.Move(ctx, agentAna, mid, "marte")
	inputField(t, err, "department")
	// Ana does not see pagos: the moved ticket is gone for her.
	if _, err := e.svc.Get(ctx, agentAna, low); !errors.Is(err, tickets.ErrNotFound) {
		t.Fatalf("moved out of scope: %v", err)
	}
}

func TestLinkUnverifiedRequester(t *testing.T) {
	var l *linker
	e := workEnv(t, nil)
	l = &linker{dir: e.dir, tier: "premium"}
	e2 := workEnv(t, func(o *tickets.Options) { o.Linker = l; o.Directory = e.dir })
	ctx := context.Background()
	n := e2.ingest(mail{from: "Nuevo <nuevo@gmail.com>", subject: "Soy cliente", id: "k1@x"}.raw()).Ticket
	tk := e2.ticket(n)
	want(t, "unverified", tk.Unverified, true)
	want(t, "score", tk.Score, 20)
	tk, err := e2.svc.Link(ctx, agentAna, n, "C2")
	if err != nil {
		t.Fatal(err)
	}
	want(t, "client", tk.ClientID, "C2")
	want(t, "verified", tk.Unverified, false)
	want(t, "score", tk.Score, 45) // email 20 + contact 10 + premium 15
	want(t, "label", tk.Label, tickets.LabelHigh)
	want(t, "linker", l.calls[0], "C2|nuevo@gmail.com|ana@turno.test")
	ev := lastEvent(t, tk)
	want(t, "event", ev.Type+" "+ev.To, "link C2")
	_, err = e2.svc.Link(ctx, agentAna, n, "C9")
	inputField(t, err, "client")
	want(t, "one link", len(l.calls), 1)
}

func TestCustomerReplyReopensPendingAndSolved(t *testing.T) {
	e := workEnv(t, nil)
	ctx := context.Background()
	n := e.ingest(mail{from: "maria@cliente.cl", subject: "Ayuda", id: "c1@x"}.raw()).Ticket
	for i, st := range []string{tickets.StatusPending, tickets.StatusSolved} {
		if _, err := e.svc.SetStatus(ctx, agentAna, n, st); err != nil {
			t.Fatal(err)
		}
		e.clk.Advance(time.Minute)
		id := []string{"c2@x", "c3@x"}[i]
		raw := mail{from: "maria@cliente.cl", subject: "Re: Ayuda", id: id, inReplyTo: "<c1@x>"}.raw()
		res := e.ingest(raw)
		want(t, "joined", res.Ticket, n)
		tk := e.ticket(n)
		want(t, "status after reply to "+st, tk.Status, tickets.StatusOpen)
		want(t, "last public", tk.LastPublic.Key, id)
		ev := lastEvent(t, tk)
		want(t, "event", ev.By+" "+ev.Type+" "+ev.From+"→"+ev.To, "customer status "+st+"→open")
		// A retry of the same mail changes nothing.
		v := tk.Version
		e.ingest(raw)
		want(t, "retry", e.ticket(n).Version, v)
	}
	// Closed within the window: reopened.
	if _, err := e.svc.SetStatus(ctx, agentAna, n, tickets.StatusClosed); err != nil {
		t.Fatal(err)
	}
	e.clk.Advance(time.Hour)
	e.ingest(mail{from: "maria@cliente.cl", subject: "Re: Ayuda", id: "c4@x", inReplyTo: "<c1@x>"}.raw())
	tk := e.ticket(n)
	want(t, "reopened", tk.Status, tickets.StatusOpen)
	want(t, "reopen event", lastEvent(t, tk).Type, tickets.EventReopened)
	// An automatic answer changes nothing.
	if _, err := e.svc.SetStatus(ctx, agentAna, n, tickets.StatusPending); err != nil {
		t.Fatal(err)
	}
	e.ingest(mail{from: "maria@cliente.cl", subject: "Fuera de la oficina", id: "c5@x", inReplyTo: "<c1@x>",
		extra: "Auto-Submitted: auto-replied\r\n"}.raw())
	want(t, "auto reply keeps pending", e.ticket(n).Status, tickets.StatusPending)
}

func TestCloseSolvedAfterCloseAfter(t *testing.T) {
	e := workEnv(t, func(o *tickets.Options) { o.CloseAfter = 4 * 24 * time.Hour })
	ctx := context.Background()
	a := e.ingest(mail{from: "maria@cliente.cl", subject: "Uno", id: "x1@x"}.raw()).Ticket
	b := e.ingest(mail{from: "maria@cliente.cl", subject: "Dos", id: "x2@x"}.raw()).Ticket
	if _, err := e.svc.SetStatus(ctx, agentAna, a, tickets.StatusSolved); err != nil {
		t.Fatal(err)
	}
	e.clk.Advance(3 * 24 * time.Hour)
	if _, err := e.svc.SetStatus(ctx, agentAna, b, tickets.StatusSolved); err != nil {
		t.Fatal(err)
	}
	n, err := e.svc.CloseSolved(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want(t, "closed early", n, 0)
	e.clk.Advance(24*time.Hour + time.Second)
	n, err = e.svc.CloseSolved(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want(t, "closed", n, 1)
	tk := e.ticket(a)
	want(t, "a", tk.Status, tickets.StatusClosed)
	ev := lastEvent(t, tk)
	want(t, "event", ev.By+" "+ev.From+"→"+ev.To, "system solved→closed")
	want(t, "b", e.ticket(b).Status, tickets.StatusSolved)
	n, _ = e.svc.CloseSolved(ctx)
	want(t, "again", n, 0)
}
