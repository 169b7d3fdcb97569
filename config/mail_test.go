package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// mail.message_id_secret, set in the file, from the environment or read
// from message_id_secret_file, must be at least 32 bytes; the problem
// names the key that set it and never shows the secret. Empty (generated)
// and 32 bytes pass.
func TestMessageIDSecretMinimumLength(t *testing.T) {
	short := "corto-pero-secreto-31-bytes-xxx"
	if len(short) != MinMessageIDSecret-1 {
		t.Fatalf("test secret is %d bytes", len(short))
	}
	p := writeFile(t, "[mail]\nmessage_id_secret = \""+short+"\"\n")
	_, problems := Check(p, nil)
	found := false
	for _, pr := range problems {
		if pr.Key == "mail.message_id_secret" {
			found = true
			if !strings.Contains(pr.Message, "at least 32 bytes") || pr.Line != 2 || strings.Contains(pr.Message, short) {
				t.Fatalf("problem %+v", pr)
			}
		}
	}
	if !found {
		t.Fatalf("a 31-byte secret passed config check: %+v", problems)
	}

	if _, err := Load("", []string{"TURNO_MAIL_MESSAGE_ID_SECRET=" + short}); err == nil ||
		!strings.Contains(err.Error(), "mail.message_id_secret") || !strings.Contains(err.Error(), "at least 32 bytes") {
		t.Fatalf("from the environment: %v", err)
	}
	f := filepath.Join(t.TempDir(), "secret")
	if err := os.WriteFile(f, []byte(short+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := Load("", []string{"TURNO_MAIL_MESSAGE_ID_SECRET_FILE=" + f}); err == nil ||
		!strings.Contains(err.Error(), "mail.message_id_secret_file") || strings.Contains(err.Error(), short) {
		t.Fatalf("from a file: %v", err)
	}

	for _, ok := range []string{"", strings.Repeat("k", MinMessageIDSecret)} {
		if _, err := Load("", []string{"TURNO_MAIL_MESSAGE_ID_SECRET=" + ok}); err != nil {
			t.Fatalf("a %d-byte secret: %v", len(ok), err)
		}
	}
	if err := os.WriteFile(f, []byte(strings.Repeat("k", 64)+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if cfg, err := Load("", []string{"TURNO_MAIL_MESSAGE_ID_SECRET_FILE=" + f}); err != nil || len(cfg.Mail.MessageIDSecret) != 64 {
		t.Fatalf("a 64-byte secret file: %v", err)
	}
}
