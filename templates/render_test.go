package templates

import (
	"strings"
	"sync"
	"testing"
)

const hostile = `<script>alert("x")</script> & "Tom's"`

func TestHostileDataIsEscapedInHTMLOnly(t *testing.T) {
	s := mustLoad(t, "")
	data := TicketAck{TicketNumber: 7, Subject: hostile, RequesterName: hostile}
	for _, lang := range Langs() {
		r, err := s.Render("ticket_ack", lang, data)
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(r.HTML, "<script>") {
			t.Errorf("%s: HTML carries the raw <script>:\n%s", lang, r.HTML)
		}
		if !strings.Contains(r.HTML, "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; &#34;Tom&#39;s&#34;") {
			t.Errorf("%s: HTML does not carry the escaped text:\n%s", lang, r.HTML)
		}
		if !strings.Contains(r.Text, hostile) {
			t.Errorf("%s: text does not carry the data verbatim:\n%s", lang, r.Text)
		}
		if !strings.Contains(r.Subject, hostile) {
			t.Errorf("%s: subject does not carry the data verbatim: %q", lang, r.Subject)
		}
		for _, garbage := range []string{"&lt;", "&amp;", "&#"} {
			if strings.Contains(r.Text+r.Subject, garbage) {
				t.Errorf("%s: escaping garbage %q in text or subject:\n%s\n%s", lang, garbage, r.Subject, r.Text)
			}
		}
	}
}

func TestAgentReplyBecomesParagraphs(t *testing.T) {
	s := mustLoad(t, "")
	r, err := s.Render("ticket_reply", "es", TicketReply{
		TicketNumber: 1, Subject: "x",
		Body: "Hola:\r\n\r\nuse <b>esto</b>\r\ny aquello",
	})
	if err != nil {
		t.Fatal(err)
	}
	if want := "<p>Hola:</p>\n<p>use &lt;b&gt;esto&lt;/b&gt;<br>\ny aquello</p>"; !strings.Contains(r.HTML, want) {
		t.Errorf("HTML does not contain %q:\n%s", want, r.HTML)
	}
	if !strings.Contains(r.Text, "use <b>esto</b>\ny aquello") {
		t.Errorf("text altered the body:\n%s", r.Text)
	}
}

func TestSubjectIsOneLine(t *testing.T) {
	s := mustLoad(t, "")
	// The defaults collapse line breaks in the customer's subject...
	r, err := s.Render("ticket_ack", "es", TicketAck{TicketNumber: 3, Subject: "Hola\r\nBcc: victima@ejemplo.cl"})
	if err != nil {
		t.Fatal(err)
	}
	if want := "Recibimos su solicitud: Hola Bcc: victima@ejemplo.cl"; r.Subject != want {
		t.Errorf("subject = %q, want %q", r.Subject, want)
	}
	// ...and an override that forgets to is stopped at Render.
	dir := writeOverrides(t, map[string]string{"es/ticket_ack.subject.txt": "  Re: {{.Subject}}  \n"})
	o := mustLoad(t, dir)
	if r, err := o.Render("ticket_ack", "es", SampleData("ticket_ack")); err != nil || r.Subject != "Re: No puedo enviar correos desde Outlook" {
		t.Errorf("trimmed subject: %v %q", err, r.Subject)
	}
	if _, err := o.Render("ticket_ack", "es", TicketAck{Subject: "Hola\r\nBcc: victima@ejemplo.cl"}); err == nil || !strings.Contains(err.Error(), "several lines") {
		t.Errorf("want a multi-line subject refused, got %v", err)
	}
}

func TestRenderArguments(t *testing.T) {
	s := mustLoad(t, "")
	ack := SampleData("ticket_ack").(TicketAck)
	tests := []struct {
		what       string
		name, lang string
		data       any
		wantErr    string // "" means success
	}{
		{"default language", "ticket_ack", "", ack, ""},
		{"pointer to data", "ticket_ack", "en", &ack, ""},
		{"unknown language", "ticket_ack", "pt", ack, `unknown language "pt"`},
		{"unknown email", "ticket_ackk", "es", ack, `unknown template "ticket_ackk"`},
		{"wrong type", "ticket_reply", "es", ack, "data is templates.TicketAck, want templates.TicketReply"},
		{"nil", "ticket_ack", "es", nil, "data is <nil>, want templates.TicketAck"},
		{"nil pointer", "ticket_ack", "es", (*TicketAck)(nil), "data is *templates.TicketAck, want templates.TicketAck"},
		{"map", "ticket_ack", "es", map[string]any{"TicketNumber": 1}, "want templates.TicketAck"},
		{"link and password", "welcome", "es", Welcome{Access: Access{Login: "a@b.cl", Link: "https://x", Password: "y"}}, "both link and password"},
		{"no access at all", "password_reset", "en", PasswordReset{Access: Access{Login: "a@b.cl"}}, "neither link nor password"},
	}
	for _, tt := range tests {
		r, err := s.Render(tt.name, tt.lang, tt.data)
		switch {
		case tt.wantErr == "" && err != nil:
			t.Errorf("%s: %v", tt.what, err)
		case tt.wantErr == "" && (r.Subject == "" || r.Text == "" || r.HTML == ""):
			t.Errorf("%s: empty part in %+v", tt.what, r)
		case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
			t.Errorf("%s: error %v, want one containing %q", tt.what, err, tt.wantErr)
		}
	}
	es, _ := s.Render("ticket_ack", "", ack)
	es2, _ := s.Render("ticket_ack", "es", ack)
	if *es != *es2 {
		t.Error(`lang "" does not render Spanish`)
	}
}

func TestLoadNeedsCompany(t *testing.T) {
	if _, err := Load(Options{Company: Company{SupportAddress: "a@b.cl"}}); err == nil || !strings.Contains(err.Error(), "company name") {
		t.Errorf("missing name: %v", err)
	}
	if _, err := Load(Options{Company: Company{Name: "A"}}); err == nil || !strings.Contains(err.Error(), "support address") {
		t.Errorf("missing support address: %v", err)
	}
}

func TestOptionalCompanyFieldsLeaveNoTrace(t *testing.T) {
	s, err := Load(Options{Company: Company{Name: "Austral", SupportAddress: "ayuda@austral.cl"}})
	if err != nil {
		t.Fatal(err)
	}
	r, err := s.Render("welcome", "es", SampleData("welcome"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasSuffix(r.Text, "-- \nAustral\nSoporte: ayuda@austral.cl\n") {
		t.Errorf("text signature:\n%s", r.Text)
	}
	if strings.Contains(r.HTML, " · ") || strings.Contains(r.HTML, "<br>\n\n") {
		t.Errorf("HTML footer has separators for absent fields:\n%s", r.HTML)
	}
}

func TestSampleDataAndNames(t *testing.T) {
	seen := map[string]bool{}
	for _, name := range Names() {
		if seen[name] {
			t.Errorf("%s is listed twice in Names() = %v", name, Names())
		}
		seen[name] = true
	}
	if !seen["ticket_reply"] || !seen["agent_mail_held"] || len(seen) < 12 {
		t.Errorf("Names() = %v", Names())
	}
	for _, name := range Names() {
		if SampleData(name) == nil {
			t.Errorf("no sample for %s", name)
		}
	}
	if SampleData("nope") != nil {
		t.Error("sample for an unknown name")
	}
}

func TestConcurrentRender(t *testing.T) {
	s := mustLoad(t, "")
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for _, name := range Names() {
				if _, err := s.Render(name, "en", SampleData(name)); err != nil {
					t.Error(err)
				}
			}
		})
	}
	wg.Wait()
}
