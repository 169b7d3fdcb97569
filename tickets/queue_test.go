package tickets_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"turno/mailin/parse"
	"turno/tickets"
)

func TestQueueOrderAndFilters(t *testing.T) {
	w := tickets.DefaultWeights()
	w.Departments = map[string]int{"pagos": 5}
	e := newEnv(t, func(o *tickets.Options) { o.Weights = &w })
	type in struct {
		from, dept, channel string
		at                  time.Duration
	}
	// Arrival order differs from both insertion and number order.
	ins := []in{
		{"nadie@gmail.com", "soporte", "", 0},                                   // 20 low
		{"maria@cliente.cl", "soporte", "", 3 * time.Minute},                    // 30 medium
		{"ana@premium.cl", "soporte", "", 5 * time.Minute},                      // 45 high
		{"maria@cliente.cl", "soporte", "", 1 * time.Minute},                    // 30 medium, older
		{"maria@cliente.cl", "pagos", "", 4 * time.Minute},                      // 35 medium
		{"jorge@cliente.cl", "soporte", tickets.ChannelPortal, 6 * time.Minute}, // 40 medium
		{"ana@premium.cl", "soporte", "", 2 * time.Minute},                      // 45 high, older
	}
	num := map[int]int64{}
	for i, x := range ins {
		inc := e.incoming(mail{from: x.from, subject: fmt.Sprint("q", i), id: fmt.Sprintf("q%d@x", i)}.raw(), "mb")
		inc.Department, inc.Channel, inc.ArrivedAt = x.dept, x.channel, t0.Add(x.at)
		num[i] = e.ingestIn(inc).Ticket
	}
	list := func(f tickets.Filter) []int64 {
		ts, err := e.svc.List(context.Background(), f)
		if err != nil {
			t.Fatal(err)
		}
		var out []int64
		for _, tk := range ts {
			out = append(out, tk.Number)
		}
		return out
	}
	check := func(name string, got []int64, idx ...int) {
		t.Helper()
		var exp []int64
		for _, i := range idx {
			exp = append(exp, num[i])
		}
		if fmt.Sprint(got) != fmt.Sprint(exp) {
			t.Fatalf("%s: got %v, want %v", name, got, exp)
		}
	}
	check("queue", list(tickets.Filter{}), 6, 2, 5, 4, 3, 1, 0)
	check("high", list(tickets.Filter{Label: tickets.LabelHigh}), 6, 2)
	check("pagos", list(tickets.Filter{Department: "pagos"}), 4)
	if err := e.svc.Close(context.Background(), num[6]); err != nil {
		t.Fatal(err)
	}
	check("new", list(tickets.Filter{Status: tickets.StatusNew}), 2, 5, 4, 3, 1, 0)
	check("closed", list(tickets.Filter{Status: tickets.StatusClosed}), 6)
	check("limit", list(tickets.Filter{Limit: 2}), 6, 2)
}

func TestPriorityScore(t *testing.T) {
	w := tickets.DefaultWeights()
	w.Departments = map[string]int{"urgencias": 20, "ventas": -5}
	for _, c := range []struct {
		channel, tier, dept string
		registered          bool
		p                   int
		label               string
	}{
		{tickets.ChannelEmail, "", "soporte", false, 20, tickets.LabelLow},
		{tickets.ChannelEmail, "premium", "soporte", false, 20, tickets.LabelLow}, // tier needs a registered contact
		{tickets.ChannelEmail, "", "soporte", true, 30, tickets.LabelMedium},
		{tickets.ChannelEmail, "Premium", "soporte", true, 45, tickets.LabelHigh},
		{tickets.ChannelPortal, "", "soporte", true, 40, tickets.LabelMedium},
		{tickets.ChannelAPI, "premium", "soporte", true, 55, tickets.LabelHigh},
		{tickets.ChannelEmail, "", "urgencias", false, 40, tickets.LabelMedium},
		{tickets.ChannelEmail, "", "ventas", true, 25, tickets.LabelLow},
	} {
		p, label := w.Score(tickets.PriorityInput{Channel: c.channel, Registered: c.registered, Tier: c.tier, Department: c.dept})
		if p != c.p || label != c.label {
			t.Errorf("%+v: got %d %s, want %d %s", c, p, label, c.p, c.label)
		}
	}
}

type bounceRecorder struct {
	calls []string
	known map[string]bool
}

func (b *bounceRecorder) RecordBounce(_ context.Context, orig string, rcpts []parse.BounceRecipient) (bool, error) {
	b.calls = append(b.calls, orig+" "+rcpts[0].Address+" "+rcpts[0].Status)
	return b.known[orig], nil
}

func TestBouncesNeverOpenTickets(t *testing.T) {
	br := &bounceRecorder{known: map[string]bool{}}
	e := newEnv(t, func(o *tickets.Options) { o.Bounces = br })
	raw := e.file("bounce_dsn.eml")
	r := e.ingest(raw)
	want(t, "outcome", r.Outcome, tickets.OutcomeBounce)
	want(t, "matched", r.BounceMatched, false)
	want(t, "call", fmt.Sprint(br.calls), "[nota-2025-03-4411@turno.example contabilidad@cliente-viejo.cl 5.1.1]")
	want(t, "tickets", e.count(tickets.CollTickets, bson.D{}), int64(0))
	want(t, "messages", e.count(tickets.CollMessages, bson.D{}), int64(0))
	want(t, "sent", len(e.out.sent()), 0)
	un, err := e.svc.UnmatchedBounces(context.Background(), 0)
	if err != nil {
		t.Fatal(err)
	}
	want(t, "unmatched", len(un), 1)
	want(t, "unmatched original", un[0].OriginalMessageID, "nota-2025-03-4411@turno.example")
	want(t, "retry", e.ingest(raw).Outcome, tickets.OutcomeDuplicate)
	want(t, "outbox calls", len(br.calls), 1)

	// One the outbox knows is matched and not listed.
	br.known["nota-2025-03-4411@turno.example"] = true
	r = e.ingest(append([]byte("X-Extra: 1\r\n"), raw...)) // same Message-ID: a duplicate
	want(t, "same id", r.Outcome, tickets.OutcomeDuplicate)
	r = e.ingest([]byte(replaceID(string(raw))))
	want(t, "matched", r.BounceMatched, true)
	un, _ = e.svc.UnmatchedBounces(context.Background(), 0)
	want(t, "still one unmatched", len(un), 1)
}

func replaceID(s string) string {
	return strings.Replace(s, "Message-Id: <20250313170000.4A1B2C3D@mx.turno.example>",
		"Message-Id: <other-bounce@mx.turno.example>", 1)
}
