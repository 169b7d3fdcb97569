package cli

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// mail parse shows the sender verdict read with the configured trusted
// authserv-id, and ignores a header another server (or the sender) wrote.
func TestMailParseShowsAuthVerdict(t *testing.T) {
	dir := t.TempDir()
	eml := filepath.Join(dir, "forged.eml")
	raw := "Authentication-Results: mx.turno.example; dkim=none; dmarc=fail (p=reject dis=none) header.from=cliente.cl\r\n" +
		"Authentication-Results: mx.evil.example; dmarc=pass header.from=cliente.cl\r\n" +
		"From: maria@cliente.cl\r\nTo: soporte@turno.example\r\nSubject: hola\r\nMessage-ID: <f1@evil.example>\r\n\r\nHola\r\n"
	conf := filepath.Join(dir, "turno.toml")
	if err := os.WriteFile(eml, []byte(raw), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(conf, []byte("[intake]\ntrusted_authserv_id = \"MX.turno.example\"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	var out, errOut bytes.Buffer
	if code := Main([]string{"mail", "parse", "--json", eml}, &out, &errOut, []string{"TURNO_CONFIG=" + conf}); code != 0 {
		t.Fatalf("exit %d: %s", code, errOut.String())
	}
	var got struct {
		Auth *struct {
			TrustedID string `json:"trusted_authserv_id"`
			Verdict   string `json:"verdict"`
			Reason    string `json:"reason"`
		} `json:"auth"`
	}
	if err := json.Unmarshal(out.Bytes(), &got); err != nil || got.Auth == nil {
		t.Fatalf("no auth in %s (%v)", out.String(), err)
	}
	if got.Auth.Verdict != "fail" || got.Auth.Reason != "dmarc=fail for cliente.cl" || got.Auth.TrustedID != "mx.turno.example" {
		t.Fatalf("auth %+v", *got.Auth)
	}

	// The flag overrides the configuration: trusting the forger's server
	// shows its pass, which is why only the receiving server is trusted.
	out.Reset()
	if code := Main([]string{"mail", "parse", "--trusted-authserv-id", "mx.evil.example", eml}, &out, &errOut, []string{"TURNO_CONFIG=" + conf}); code != 0 {
		t.Fatalf("exit %d: %s", code, errOut.String())
	}
	if !strings.Contains(out.String(), "Sender:     pass (dmarc=pass for cliente.cl; trusting mx.evil.example)") {
		t.Fatalf("summary:\n%s", out.String())
	}
}
