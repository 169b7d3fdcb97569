package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestMailboxDefaultsAndPasswordFile(t *testing.T) {
	pw := filepath.Join(t.TempDir(), "pw")
	if err := os.WriteFile(pw, []byte("s3cret\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	p := writeFile(t, "[[mailboxes]]\nname = \"soporte\"\nhost = \"imap.example.cl\"\nusername = \"u\"\npassword_file = \""+pw+"\"\n")
	cfg, err := Load(p, nil)
	if err != nil {
		t.Fatal(err)
	}
	m := cfg.Mailboxes[0].Normalized()
	if m.Password != "s3cret" || m.Port != 993 || m.Folder != "INBOX" || m.After != "seen" ||
		m.UnknownSender != "ticket" || m.PollInterval.D() != time.Minute || m.Idle != "auto" {
		t.Fatalf("defaults: %+v", m)
	}
}

func TestMailboxValidationNamesIndexedKeyAndLine(t *testing.T) {
	p := writeFile(t, `[[mailboxes]]
name = "a"
host = "127.0.0.1"
tls = "none"
username = "u"
password = "p"

[[mailboxes]]
name = "a"
host = "imap.example.cl"
tls = "none"
username = "u"
oauth2 = "xoauth2"
after = "move:"
`)
	_, err := Load(p, nil)
	if err == nil {
		t.Fatal("want error")
	}
	for _, want := range []string{
		p + ":9: mailboxes.1.name: \"a\" is already the name of mailboxes.0",
		p + ":11: mailboxes.1.tls: none is allowed only for a loopback host",
		p + ":13: mailboxes.1.oauth2: needs exactly one of token_command and token_file",
		p + ":14: mailboxes.1.after: must be seen",
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not contain %q", err, want)
		}
	}
	if strings.Contains(err.Error(), "mailboxes.0.") {
		t.Errorf("the valid loopback mailbox was refused: %v", err)
	}
}

func TestMailboxAgentAuth(t *testing.T) {
	base := "[[mailboxes]]\nname = \"soporte\"\nhost = \"imap.example.cl\"\nusername = \"u\"\npassword = \"p\"\n"
	cfg, err := Load(writeFile(t, base), nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := cfg.Mailboxes[0].Normalized().AgentAuth; got != AgentAuthNone {
		t.Fatalf("default agent_auth %q, want none", got)
	}
	for body, want := range map[string]string{
		base + "agent_auth = \"dkim\"\n":        "mailboxes.0.agent_auth: must be none or dkim_or_spf (got \"dkim\")",
		base + "agent_auth = \"dkim_or_spf\"\n": "mailboxes.0.agent_auth: dkim_or_spf needs intake.trusted_authserv_id",
	} {
		_, err := Load(writeFile(t, body), nil)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error %v, want %q", err, want)
		}
	}
	ok := base + "agent_auth = \"dkim_or_spf\"\n[intake]\ntrusted_authserv_id = \"mx.example.cl\"\n"
	cfg, err = Load(writeFile(t, ok), nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := cfg.Mailboxes[0].Normalized().AgentAuth; got != AgentAuthDKIMOrSPF {
		t.Fatalf("agent_auth %q", got)
	}
}
