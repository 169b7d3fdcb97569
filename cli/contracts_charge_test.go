package cli

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// `turno contracts charge` queues a one-off charge that the next invoice
// bills once as a line of its own; bad input is refused and queues nothing.
func TestContractsChargeBilledOnNextInvoice(t *testing.T) {
	dir := t.TempDir()
	must := mustRun(t, dir)
	must("clients", "add", "C1", "--name", "Acme SpA", "--email", "ana@acme.cl", "--no-welcome",
		"--set", "billing_enabled=true", "--set", "razon_social=Acme SpA", "--set", "tax_id=76.086.428-5",
		"--set", "giro=Hosting", "--set", "domicilio=Av. Matta 1234", "--set", "billing_comuna=Santiago", "--set", "billing_ciudad=Santiago")
	must("contracts", "add", "K1", "--client", "C1", "--description", "Hosting Pyme", "--amount", "45990",
		"--anchor", "16", "--start", "2026-01-01")
	if _, errs, code := run(t, dir, "contracts", "charge", "K1", "--description", "Instalación"); code == 0 || !strings.Contains(errs, "amount above zero") {
		t.Fatalf("charge without an amount: code %d, %s", code, errs)
	}
	must("contracts", "charge", "K1", "--amount", "20000", "--description", "Instalación", "--key", "OT-1")
	must("contracts", "charge", "K1", "--amount", "20000", "--description", "Instalación", "--key", "OT-1")
	must("contracts", "addon", "K1", "--amount", "5000", "--description", "Respaldo", "--exempt")
	if out := must("contracts", "show", "K1"); strings.Count(out, "Queued") != 1 || !strings.Contains(out, "Add-on       a1  Respaldo") {
		t.Fatalf("contracts show:\n%s", out)
	}
	must("jobs", "run", "billing-cycle", "--date", "2026-11-16")
	// 45.990 + 20.000 taxed (IVA 12.538) + 5.000 exempt = 83.528.
	if out := must("invoices", "show", "1"); !strings.Contains(out, "Total      83528") {
		t.Fatalf("invoices show:\n%s", out)
	}
	if out := must("contracts", "show", "K1"); strings.Contains(out, "Queued") {
		t.Fatalf("the charge is still queued after its invoice:\n%s", out)
	}
}

// With a DTE issuer that refuses, `turno invoices show` says the tax
// document was refused and why, and that nothing was mailed as issued.
func TestInvoicesShowRefusedDTE(t *testing.T) {
	dir := t.TempDir()
	issuer := filepath.Join(dir, "issuer.sh")
	if err := os.WriteFile(issuer, []byte("#!/bin/sh\ncat >/dev/null\necho '{\"status\":\"refused\",\"message\":\"RUT receptor no autorizado\"}'\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	env := []string{"TURNO_DATA_DIR=" + dir, "USER=tester", "TURNO_LOG_LEVEL=error",
		"TURNO_BILLING_DTE_COMMAND=" + issuer, "TURNO_BILLING_DTE_WHEN=on_issue"}
	must := func(args ...string) string {
		t.Helper()
		var out, errb bytes.Buffer
		if code := Main(args, &out, &errb, env); code != 0 {
			t.Fatalf("turno %s: %s", strings.Join(args, " "), errb.String())
		}
		return out.String()
	}
	must("clients", "add", "C1", "--name", "Acme SpA", "--email", "ana@acme.cl", "--no-welcome",
		"--set", "billing_enabled=true", "--set", "razon_social=Acme SpA", "--set", "tax_id=76.086.428-5",
		"--set", "giro=Hosting", "--set", "domicilio=Av. Matta 1234", "--set", "billing_comuna=Santiago", "--set", "billing_ciudad=Santiago")
	must("contracts", "add", "K1", "--client", "C1", "--description", "Hosting Pyme", "--amount", "45990",
		"--anchor", "16", "--start", "2026-01-01")
	must("jobs", "run", "billing-cycle", "--date", "2026-11-16")
	out := must("invoices", "show", "1")
	if !strings.Contains(out, "DTE        REFUSED: RUT receptor no autorizado") || !strings.Contains(out, "NOT ISSUED") || !strings.Contains(out, "Mailed     no") {
		t.Fatalf("invoices show:\n%s", out)
	}
}
