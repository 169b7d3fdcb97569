package cli

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"turno/internal/testenv"
	"turno/mailout"
	"turno/store"
)

// TestBillingUndeliverable: a suppressed billing contact puts the client
// on the report; bad input is refused with a clear error and changes
// nothing; clearing the suppression takes the client off.
func TestBillingUndeliverable(t *testing.T) {
	dir := t.TempDir()
	must := func(args ...string) string {
		t.Helper()
		out, errs, code := run(t, dir, args...)
		if code != 0 {
			t.Fatalf("turno %s: %s", strings.Join(args, " "), errs)
		}
		return out
	}
	must("clients", "add", "C1", "--name", "Acme SpA", "--email", "ana@acme.cl", "--no-welcome")
	must("contacts", "add", "C1", "pagos@acme.cl", "--role", "billing")
	if out := must("billing", "undeliverable"); !strings.Contains(out, "no client has an undeliverable") {
		t.Fatalf("empty report printed %q", out)
	}

	// What the outbox records on a 550 5.1.1 from the billing contact.
	ctx := context.Background()
	st, err := store.Open(ctx, store.Options{DataDir: dir, Database: "turno", Logger: testenv.Logger(t)})
	if err != nil {
		t.Fatal(err)
	}
	err = mailout.MarkUndeliverable(ctx, st.DB, "pagos@acme.cl", "smtp", "550 5.1.1 user unknown", time.Date(2026, 6, 12, 15, 0, 0, 0, time.UTC))
	if cerr := st.Close(ctx); err == nil {
		err = cerr
	}
	if err != nil {
		t.Fatal(err)
	}

	report := func() []map[string]any {
		t.Helper()
		var rows []map[string]any
		if out := must("billing", "undeliverable", "--json"); json.Unmarshal([]byte(out), &rows) != nil {
			t.Fatalf("not JSON: %s", out)
		}
		return rows
	}
	rows := report()
	if len(rows) != 1 || rows[0]["client_id"] != "C1" || rows[0]["role"] != "billing" || rows[0]["address"] != "pagos@acme.cl" ||
		rows[0]["reason"] != "550 5.1.1 user unknown" || rows[0]["since"] != "2026-06-12T15:00:00Z" {
		t.Fatalf("report: %v", rows)
	}
	if out := must("billing", "undeliverable"); !strings.Contains(out, "C1") || !strings.Contains(out, "pagos@acme.cl") || !strings.Contains(out, "5.1.1") {
		t.Fatalf("text report: %s", out)
	}

	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"billing", "undeliverable", "--format", "csv"}, "unknown flag: --format"},
		{[]string{"billing", "undeliverable", "--json=yaml"}, `invalid argument "yaml" for "--json"`},
		{[]string{"billing", "undeliverable", "C1"}, `unknown command "C1"`},
	} {
		out, errs, code := run(t, dir, tc.args...)
		if code != 1 || out != "" || !strings.Contains(errs, tc.want) {
			t.Fatalf("turno %s: code %d, stdout %q, stderr %q; want exit 1 and %q", strings.Join(tc.args, " "), code, out, errs, tc.want)
		}
	}
	if got := report(); len(got) != 1 || got[0]["address"] != "pagos@acme.cl" {
		t.Fatalf("bad input changed the report: %v", got)
	}

	must("outbox", "suppressions", "clear", "pagos@acme.cl")
	if out := must("billing", "undeliverable", "--json"); strings.TrimSpace(out) != "[]" {
		t.Fatalf("report after clearing: %s", out)
	}
}
