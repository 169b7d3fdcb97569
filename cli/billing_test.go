package cli

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"turno/scheduler"
)

// mustRun returns a runner of turno commands on dir that fails the test
// on a non-zero exit and returns standard output.
func mustRun(t *testing.T, dir string) func(args ...string) string {
	return func(args ...string) string {
		t.Helper()
		out, errs, code := run(t, dir, args...)
		if code != 0 {
			t.Fatalf("turno %s: %s", strings.Join(args, " "), errs)
		}
		return out
	}
}

// The billing commands run end to end on one data directory, and the client
// export carries what billing says is unpaid.
func TestBillingCommandsAndUnpaidInExport(t *testing.T) {
	dir := t.TempDir()
	must := mustRun(t, dir)
	must("clients", "add", "C1", "--name", "Acme SpA", "--email", "ana@acme.cl", "--no-welcome",
		"--set", "billing_enabled=true", "--set", "razon_social=Acme SpA", "--set", "tax_id=76.086.428-5",
		"--set", "giro=Hosting", "--set", "domicilio=Av. Matta 1234", "--set", "billing_comuna=Santiago", "--set", "billing_ciudad=Santiago")
	must("contracts", "add", "K1", "--client", "C1", "--description", "Hosting Pyme", "--amount", "45990",
		"--anchor", "16", "--start", "2026-01-01")
	must("jobs", "run", "billing-cycle", "--date", "2026-11-16")
	unpaid := func() (string, string) {
		t.Helper()
		rows, err := csv.NewReader(strings.NewReader(must("clients", "export"))).ReadAll()
		if err != nil || len(rows) != 2 {
			t.Fatalf("export: %v %v", rows, err)
		}
		col := map[string]int{}
		for i, h := range rows[0] {
			col[h] = i
		}
		return rows[1][col["unpaid_invoices"]], rows[1][col["unpaid_balance"]]
	}
	// 45.990 net + 19% IVA (8.738) = 54.728.
	if n, bal := unpaid(); n != "1" || bal != "54728" {
		t.Fatalf("export after the cycle: unpaid %s, balance %s; want 1, 54728", n, bal)
	}
	must("invoices", "pay", "1", "--amount", "54728", "--method", "transferencia", "--reference", "OP-1", "--date", "2026-11-20")
	if n, bal := unpaid(); n != "0" || bal != "0" {
		t.Fatalf("export after payment: unpaid %s, balance %s; want 0, 0", n, bal)
	}
}

// `turno billing uf` records the day's UF value, which prices a UF
// contract's invoice; bad values are refused and change nothing.
func TestBillingUFCommands(t *testing.T) {
	dir := t.TempDir()
	must := mustRun(t, dir)
	for _, bad := range [][]string{{"2026-11-16", "39.876,543", "at most two decimals"}, {"2026-13-01", "39876", "2026-13-01"},
		{"2026-11-16", "0", "out of range"}} {
		_, errs, code := run(t, dir, "billing", "uf", "set", bad[0], bad[1])
		if code == 0 || !strings.Contains(errs, bad[2]) {
			t.Fatalf("uf set %v: exit %d, %q", bad[:2], code, errs)
		}
	}
	if _, errs, code := run(t, dir, "billing", "uf", "list", "--from", "2026-11-30", "--to", "2026-11-01"); code == 0 || !strings.Contains(errs, "after") {
		t.Fatalf("uf list with from after to: exit %d, %q", code, errs)
	}
	if out := must("billing", "uf", "list", "--from", "2026-01-01", "--to", "2026-12-31", "--json"); strings.TrimSpace(out) != "[]" {
		t.Fatalf("bad input recorded something: %s", out)
	}
	must("billing", "uf", "set", "2026-11-16", "39.876,54")
	if out := must("billing", "uf", "list", "--from", "2026-11-01", "--to", "2026-11-30"); !strings.Contains(out, "2026-11-16  39876.54  cli") {
		t.Fatalf("uf list:\n%s", out)
	}
	must("clients", "add", "C1", "--name", "Acme SpA", "--email", "ana@acme.cl", "--no-welcome",
		"--set", "billing_enabled=true", "--set", "razon_social=Acme SpA", "--set", "tax_id=76.086.428-5",
		"--set", "giro=Hosting", "--set", "domicilio=Av. Matta 1234", "--set", "billing_comuna=Santiago", "--set", "billing_ciudad=Santiago")
	must("contracts", "add", "K1", "--client", "C1", "--description", "Dedicado", "--currency", "UF", "--amount", "2500",
		"--anchor", "16", "--start", "2026-01-01")
	must("jobs", "run", "billing-cycle", "--date", "2026-11-16")
	// 2.5 UF × 39.876,54 = 99.691,35 → 99.691 net; IVA 18.941; total 118.632.
	if out := must("invoices", "show", "1"); !strings.Contains(out, "118632") {
		t.Fatalf("invoice 1:\n%s", out)
	}
}

// `turno jobs run` refuses a business date after today unless --force: a
// collection run for 9 December on 2 December mailed "vence en 3 días"
// for an invoice due in 10. The refusal changes nothing; a dry run may
// look ahead.
func TestJobsRunRefusesFutureDate(t *testing.T) {
	dir := t.TempDir()
	must := mustRun(t, dir)
	santiago, err := time.LoadLocation("America/Santiago")
	if err != nil {
		t.Fatal(err)
	}
	today := scheduler.DateOf(time.Now(), santiago)
	must("clients", "add", "C1", "--name", "Acme SpA", "--email", "ana@acme.cl", "--no-welcome",
		"--set", "billing_enabled=true", "--set", "razon_social=Acme SpA", "--set", "tax_id=76.086.428-5",
		"--set", "giro=Hosting", "--set", "domicilio=Av. Matta 1234", "--set", "billing_comuna=Santiago", "--set", "billing_ciudad=Santiago")
	must("contracts", "add", "K1", "--client", "C1", "--description", "Hosting Pyme", "--amount", "45990", "--anchor", fmt.Sprint(today.Day),
		"--start", today.AddDays(-60).String())
	must("jobs", "run", "billing-cycle") // today: invoice 1, due in 10 days
	state := func() string {
		t.Helper()
		return must("outbox", "list", "--json") + must("jobs", "history", "--json")
	}
	before := state()

	future := today.AddDays(7).String() // three days before the due date
	out, errs, code := run(t, dir, "jobs", "run", "collection-notes", "--date", future)
	if code != 1 || out != "" || !strings.Contains(errs, "--date "+future+" is after today ("+today.String()+" in America/Santiago)") ||
		!strings.Contains(errs, "--force") {
		t.Fatalf("future date: exit %d, stdout %q, stderr %q", code, out, errs)
	}
	if got := state(); got != before {
		t.Fatalf("a refused run changed something:\nbefore %s\nafter %s", before, got)
	}
	if out := must("jobs", "run", "collection-notes", "--date", future, "--dry-run"); state() != before {
		t.Fatalf("a dry run changed something:\n%s", out)
	}

	must("jobs", "run", "collection-notes", "--date", future, "--force")
	var entries []struct{ Template string }
	if err := json.Unmarshal([]byte(must("outbox", "list", "--json")), &entries); err != nil {
		t.Fatal(err)
	}
	notes := 0
	for _, x := range entries {
		if x.Template == "collection_note" {
			notes++
		}
	}
	if notes != 1 {
		t.Fatalf("--force: %d collection notes in %+v, want 1", notes, entries)
	}
}
