package billing

import (
	"context"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"turno/config"
	"turno/scheduler"
)

// TestDTEOverHTTPWithBearerSecret: billing.dte.url gets the invoice as a
// POST with the Bearer secret and the idempotency key; a wrong secret's
// 401 is retried (never taken as a refusal), and the right one's answer is
// recorded and mailed.
func TestDTEOverHTTPWithBearerSecret(t *testing.T) {
	const secret = "s3cret-for-the-dte-issuer"
	var mu sync.Mutex
	calls := map[string]int{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
		if subtle.ConstantTimeCompare([]byte(got), []byte(secret)) != 1 {
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		var inv DTEInvoice
		if err := json.NewDecoder(r.Body).Decode(&inv); err != nil || inv.IdempotencyKey != r.Header.Get("Idempotency-Key") {
			http.Error(w, "bad request", http.StatusBadRequest)
			return
		}
		mu.Lock()
		calls[inv.IdempotencyKey]++
		mu.Unlock()
		_ = json.NewEncoder(w).Encode(DTEAnswer{Status: "ok", DTEType: inv.DTEType, Folio: 900,
			PDFBase64: base64.StdEncoding.EncodeToString([]byte("%PDF-1.4 sample"))})
	}))
	t.Cleanup(srv.Close)
	ctx := context.Background()
	f := newFixture(t, nil, time.Date(2026, 6, 5, 12, 0, 0, 0, time.UTC))
	f.svc.opts.Billing.DTE = config.DTEConfig{URL: srv.URL, Secret: "wrong-secret-0000000", When: config.DTEOnIssue, Timeout: config.Duration(5 * time.Second)}
	f.dir.put(completeClient("c1"))
	f.contract(t, "k1", "c1", 5, 38647, "2026-01-01")
	n, err := f.svc.Cycle(ctx, scheduler.Run{Date: date(t, "2026-06-05")})
	if err != nil || n["dte_retry"] != 1 || len(f.box.withPrefix("invoice:")) != 0 {
		t.Fatalf("wrong secret: %v %v", n, err)
	}
	f.svc.opts.Billing.DTE.Secret = secret
	f.clock.Advance(time.Minute)
	if n, err := f.svc.ProcessDTE(ctx); err != nil || n["ok"] != 1 || n["mails"] != 1 {
		t.Fatalf("right secret: %v %v", n, err)
	}
	inv, _ := f.svc.invoice(ctx, InvoiceID("k1", "2026-06"))
	if inv.DTE.Folio != 900 || calls[inv.DTE.Key] != 1 {
		t.Fatalf("outcome %+v, calls %v", inv.DTE, calls)
	}
	m := f.box.withPrefix("invoice:")[0]
	if len(m.Attachments) != 2 || m.Attachments[1].Filename != "factura-electronica-900.pdf" {
		t.Fatalf("attachments %+v", m.Attachments)
	}
}
