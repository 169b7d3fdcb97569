package config

import (
	"strings"
	"testing"
)

func TestTrustedAuthservID(t *testing.T) {
	p := writeFile(t, "[intake]\ntrusted_authserv_id = \"mx.example.cl\"\n")
	cfg, err := Load(p, nil)
	if err != nil || cfg.Intake.TrustedAuthservID != "mx.example.cl" {
		t.Fatalf("Load = %q, %v", cfg.Intake.TrustedAuthservID, err)
	}
	p = writeFile(t, "[intake]\ntrusted_authserv_id = \"mx.example.cl; dmarc=pass\"\n")
	if _, err := Load(p, nil); err == nil || !strings.Contains(err.Error(), "intake.trusted_authserv_id: must be a server name") {
		t.Fatalf("want a clear error, got %v", err)
	}
}
