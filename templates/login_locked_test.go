package templates

import (
	"strings"
	"testing"
	"time"
)

// The console's lockout mail (no link) says to wait or ask an
// administrator, in both languages; bad data is refused.
func TestLoginLockedConsoleAndBadData(t *testing.T) {
	s := mustLoad(t, "")
	d := LoginLocked{Name: "Ana Rojas", Login: "ana@proveedor.cl", Until: sampleDay(2026, 12, 2, 18, 0), Where: "console"}
	for lang, want := range map[string][]string{
		"es": {"consola de agentes", "turno agents password", "ana@proveedor.cl", "2 de diciembre de 2026"},
		"en": {"agents' console", "turno agents password", "ana@proveedor.cl", "December 2, 2026"},
	} {
		r, err := s.Render("login_locked", lang, d)
		if err != nil {
			t.Fatal(err)
		}
		for _, w := range want {
			if !strings.Contains(r.Text, w) || !strings.Contains(r.HTML, w) {
				t.Errorf("%s: lacks %q", lang, w)
			}
		}
		if strings.Contains(r.Text, "http") && strings.Contains(r.Text, "clave") || strings.Contains(r.HTML, "<a href=\"https://clientes") {
			t.Errorf("%s: a link without Link", lang)
		}
	}
	for _, bad := range []LoginLocked{{Until: time.Now(), Where: "portal"}, {Login: "a@b.cl", Where: "portal"},
		{Login: "a@b.cl", Until: time.Now(), Where: "api"}} {
		if _, err := s.Render("login_locked", "es", bad); err == nil {
			t.Errorf("rendered %+v", bad)
		}
	}
}
