package notify_test

import (
	"bytes"
	"context"
	"mime"
	"net/mail"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"turno/agents"
	"turno/msgid"
	"turno/notify"
	"turno/tickets"
)

// TestEachEventReachesTheRightAgents walks a ticket through every event
// kind: each reaches the agents it concerns and never the agent who acted.
func TestEachEventReachesTheRightAgents(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	c := e.customer(0, "", "Hola, Outlook no envía correos.")
	e.step()
	got := e.who()
	// Everyone who sees soporte: its agents and both admins; not ventas.
	wantWho(t, got, "new", "ana@turno.example", "beto@turno.example", "dora@turno.example", "eva@turno.example")

	// Unassigned: a customer reply goes to the department.
	e.customer(c.Ticket, "", "Sigue sin funcionar.")
	e.step()
	wantWho(t, e.who(), "reply", "ana@turno.example", "beto@turno.example", "dora@turno.example", "eva@turno.example")

	// Ana assigns it to Beto: Beto is told, Ana (who acted) is not.
	if _, err := e.tk.Assign(ctx, e.actors["ana@turno.example"], c.Ticket, "beto@turno.example"); err != nil {
		t.Fatal(err)
	}
	e.step()
	wantWho(t, e.who(), "assign", "beto@turno.example")

	// Now a customer reply goes to the assignee alone.
	before := len(e.notifications())
	e.customer(c.Ticket, "", "¿Alguna novedad?")
	e.step()
	ns := e.notifications()[before:]
	if len(ns) != 1 || ns[0].To[0] != "beto@turno.example" {
		t.Fatalf("reply on an assigned ticket went to %+v", ns)
	}
	d := ns[0].data(t)
	if d.Event != "reply" || !strings.Contains(d.Text, "novedad") || d.ClientName != "Comercial Los Andes SpA" ||
		d.ClientTier != "premium" || d.UnpaidBalance != 58490 || ns[0].Lang != "en" {
		t.Fatalf("reply notification %+v (lang %s)", d, ns[0].Lang)
	}

	// Beto's own note mentioning himself tells nobody; a breach on his
	// ticket tells him.
	if _, err := e.tk.Note(ctx, e.actors["beto@turno.example"], c.Ticket, tickets.NoteInput{Key: "n1", Text: "yo (@beto) lo veo"}); err != nil {
		t.Fatal(err)
	}
	breach(t, e, c.Ticket, "first_response")
	e.step()
	got = e.who()
	wantWho(t, got, "mention")
	wantWho(t, got, "sla", "beto@turno.example")
}

// TestNoteMentionNotifiesOnlyThem: a note naming an agent by @localpart or
// by an alternate address tells that agent alone; an agent of another
// department named in it is not told about a ticket they cannot see.
func TestNoteMentionNotifiesOnlyThem(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	c := e.customer(0, "", "Hola.")
	e.step()
	before := len(e.notifications())
	for i, text := range []string{
		"@beto, ¿puedes revisar el DNS? También carla@turno.example.",
		"Ver con beto.soto@gmail.com.",
		"Nada para @betox ni para maria@beto.cl",
	} {
		if _, err := e.tk.Note(ctx, e.actors["ana@turno.example"], c.Ticket, tickets.NoteInput{Key: "n" + string(rune('0'+i)), Text: text}); err != nil {
			t.Fatal(err)
		}
	}
	e.step()
	ns := e.notifications()[before:]
	if len(ns) != 2 || ns[0].To[0] != "beto@turno.example" || ns[1].To[0] != "beto@turno.example" {
		t.Fatalf("mentions went to %+v", ns)
	}
	if d := ns[0].data(t); d.Event != "mention" || d.Actor != "Ana Rojas <ana@turno.example>" || !strings.Contains(d.Text, "DNS") {
		t.Fatalf("mention %+v", d)
	}
}

