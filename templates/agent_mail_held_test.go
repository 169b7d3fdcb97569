package templates

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestAgentMailHeldUnauthenticated keeps the copy of a mail held for
// authentication: it tells the agent how to confirm it (the CLI command
// and the API call, with the held item's key) and what to do if they did
// not send it. Files: testdata/golden/<lang>/agent_mail_held.unauthenticated.*;
// -update rewrites them.
func TestAgentMailHeldUnauthenticated(t *testing.T) {
	s := mustLoad(t, "")
	key := "held:" + strings.Repeat("3f", 32)
	data := AgentMailHeld{TicketNumber: 10482, ReceivedAt: time.Date(2026, time.December, 2, 12, 40, 0, 0, time.UTC),
		Reason: "unauthenticated", HeldKey: key}
	for _, lang := range Langs() {
		r, err := s.Render("agent_mail_held", lang, data)
		if err != nil {
			t.Fatalf("Render(%s): %v", lang, err)
		}
		for _, want := range []string{"turno tickets release 10482 " + key, "POST /api/v1/tickets/10482/held/" + key + "/release"} {
			if !strings.Contains(r.Text, want) || !strings.Contains(r.HTML, want) {
				t.Errorf("%s: the explanation lacks %q:\n%s", lang, want, r.Text)
			}
		}
		if !strings.Contains(r.Subject, "#10482") {
			t.Errorf("%s: subject %q", lang, r.Subject)
		}
		for part, got := range map[string]string{partSubject: r.Subject + "\n", partText: r.Text, partHTML: r.HTML} {
			file := filepath.Join("testdata", "golden", lang, "agent_mail_held.unauthenticated"+part)
			if *update {
				if err := os.WriteFile(file, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
				continue
			}
			want, err := os.ReadFile(file)
			if err != nil {
				t.Fatalf("%v (run go test -update to create it)", err)
			}
			if got != string(want) {
				t.Errorf("%s differs from the rendering:\n--- got\n%s\n--- want\n%s", file, got, want)
			}
		}
		// Other reasons keep their copy and show no key.
		r, err = s.Render("agent_mail_held", lang, AgentMailHeld{TicketNumber: 1, ReceivedAt: data.ReceivedAt, Reason: "stale", HeldKey: key})
		if err != nil || strings.Contains(r.Text, key) {
			t.Errorf("%s: a stale explanation shows the key (%v):\n%s", lang, err, r.Text)
		}
	}
}
