package templates

import (
	"strings"
	"testing"
	"time"
)

// Times reach Render in any location (the outbox stores its data in
// MongoDB, which gives them back in UTC). Every time a reader sees is in
// the configured zone, America/Santiago by default, with the zone named.
func TestRenderDateTimeInConfiguredZone(t *testing.T) {
	s := mustLoad(t, "")
	// 08:33 UTC on 3 December is 05:33 in Santiago (summer time, UTC-3);
	// on 15 July, 12:00 UTC is 08:00 (winter, UTC-4).
	for _, tt := range []struct {
		at     time.Time
		es, en string
		notES  string
	}{
		{time.Date(2026, 12, 3, 8, 33, 0, 0, time.UTC),
			"hasta el 3 de diciembre de 2026 a las 05:33 (hora de Santiago).",
			"until December 3, 2026 at 5:33 AM (Santiago time).", "08:33"},
		{time.Date(2026, 7, 15, 12, 0, 0, 0, time.UTC),
			"hasta el 15 de julio de 2026 a las 08:00 (hora de Santiago).",
			"until July 15, 2026 at 8:00 AM (Santiago time).", "12:00"},
	} {
		data := Welcome{ClientName: "X", Access: Access{Login: "a@b.cl", Link: "https://x/y", ExpiresAt: tt.at}}
		for lang, want := range map[string]string{"es": tt.es, "en": tt.en} {
			r, err := s.Render("welcome", lang, data)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(r.Text, want) || !strings.Contains(r.HTML, want) {
				t.Errorf("%s %v: want %q in text and HTML:\n%s", lang, tt.at, want, r.Text)
			}
			if lang == "es" && strings.Contains(r.Text, tt.notES) {
				t.Errorf("es %v: shows the UTC time %s:\n%s", tt.at, tt.notES, r.Text)
			}
		}
	}
}

// A date is the local calendar date: 02:00 UTC on 1 December is still
// 30 November in Santiago.
func TestRenderDateIsLocalDate(t *testing.T) {
	s := mustLoad(t, "")
	due := time.Date(2026, 12, 1, 2, 0, 0, 0, time.UTC)
	data := InvoiceIssued{InvoiceNumber: 1, ClientName: "X", IssueDate: due, DueDate: due, Total: 1}
	for lang, want := range map[string]string{"es": "30 de noviembre de 2026", "en": "November 30, 2026"} {
		r, err := s.Render("invoice_issued", lang, data)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(r.Text, want) || strings.Contains(r.Text, "1 de diciembre") || strings.Contains(r.Text, "December 1,") {
			t.Errorf("%s: want the local date %q:\n%s", lang, want, r.Text)
		}
	}
	// A calendar date as billing passes it (local midnight) stays itself.
	santiago, err := time.LoadLocation("America/Santiago")
	if err != nil {
		t.Fatal(err)
	}
	data.DueDate = time.Date(2026, 12, 1, 0, 0, 0, 0, santiago).UTC()
	r, err := s.Render("invoice_issued", "es", data)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(r.Text, "1 de diciembre de 2026") {
		t.Errorf("local midnight moved to another date:\n%s", r.Text)
	}
}

func TestOptionsTimeZone(t *testing.T) {
	s, err := Load(Options{Company: testCompany(), TimeZone: "America/Bogota"})
	if err != nil {
		t.Fatal(err)
	}
	data := TicketUnderReview{ReceivedAt: time.Date(2026, 12, 3, 8, 33, 0, 0, time.UTC)}
	for lang, want := range map[string]string{
		"es": "3 de diciembre de 2026 a las 03:33 (hora de Bogotá)",
		"en": "December 3, 2026 at 3:33 AM (Bogotá time)",
	} {
		r, err := s.Render("ticket_under_review", lang, data)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(r.Text, want) {
			t.Errorf("%s: want %q:\n%s", lang, want, r.Text)
		}
	}
	if _, err := Load(Options{Company: testCompany(), TimeZone: "America/Atlantis"}); err == nil ||
		!strings.Contains(err.Error(), "America/Atlantis") {
		t.Fatalf("an unknown zone: got %v", err)
	}
}

func TestZoneLabel(t *testing.T) {
	at := time.Date(2026, 12, 3, 8, 33, 0, 0, time.UTC)
	for _, tt := range []struct{ zone, es, en string }{
		{"America/Santiago", "hora de Santiago", "Santiago time"},
		{"America/Punta_Arenas", "hora de Punta Arenas", "Punta Arenas time"},
		{"America/Argentina/Buenos_Aires", "hora de Buenos Aires", "Buenos Aires time"},
		{"America/Mexico_City", "hora de Ciudad de México", "Mexico City time"},
		{"Pacific/Easter", "hora de Isla de Pascua", "Easter Island time"},
		{"UTC", "UTC", "UTC"},
		{"Etc/GMT+3", "UTC-03", "UTC-03"},
	} {
		loc, err := time.LoadLocation(tt.zone)
		if err != nil {
			t.Fatal(err)
		}
		if got := zoneLabel("es", loc, at.In(loc)); got != tt.es {
			t.Errorf("es %s: got %q, want %q", tt.zone, got, tt.es)
		}
		if got := zoneLabel("en", loc, at.In(loc)); got != tt.en {
			t.Errorf("en %s: got %q, want %q", tt.zone, got, tt.en)
		}
	}
}
