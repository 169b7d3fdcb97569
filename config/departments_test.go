package config

import (
	"strings"
	"testing"
)

func TestDepartmentSender(t *testing.T) {
	p := writeFile(t, `[company]
name = "Mi Proveedor SpA"
support_address = "soporte@example.cl"

[departments.ventas]
address = "ventas@example.cl"
name = "Ventas Mi Proveedor"

[departments.pagos]
address = "pagos@example.cl"
`)
	cfg, err := Load(p, nil)
	if err != nil {
		t.Fatal(err)
	}
	for dept, want := range map[string][2]string{
		"ventas":  {"Ventas Mi Proveedor", "ventas@example.cl"},
		"pagos":   {"Mi Proveedor SpA", "pagos@example.cl"},
		"soporte": {"Mi Proveedor SpA", "soporte@example.cl"},
	} {
		if n, a := cfg.DepartmentSender(dept); n != want[0] || a != want[1] {
			t.Errorf("%s: %q <%s>, want %q <%s>", dept, n, a, want[0], want[1])
		}
	}
}

func TestBadDepartmentReported(t *testing.T) {
	p := writeFile(t, `[departments.ventas]
address = "Ventas <ventas@example.cl>"

[departments.pagos]
address = "no es una dirección"
`)
	_, problems := Check(p, nil)
	var got []string
	for _, pr := range problems {
		got = append(got, pr.String())
	}
	all := strings.Join(got, "\n")
	for _, want := range []string{p + ":2: departments.ventas.address: must be one plain email address",
		p + ":5: departments.pagos.address: must be one plain email address"} {
		if !strings.Contains(all, want) {
			t.Errorf("check output lacks %q:\n%s", want, all)
		}
	}
	if _, err := Load(p, nil); err == nil {
		t.Error("Load accepted bad department addresses")
	}
}

// tickets.payments_department defaults to pagos; another name must be a
// department the configuration lists (when it lists any), and an empty
// or multi-line one is refused, each naming the key.
func TestPaymentsDepartment(t *testing.T) {
	if d := Default().Tickets.PaymentsDepartment; d != "pagos" {
		t.Fatalf("default %q", d)
	}
	ok := writeFile(t, "[tickets]\npayments_department = \"cobranza\"\n\n[departments.cobranza]\naddress = \"cobranza@example.cl\"\n")
	cfg, err := Load(ok, nil)
	if err != nil || cfg.Tickets.PaymentsDepartment != "cobranza" {
		t.Fatalf("listed department: %q, %v", cfg.Tickets.PaymentsDepartment, err)
	}
	unlisted := writeFile(t, "[tickets]\npayments_department = \"cobranza\"\n")
	if cfg, err := Load(unlisted, nil); err != nil || cfg.Tickets.PaymentsDepartment != "cobranza" {
		t.Fatalf("no departments listed: %v", err)
	}
	for body, want := range map[string]string{
		"[tickets]\npayments_department = \"cobranzas\"\n\n[departments.cobranza]\naddress = \"cobranza@example.cl\"\n": `"cobranzas" is not a configured department (mailboxes and [departments] name cobranza)`,
		"[tickets]\npayments_department = \"\"\n":      "must be a department name",
		"[tickets]\npayments_department = \"a\\nb\"\n": "must be a department name",
	} {
		_, err := Load(writeFile(t, body), nil)
		if err == nil || !strings.Contains(err.Error(), "tickets.payments_department") || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: %v, want %q", body, err, want)
		}
	}
}
