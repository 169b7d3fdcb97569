package daemon_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"turno/agents"
	"turno/clients"
	"turno/config"
	"turno/daemon"
	"turno/mailin/parse"
	"turno/msgid"
)

// amPost posts to the API as token and decodes the answer.
func amPost(t *testing.T, d *daemon.Daemon, token, path string) (int, map[string]any) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, "http://"+d.HTTP.Addr()+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var out map[string]any
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatalf("%s: %d %s", path, resp.StatusCode, b)
	}
	return resp.StatusCode, out
}

var releaseLine = regexp.MustCompile(`turno tickets release 100000 (held:[0-9a-f]{64})`)

// A mailbox that requires DKIM or SPF holds an agent's answer without
// them; the explanation tells the agent how to confirm it, and the
// agent's POST .../held/{key}/release sends it to the customer, once;
// another agent may not release it.
func TestAgentMailReleaseOverAPI(t *testing.T) {
	mb, deliver := amFolder(t, "release")
	mb.AgentAuth = config.AgentAuthDKIMOrSPF
	cfg := testConfig(t)
	cfg.Mailboxes = []config.MailboxConfig{mb}
	cfg.Intake.TrustedAuthservID = "mx.turno.test" // the mail below carries no Authentication-Results at all
	d, done := start(t, daemon.Options{Config: cfg, Dev: true})
	defer func() { d.Stop(); <-done }()
	ctx := context.Background()
	if _, err := d.Clients.Add(ctx, clients.NewClient("C-1", "Cliente SpA", "maria@cliente.cl"), "test"); err != nil {
		t.Fatal(err)
	}
	tokens := map[string]string{}
	for _, a := range []agents.Agent{
		{Email: "ana@turno.test", Name: "Ana Rojas", Departments: []string{"soporte"}},
		{Email: "beto@turno.test", Name: "Beto Soto", Departments: []string{"soporte"}},
	} {
		if _, err := d.Agents.Add(ctx, a); err != nil {
			t.Fatal(err)
		}
		tok, _, err := d.Agents.CreateToken(ctx, a.Email, "test")
		if err != nil {
			t.Fatal(err)
		}
		tokens[a.Email] = tok
	}
	key := d.Tickets.MessageIDKey()
	deliver([]byte("From: maria@cliente.cl\r\nTo: soporte@turno.test\r\nSubject: Sin correo\r\nMessage-ID: <r1@cliente.cl>\r\n\r\nNo me llega el correo.\r\n"))
	notice := waitSent(t, cfg.DataDir, "the notification to ana", func(m *parse.Message) bool {
		_, ok := msgid.Notice(m.MessageID, key)
		return ok && len(m.To) == 1 && m.To[0].Address == "ana@turno.test"
	})
	deliver(clientReply("ana@turno.test", notice.msg.ReplyTo.Address, notice.msg.MessageID, notice.msg.Subject,
		"RESPUESTA-SIN-DKIM: revise la carpeta de spam.", notice.msg.Text))
	told := waitSent(t, cfg.DataDir, "the explanation to ana", func(m *parse.Message) bool {
		return len(m.To) == 1 && m.To[0].Address == "ana@turno.test" && releaseLine.MatchString(m.Text)
	})
	if !strings.Contains(told.msg.Subject, "Confirme su respuesta") {
		t.Errorf("the explanation's subject %q", told.msg.Subject)
	}
	held := releaseLine.FindStringSubmatch(told.msg.Text)[1]
	if n := len(amOutbox(t, d, "ticket_reply")); n != 0 {
		t.Fatalf("%d replies before the release", n)
	}
	path := "/api/v1/tickets/100000/held/" + held + "/release"

	if code, body := amPost(t, d, tokens["beto@turno.test"], path); code != http.StatusBadRequest {
		t.Fatalf("beto's release: %d %v", code, body)
	}
	if code, body := amPost(t, d, tokens["ana@turno.test"], "/api/v1/tickets/100000/held/held:00/release"); code != http.StatusBadRequest {
		t.Fatalf("a bad key: %d %v", code, body)
	}
	for i := range 2 {
		code, body := amPost(t, d, tokens["ana@turno.test"], path)
		if code != http.StatusOK || body["outcome"] != "applied" || body["replayed"] != (i == 1) {
			t.Fatalf("ana's release %d: %d %v", i, code, body)
		}
	}
	waitSent(t, cfg.DataDir, "the released answer to maria", func(m *parse.Message) bool {
		return len(m.To) > 0 && m.To[0].Address == "maria@cliente.cl" && strings.Contains(m.Text, "RESPUESTA-SIN-DKIM") &&
			m.InReplyTo == "r1@cliente.cl"
	})
	if n := len(amOutbox(t, d, "ticket_reply")); n != 1 {
		t.Fatalf("%d replies after releasing twice, want 1", n)
	}
}