// TestOnceAcrossCrashAndTwoWorkers: a worker that enqueued and crashed
// before saving its cursor, a restarted one, and two running at once
// enqueue each notification once.
func TestOnceAcrossCrashAndTwoWorkers(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	c := e.customer(0, "", "Hola.")
	e.step()
	first := len(e.notifications())
	if first != 4 {
		t.Fatalf("%d notifications of a new ticket, want 4", first)
	}
	// The crash: the cursor save and the marker's removal never happened.
	if _, err := e.db.Collection(notify.CollCursor).DeleteMany(ctx, bson.D{}); err != nil {
		t.Fatal(err)
	}
	remark(t, e, c.Ticket)
	e.w = e.worker() // restarted
	e.step()
	if n := len(e.notifications()); n != first {
		t.Fatalf("after a crash and restart: %d notifications, want %d", n, first)
	}

	// Two workers at once, on a customer reply.
	e.customer(c.Ticket, "", "Sigue igual.")
	w1, w2 := e.worker(), e.worker()
	var wg sync.WaitGroup
	for _, w := range []*notify.Worker{w1, w2} {
		wg.Go(func() {
			if err := w.Step(ctx); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	e.step()
	if n := len(e.notifications()); n != first+4 {
		t.Fatalf("two workers: %d notifications, want %d", n, first+4)
	}
	if p, _ := e.tk.NotifyPending(ctx); len(p) != 0 {
		t.Fatalf("markers left: %+v", p)
	}
}

// TestPreferencesRespected: an agent who wants only assignments gets no
// new-ticket mail; one who wants none gets nothing.
func TestPreferencesRespected(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	only := []string{agents.NotifyAssign}
	none := []string{agents.NotifyNone}
	if _, err := e.ag.Update(ctx, "beto@turno.example", agents.Edit{Notify: &only}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.ag.Update(ctx, "eva@turno.example", agents.Edit{Notify: &none}); err != nil {
		t.Fatal(err)
	}
	c := e.customer(0, "", "Hola.")
	if _, err := e.tk.Assign(ctx, e.actors["dora@turno.example"], c.Ticket, "beto@turno.example"); err != nil {
		t.Fatal(err)
	}
	e.step()
	got := e.who()
	wantWho(t, got, "new", "ana@turno.example", "dora@turno.example")
	wantWho(t, got, "assign", "beto@turno.example")
}

// TestAutoReplyNotifiesNobody: an out-of-office answer from the customer
// tells no agent; the next notification on the ticket mentions it.
func TestAutoReplyNotifiesNobody(t *testing.T) {
	e := newEnv(t)
	c := e.customer(0, "", "Hola.")
	e.step()
	before := len(e.notifications())
	e.customer(c.Ticket, "Auto-Submitted: auto-replied\r\n", "Estoy fuera de la oficina hasta el lunes.")
	e.step()
	if n := len(e.notifications()); n != before {
		t.Fatalf("an auto-reply made %d notifications", n-before)
	}
	e.customer(c.Ticket, "", "Ya volví: ¿novedades?")
	e.step()
	ns := e.notifications()[before:]
	if len(ns) == 0 {
		t.Fatal("no notification of the real reply")
	}
	for _, n := range ns {
		if d := n.data(t); d.Automatic != 1 || strings.Contains(d.Text, "oficina") {
			t.Fatalf("notification %+v: want one automatic message mentioned, none of its text", d)
		}
	}
}

// TestNotificationMail: the mail an agent receives through the outbox: a
// Message-ID msgid.Notice reads as naming the agent, the ticket and its
// newest public message; From and Reply-To the department's address;
// marked automatic and as Turno's own; tagged and threaded.
func TestNotificationMail(t *testing.T) {
	e := newEnv(t)
	only := []string{agents.NotifyNone}
	for _, a := range []string{"beto@turno.example", "dora@turno.example", "eva@turno.example"} {
		if _, err := e.ag.Update(context.Background(), a, agents.Edit{Notify: &only}); err != nil {
			t.Fatal(err)
		}
	}
	c := e.customer(0, "", "Hola, Outlook no envía correos.\n\nEl 15 de noviembre escribí:\n> algo viejo")
	e.step()
	ns := e.notifications()
	if len(ns) != 1 {
		t.Fatalf("%d notifications", len(ns))
	}
	ref, ok := msgid.Notice(ns[0].MessageID, testKey)
	tk, err := e.tk.Ticket(context.Background(), c.Ticket)
	if err != nil {
		t.Fatal(err)
	}
	if !ok || ref.Ticket != c.Ticket || ref.AgentTag != msgid.Tag("ana@turno.example") || ref.LastTag != msgid.Tag(tk.LastPublic.Key) {
		t.Fatalf("Message-ID %s reads %+v, %v", ns[0].MessageID, ref, ok)
	}

	if err := e.ob.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = e.ob.Stop(ctx)
	})
	var raw []byte
	deadline := time.Now().Add(20 * time.Second)
	for raw == nil {
		for _, r := range e.smtp.Received() {
			if len(r.To) == 1 && r.To[0] == "ana@turno.example" {
				raw = r.Data
			}
		}
		if raw == nil {
			if time.Now().After(deadline) {
				t.Fatalf("no notification delivered (%d messages)", len(e.smtp.Received()))
			}
			e.ob.Kick()
			time.Sleep(20 * time.Millisecond)
		}
	}
	m, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	h := m.Header
	for k, want := range map[string]string{
		"Message-Id":     ns[0].MessageID,
		"Reply-To":       "<soporte@turno.example>",
		"Auto-Submitted": "auto-generated",
		"X-Turno-Loop":   "",
		"In-Reply-To":    "<m1@cliente.cl>",
	} {
		got := h.Get(k)
		if got == "" || (want != "" && got != want) {
			t.Errorf("%s: %q, want %q", k, got, want)
		}
	}
	if from, _ := mail.ParseAddress(h.Get("From")); from == nil || from.Address != "soporte@turno.example" {
		t.Errorf("From %q", h.Get("From"))
	}
	dec := new(mime.WordDecoder)
	subject, _ := dec.DecodeHeader(h.Get("Subject"))
	if !strings.Contains(subject, "[Ticket #") || !strings.Contains(subject, "Nueva solicitud") {
		t.Errorf("Subject %q", subject)
	}
	d := ns[0].data(t)
	if !strings.Contains(d.Text, "Outlook") || strings.Contains(d.Text, "algo viejo") {
		t.Errorf("text shown %q: want the message without its quoted history", d.Text)
	}
}

// breach writes a service-level breach event as the SLA tracking does (an
// event on the ticket, its notification marker first).
func breach(t *testing.T, e *env, n int64, target string) {
	t.Helper()
	remark(t, e, n)
	ev := tickets.Event{At: e.clk.Now().UTC(), By: tickets.BySystem, Type: notify.EventSLABreach, To: target}
	_, err := e.db.Collection(tickets.CollTickets).UpdateOne(context.Background(), bson.D{{Key: "_id", Value: idOf(n)}},
		bson.D{{Key: "$push", Value: bson.D{{Key: "events", Value: ev}}}})
	if err != nil {
		t.Fatal(err)
	}
}

// remark puts ticket n's notification marker back, as a crash before its
// removal leaves it.
func remark(t *testing.T, e *env, n int64) {
	t.Helper()
	_, err := e.db.Collection(tickets.CollNotifyPending).UpdateOne(context.Background(), bson.D{{Key: "_id", Value: idOf(n)}},
		bson.D{{Key: "$set", Value: bson.D{{Key: "token", Value: "crash"}, {Key: "at", Value: e.clk.Now()}}}},
		options.UpdateOne().SetUpsert(true))
	if err != nil {
		t.Fatal(err)
	}
}

func idOf(n int64) string { return strconv.FormatInt(n, 10) }
