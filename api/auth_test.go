package api_test

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"
)

// Every route of the document refuses a request without a token, and a
// wrong one, with 401, WWW-Authenticate and the error shape; the payments
// route also refuses an agent's token.
func TestEveryRouteNeedsAToken(t *testing.T) {
	e := newEnv(t)
	routes, _ := e.routes()
	for i, r := range routes {
		// Each route's wrong token from its own address: 10 failures
		// from one address would be rate limited.
		c := clientFrom(fmt.Sprintf("127.0.0.%d", 10+i))
		for _, tok := range []string{"", "not-a-token"} {
			got := e.doWith(c, r.method, concrete(r.path), tok, map[string]any{})
			if got.code != http.StatusUnauthorized || !strings.HasPrefix(got.header.Get("WWW-Authenticate"), "Bearer") ||
				got.err(t).Error.Code != "unauthorized" {
				t.Errorf("%s %s with token %q: %d %s %q", r.method, r.path, tok, got.code, got.body, got.header.Get("WWW-Authenticate"))
			}
		}
		if r.security == "paymentsToken" {
			if got := e.do(r.method, r.path, e.ana, map[string]any{}); got.code != http.StatusUnauthorized {
				t.Errorf("%s %s took an agent's token: %d %s", r.method, r.path, got.code, got.body)
			}
		}
	}
	if got := e.do("GET", "/api/v1/agents/me", e.ana, nil); got.code != 200 || !strings.Contains(string(got.body), `"ana@proveedor.cl"`) {
		t.Fatalf("me: %d %s", got.code, got.body)
	}
}

func TestRevokedTokenIs401(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	tok, info, err := e.d.Agents.CreateToken(ctx, "ana@proveedor.cl", "revoke me")
	if err != nil {
		t.Fatal(err)
	}
	if got := e.do("GET", "/api/v1/agents/me", tok, nil); got.code != 200 {
		t.Fatalf("fresh token: %d %s", got.code, got.body)
	}
	if err := e.d.Agents.RevokeToken(ctx, info.ID); err != nil {
		t.Fatal(err)
	}
	if got := e.do("GET", "/api/v1/agents/me", tok, nil); got.code != http.StatusUnauthorized || got.err(t).Error.Code != "unauthorized" {
		t.Fatalf("revoked token: %d %s", got.code, got.body)
	}
	// A deactivated agent's tokens stop at once.
	if err := e.d.Agents.Deactivate(ctx, "beto@proveedor.cl"); err != nil {
		t.Fatal(err)
	}
	if got := e.do("GET", "/api/v1/tickets", e.beto, nil); got.code != http.StatusUnauthorized {
		t.Fatalf("deactivated agent: %d %s", got.code, got.body)
	}
	var list struct{ Agents []struct{ Email string } }
	e.do("GET", "/api/v1/agents", e.ana, nil).json(t, &list)
	for _, a := range list.Agents {
		if a.Email == "beto@proveedor.cl" {
			t.Fatal("a deactivated agent is listed")
		}
	}
	if len(list.Agents) != 2 {
		t.Fatalf("agents: %+v", list.Agents)
	}
}

// Wrong tokens from one address: 10 are answered 401, then 429 with
// Retry-After, and even a valid token is not checked until the allowance
// refills. Missing tokens do not count.
func TestFailedAttemptsAreRateLimited(t *testing.T) {
	e := newEnv(t)
	for range 15 {
		if got := e.do("GET", "/api/v1/agents/me", e.ana, nil); got.code != http.StatusOK {
			t.Fatalf("valid token: %d", got.code)
		}
		if got := e.do("GET", "/api/v1/tickets", "", nil); got.code != http.StatusUnauthorized {
			t.Fatalf("no token: %d", got.code)
		}
	}
	for i := range 10 {
		if got := e.do("GET", "/api/v1/tickets", "guess-"+strconv.Itoa(i), nil); got.code != http.StatusUnauthorized {
			t.Fatalf("attempt %d: %d %s", i, got.code, got.body)
		}
	}
	for _, tok := range []string{"guess-11", e.ana} {
		got := e.do("GET", "/api/v1/tickets", tok, nil)
		ra, _ := strconv.Atoi(got.header.Get("Retry-After"))
		if got.code != http.StatusTooManyRequests || ra < 1 || ra > 6 || got.err(t).Error.Code != "rate_limited" {
			t.Fatalf("over the limit: %d %q %s", got.code, got.header.Get("Retry-After"), got.body)
		}
	}
	// The payments route counts the same failures.
	if got := e.do("POST", "/api/v1/payments", billingToken, map[string]any{}); got.code != http.StatusTooManyRequests {
		t.Fatalf("payments over the limit: %d %s", got.code, got.body)
	}
	// Another address is not limited.
	if got := e.doWith(clientFrom("127.0.0.2"), "GET", "/api/v1/agents/me", e.ana, nil); got.code != http.StatusOK {
		t.Fatalf("another address: %d %s", got.code, got.body)
	}
}
