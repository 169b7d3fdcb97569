package portal_test

import (
	"testing"

	"turno/portal"
)

func TestDataURLIsMisDatosOnThePortalOrigin(t *testing.T) {
	for in, want := range map[string]string{
		"https://clientes.example.cl":        "https://clientes.example.cl/portal/datos",
		"https://soporte.example.cl/portal/": "https://soporte.example.cl/portal/datos",
		"http://127.0.0.1:8025/portal?x=1":   "http://127.0.0.1:8025/portal/datos",
		"clientes.example.cl":                "",
		"":                                   "",
	} {
		if got := portal.DataURL(in); got != want {
			t.Errorf("DataURL(%q) = %q, want %q", in, got, want)
		}
	}
}
