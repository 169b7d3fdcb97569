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
