package templates

import (
	"strings"
	"testing"
)

// TestAgentNotificationEvents renders every event of agent_notification
// in both languages: each says what happened, escapes the customer's text
// in HTML, omits the client line without a client, mentions automatic
// messages only when there are some, and says how to answer by mail.
func TestAgentNotificationEvents(t *testing.T) {
	s := mustLoad(t, "")
	says := map[string]map[string]string{
		"es": {"new": "Nueva solicitud", "reply": "Respuesta del cliente", "assign": "asignada a usted",
			"mention": "Lo mencionan", "sla": "Plazo vencido"},
		"en": {"new": "New ticket", "reply": "Customer reply", "assign": "assigned to you",
			"mention": "You were mentioned", "sla": "Target missed"},
	}
	answer := map[string]string{"es": "comience con #nota para una nota interna", "en": "start with #note for an internal note"}
	for lang, subjects := range says {
		for ev, want := range subjects {
			d := AgentNotification{TicketNumber: 7, Subject: "Caída", Event: ev, RequesterAddress: "x@y.cl",
				Priority: "low", Actor: "Ana <ana@turno.test>", SLATarget: "first_response",
				Text: "<script>alert(1)</script>", Automatic: 2}
			r, err := s.Render("agent_notification", lang, d)
			if err != nil {
				t.Fatalf("%s %s: %v", lang, ev, err)
			}
			if !strings.Contains(r.Subject, want) || !strings.Contains(r.Subject, "Caída") {
				t.Errorf("%s %s subject = %q", lang, ev, r.Subject)
			}
			if strings.Contains(r.HTML, "<script>") || !strings.Contains(r.HTML, "&lt;script&gt;") {
				t.Errorf("%s %s: customer text not escaped in HTML", lang, ev)
			}
			if !strings.Contains(r.Text, "> <script>alert(1)</script>") {
				t.Errorf("%s %s: text not quoted:\n%s", lang, ev, r.Text)
			}
			for _, part := range []string{r.Text, r.HTML} {
				if !strings.Contains(part, answer[lang]) || !strings.Contains(part, "2 ") {
					t.Errorf("%s %s: no answer hint or automatic count:\n%s", lang, ev, part)
				}
				if strings.Contains(part, "Cliente") || strings.Contains(part, "Client:") {
					t.Errorf("%s %s: a client line without a client:\n%s", lang, ev, part)
				}
			}
		}
	}
	r, err := s.Render("agent_notification", "es", AgentNotification{Event: "sla", SLATarget: "resolution", Priority: "high"})
	if err != nil || !strings.Contains(r.Text, "plazo de resolución") || strings.Contains(r.Text, "automátic") {
		t.Fatalf("sla resolution: %v\n%s", err, r.Text)
	}
}
