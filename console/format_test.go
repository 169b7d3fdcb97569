package console

import (
	"testing"
	"time"
)

func TestAgoAndIn(t *testing.T) {
	now := time.Date(2026, 12, 2, 15, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		lang string
		d    time.Duration
		want string
	}{
		{"es", 20 * time.Second, "hace un momento"},
		{"es", 2 * time.Minute, "hace 2 minutos"},
		{"es", time.Minute, "hace 1 minuto"},
		{"en", 2 * time.Minute, "2 minutes ago"},
		{"es", 3 * time.Hour, "hace 3 horas"},
		{"en", 50 * time.Hour, "2 days ago"},
	} {
		if got := ago(c.lang, now, now.Add(-c.d)); got != c.want {
			t.Errorf("ago(%s, %s) = %q, want %q", c.lang, c.d, got, c.want)
		}
	}
	if got := in("es", now, now.Add(90*time.Minute)); got != "en 1 hora" {
		t.Errorf("in = %q", got)
	}
	if got := short(now, now.Add(-26*time.Hour)); got != "26 h" {
		t.Errorf("short = %q", got)
	}
}
