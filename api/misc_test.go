package api_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"turno/replies"
	"turno/tickets"
)

// Saved replies are listed and shown, and a reply naming one sends its
// text in the ticket's language with the placeholders filled.
func TestSavedReplies(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	if _, err := e.d.Replies.Put(ctx, replies.Saved{Name: "saludo", ES: "Hola {requester_name}, soy {agent_name} (ticket {ticket_number}).",
		EN: "Hi {requester_name}."}); err != nil {
		t.Fatal(err)
	}
	var list struct{ Replies []replies.Saved }
	if got := e.do("GET", "/api/v1/replies", e.ana, nil); got.code != 200 {
		t.Fatalf("list: %d %s", got.code, got.body)
	} else if got.json(t, &list); len(list.Replies) != 1 || list.Replies[0].Name != "saludo" {
		t.Fatalf("list: %s", got.body)
	}
	if got := e.do("GET", "/api/v1/replies/saludo", e.ana, nil); got.code != 200 || !strings.Contains(string(got.body), "{agent_name}") {
		t.Fatalf("show: %d %s", got.code, got.body)
	}
	if got := e.do("GET", "/api/v1/replies/nada", e.ana, nil); got.code != 404 || got.err(t).Error.Code != "not_found" {
		t.Fatalf("missing: %d %s", got.code, got.body)
	}
	res := e.mail("Pedro Pérez <pedro@gmail.com>", "Necesito ayuda con mi cuenta", "")
	p := fmt.Sprintf("/api/v1/tickets/%d/replies", res.Ticket)
	got := e.do("POST", p, e.ana, map[string]any{"saved_reply": "saludo", "text": "Ya está listo.", "answers": res.Key},
		"Idempotency-Key", "s-1")
	if got.code != 201 {
		t.Fatalf("reply with a saved reply: %d %s", got.code, got.body)
	}
	var r tickets.ReplyResult
	got.json(t, &r)
	want := fmt.Sprintf("Hola Pedro Pérez, soy Ana Rojas (ticket %d).\n\nYa está listo.", res.Ticket)
	if !strings.HasPrefix(r.Message.Text, want) {
		t.Fatalf("reply text %q, want %q", r.Message.Text, want)
	}
	if got := e.do("POST", p, e.ana, map[string]any{"saved_reply": "nada", "force": true}, "Idempotency-Key", "s-2"); got.code != 400 ||
		got.err(t).Error.Field != "saved_reply" {
		t.Fatalf("unknown saved reply: %d %s", got.code, got.body)
	}
}

// POST /api/v1/payments takes billing.api_token or a gateway token; a
// request it accepts reaches billing (which refuses unknown invoices).
func TestPaymentsTokens(t *testing.T) {
	e := newEnv(t)
	gw, _, err := e.d.Agents.CreateGatewayToken(context.Background(), "webpay")
	if err != nil {
		t.Fatal(err)
	}
	body := map[string]any{"invoices": []int64{999}, "amount": 1000, "method": "webpay", "reference": "OP-1", "date": "2026-12-01"}
	for _, tok := range []string{billingToken, gw} {
		got := e.do("POST", "/api/v1/payments", tok, body)
		if got.code != http.StatusBadRequest || got.err(t).Error.Code != "bad_request" {
			t.Fatalf("payment with an unknown invoice: %d %s", got.code, got.body)
		}
	}
	if got := e.do("POST", "/api/v1/payments", gw, map[string]any{"amount": 1}); got.code != 400 {
		t.Fatalf("incomplete payment: %d %s", got.code, got.body)
	}
	if got := e.do("GET", "/api/v1/agents/me", gw, nil); got.code != http.StatusUnauthorized {
		t.Fatalf("a gateway token acted as an agent: %d %s", got.code, got.body)
	}
}

// /metrics counts API requests by route pattern, not by ticket number.
func TestMetricsShowRoutes(t *testing.T) {
	e := newEnv(t)
	e.do("GET", "/api/v1/tickets/123456", e.ana, nil)
	e.do("GET", "/api/v1/tickets/123457", e.ana, nil)
	got := e.do("GET", "/metrics", "", nil)
	m := string(got.body)
	want := `turno_http_requests_total{method="GET",route="/api/v1/tickets/{number}",status="404"} 2`
	if !strings.Contains(m, want) || !strings.Contains(m, `turno_http_request_duration_seconds_count{method="GET",route="/api/v1/tickets/{number}",status="404"} 2`) {
		t.Fatalf("/metrics lacks %s", want)
	}
	if strings.Contains(m, "123456") {
		t.Fatal("a ticket number is in a metric label")
	}
}
