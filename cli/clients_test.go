package cli

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// run runs the turno command line against a data directory (the embedded
// store) and returns stdout, stderr and the exit code.
func run(t *testing.T, dataDir string, args ...string) (string, string, int) {
	t.Helper()
	var out, errb bytes.Buffer
	code := Main(args, &out, &errb, []string{"TURNO_DATA_DIR=" + dataDir, "USER=tester", "TURNO_LOG_LEVEL=warn"})
	return out.String(), errb.String(), code
}

func TestClientsCommandsShareOneCodePath(t *testing.T) {
	dir := t.TempDir()
	out, errs, code := run(t, dir, "clients", "add", "C1", "--name", "Acme", "--email", "Ana@Acme.cl",
		"--set", "razon_social=Acme SpA", "--set", "tax_id=76.086.428-5", "--json")
	if code != 0 {
		t.Fatalf("add: %s", errs)
	}
	var c struct {
		Email   string
		Billing struct {
			TaxID string `json:"tax_id"`
		}
	}
	if err := json.Unmarshal([]byte(out), &c); err != nil || c.Email != "ana@acme.cl" || c.Billing.TaxID != "76086428-5" {
		t.Fatalf("add printed %s (%v)", out, err)
	}
	if _, errs, code := run(t, dir, "clients", "add", "C2", "--name", "B", "--email", "ANA@acme.cl", "--no-welcome"); code != 1 || !strings.Contains(errs, `already the login of client "C1"`) {
		t.Fatalf("duplicate login: code %d, %s", code, errs)
	}
	if _, errs, code := run(t, dir, "clients", "edit", "C1", "--set", "tax_id=76086428-4"); code != 1 || !strings.Contains(errs, "billing.tax_id") {
		t.Fatalf("bad RUT edit: code %d, %s", code, errs)
	}
	if _, errs, code := run(t, dir, "contacts", "add", "C1", "pagos@acme.cl", "--role", "billing"); code != 0 {
		t.Fatal(errs)
	}
	csvPath := filepath.Join(dir, "in.csv")
	if err := os.WriteFile(csvPath, []byte("client_id;name;email;zone\nC3;Gamma;g@x.cl;Sur\nC4;;bad;Sur\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	out, errs, code = run(t, dir, "clients", "import", csvPath)
	if code != 1 || !strings.Contains(out, "bad row: line 3 (C4)") || !strings.Contains(out, "1 new") || !strings.Contains(errs, "import: 1/1 rows written") {
		t.Fatalf("import: code %d\n%s\n%s", code, out, errs)
	}
	out, _, code = run(t, dir, "clients", "list", "--zone", "Sur", "--json")
	if code != 0 || !strings.Contains(out, `"id": "C3"`) || strings.Contains(out, `"id": "C1"`) {
		t.Fatalf("list: %s", out)
	}
	out, _, code = run(t, dir, "clients", "bulk-edit", "--filter", "zone=Sur", "--set", "seller=Paula", "--dry-run")
	if code != 0 || !strings.Contains(out, "1 clients matched; would change 1:\n  C3") {
		t.Fatalf("bulk-edit: %s", out)
	}
	exp, _, code := run(t, dir, "clients", "export", "--bom", "--semicolon")
	if code != 0 || !strings.HasPrefix(exp, "\uFEFFclient_id;name;") {
		t.Fatalf("export: %.80q", exp)
	}
	if err := os.WriteFile(csvPath, []byte(exp), 0o600); err != nil {
		t.Fatal(err)
	}
	out, errs, code = run(t, dir, "clients", "import", csvPath, "--json")
	if code != 0 || !strings.Contains(out, `"unchanged": 2`) {
		t.Fatalf("re-import of export: %s %s", out, errs)
	}
	out, errs, code = run(t, dir, "clients", "show", "C1", "--audit", "--json")
	if code != 0 || !strings.Contains(out, `"action": "contact_add"`) || !strings.Contains(out, `"by": "tester"`) {
		t.Fatalf("show: %s %s", out, errs)
	}
	out, errs, code = run(t, dir, "clients", "password", "C1", "--json")
	if code != 0 || !strings.Contains(out, `"outbox_id": "password:C1:2"`) {
		t.Fatalf("password: %s %s", out, errs)
	}
	out, _, _ = run(t, dir, "outbox", "show", "password:C1:2", "--json")
	if !strings.Contains(out, "sensitive: not shown") || strings.Contains(out, "token=") {
		t.Fatalf("outbox show leaks the secret: %s", out)
	}
}

// A line break in a name is refused before anything is stored, naming the
// field; adding a client whose billing data are complete but whose billing
// is off (the default) says so and how to turn it on.
func TestClientsAddRefusesControlCharactersAndSaysBillingIsOff(t *testing.T) {
	dir := t.TempDir()
	_, errs, code := run(t, dir, "clients", "add", "C2", "--name", "Bad\r\nBcc: x@evil.cl", "--email", "c2@acme.cl", "--no-welcome")
	if code != 1 || !strings.Contains(errs, "name: contains control character U+000D") {
		t.Fatalf("add with CRLF in the name: code %d, %s", code, errs)
	}
	if _, errs, code := run(t, dir, "clients", "show", "C2"); code != 1 || !strings.Contains(errs, `client "C2" not found`) {
		t.Fatalf("the refused client was stored: code %d, %s", code, errs)
	}
	complete := []string{"--set", "razon_social=Acme SpA", "--set", "tax_id=76.086.428-5", "--set", "giro=Hosting",
		"--set", "domicilio=Av. Uno 123", "--set", "billing_comuna=Providencia", "--set", "billing_ciudad=Santiago"}
	add := func(id string, extra ...string) string {
		t.Helper()
		args := append([]string{"clients", "add", id, "--name", "Acme " + id, "--email", id + "@acme.cl", "--no-welcome", "--json"}, extra...)
		out, errs, code := run(t, dir, args...)
		if code != 0 || !strings.HasPrefix(out, "{") {
			t.Fatalf("add %s: code %d\n%s\n%s", id, code, out, errs)
		}
		return errs
	}
	if errs := add("C3", complete...); !strings.Contains(errs, "client C3 has complete billing data but billing is off") ||
		!strings.Contains(errs, "turno clients edit C3 --set billing_enabled=true") {
		t.Fatalf("no hint that C3 will not be billed: %q", errs)
	}
	if errs := add("C4", append(complete, "--set", "billing_enabled=sí")...); strings.Contains(errs, "billing is off") {
		t.Fatalf("hint for a client whose billing is on: %q", errs)
	}
	if errs := add("C5", "--set", "razon_social=Sin Datos SpA"); strings.Contains(errs, "billing is off") {
		t.Fatalf("hint for a client with incomplete billing data (the missing data are listed instead): %q", errs)
	}
}
