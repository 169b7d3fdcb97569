package cli

import (
	"encoding/csv"
	"strings"
	"testing"
)

// The billing commands run end to end on one data directory, and the client
// export carries what billing says is unpaid.
func TestBillingCommandsAndUnpaidInExport(t *testing.T) {
	dir := t.TempDir()
	must := func(args ...string) string {
		t.Helper()
		out, errs, code := run(t, dir, args...)
		if code != 0 {
			t.Fatalf("turno %s: %s", strings.Join(args, " "), errs)
		}
		return out
	}
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
