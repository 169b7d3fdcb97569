package tickets_test

import (
	"context"
	"strings"
	"testing"

	"turno/templates"
	"turno/tickets"
)

// A quarantined mail's sender is told once, in a notice that repeats none
// of their words; automatic mail and Turno's own are never answered, and
// the hourly budget holds.
func TestNotifyQuarantined(t *testing.T) {
	e := newEnv(t, func(o *tickets.Options) { o.AutoReplyBudget = 2 })
	ctx := context.Background()
	m := parseRaw(t, mail{from: "Pedro <pedro@gmail.com>", subject: "=HYPERLINK(\"http://evil\")", id: "q1@gmail.com"}.raw())
	for range 2 { // a crash re-notifies: the outbox key holds it to one
		got, err := e.svc.NotifyQuarantined(ctx, "soporte/1/7", m, t0)
		if err != nil || got != tickets.ReplyUnderReview {
			t.Fatalf("notify: %q %v", got, err)
		}
	}
	sent := e.out.sent()
	if len(sent) != 1 {
		t.Fatalf("%d notices", len(sent))
	}
	n := sent[0]
	want(t, "template", n.Template, "ticket_under_review")
	want(t, "to", n.To[0], "pedro@gmail.com")
	want(t, "auto-submitted", n.AutoSubmitted, "auto-replied")
	want(t, "in-reply-to", n.InReplyTo, "<q1@gmail.com>")
	if d, ok := n.Data.(templates.TicketUnderReview); !ok || !d.ReceivedAt.Equal(t0) {
		t.Fatalf("data %#v", n.Data)
	}
	if n.Ticket != 0 || strings.Contains(n.Key, "HYPERLINK") {
		t.Fatalf("notice %+v", n)
	}

	auto := parseRaw(t, mail{from: "jefe@uno.cl", subject: "Fuera de oficina", id: "q2@uno.cl", extra: "Auto-Submitted: auto-replied\r\n"}.raw())
	if got, _ := e.svc.NotifyQuarantined(ctx, "soporte/1/8", auto, t0); !strings.HasPrefix(got, "suppressed") {
		t.Fatalf("automatic mail answered: %q", got)
	}
	if got, _ := e.svc.NotifyQuarantined(ctx, "soporte/1/9", nil, t0); !strings.HasPrefix(got, "suppressed") {
		t.Fatalf("unparsed mail answered: %q", got)
	}
	// The budget is per address and hour: the second notice spends it, the
	// third is refused.
	for i, id := range []string{"soporte/1/10", "soporte/1/11"} {
		got, err := e.svc.NotifyQuarantined(ctx, id, m, t0)
		if err != nil {
			t.Fatal(err)
		}
		if exp := []string{tickets.ReplyUnderReview, "suppressed: hourly budget"}[i]; got != exp {
			t.Fatalf("notice %d: %q, want %q", i+2, got, exp)
		}
	}
	want(t, "notices sent", len(e.out.sent()), 2)
}
