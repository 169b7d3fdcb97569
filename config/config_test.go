package config

import (
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

func writeFile(t *testing.T, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "turno.toml")
	if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestExampleMatchesDefaults(t *testing.T) {
	cfg, err := Load("../turno.example.toml", nil)
	if err != nil {
		t.Fatal(err)
	}
	if want := Default(); !reflect.DeepEqual(cfg, want) {
		t.Fatalf("example file differs from Default():\n got %+v\nwant %+v", cfg, want)
	}
}

func TestExampleDocumentsEveryKey(t *testing.T) {
	data, err := os.ReadFile("../turno.example.toml")
	if err != nil {
		t.Fatal(err)
	}
	lines := keyLines(data)
	def := Default()
	for _, f := range fields(&def) {
		if f.Alias != "" {
			continue // an old name: read, not documented
		}
		if _, ok := lines[f.Key]; !ok {
			t.Errorf("key %s is not in turno.example.toml", f.Key)
		}
	}
}

func TestUnknownKeyNamesKeyAndLine(t *testing.T) {
	p := writeFile(t, "data_dir = \"x\"\n\n[mongodb]\nurii = \"mongodb://h\"\n")
	_, err := Load(p, nil)
	if err == nil {
		t.Fatal("want error")
	}
	want := p + ":4: unknown key \"mongodb.urii\"; did you mean \"mongodb.uri\"?"
	if err.Error() != want {
		t.Fatalf("got %q\nwant %q", err, want)
	}
}

func TestBadDurationNamesKeyAndLine(t *testing.T) {
	p := writeFile(t, "[shutdown]\n# comment\ngrace_period = \"thirty\"\n")
	_, err := Load(p, nil)
	if err == nil {
		t.Fatal("want error")
	}
	for _, want := range []string{p + ":3:", "shutdown.grace_period", "invalid duration"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not contain %q", err, want)
		}
	}
}

func TestValidationNamesKeyAndLine(t *testing.T) {
	p := writeFile(t, "[log]\nlevel = \"loud\"\n[company]\nname = \"\"\n")
	_, err := Load(p, nil)
	if err == nil {
		t.Fatal("want error")
	}
	for _, want := range []string{p + ":2: log.level: must be one of", p + ":4: company.name: is required"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not contain %q", err, want)
		}
	}
}

func TestWrongTypeNamesLine(t *testing.T) {
	p := writeFile(t, "[http]\nlisten = 8025\n")
	_, err := Load(p, nil)
	if err == nil || !strings.Contains(err.Error(), p+":2:") {
		t.Fatalf("got %v", err)
	}
}

func TestEnvOverrides(t *testing.T) {
	p := writeFile(t, "[http]\nlisten = \"127.0.0.1:9000\"\n")
	cfg, err := Load(p, []string{
		"TURNO_HTTP_LISTEN=127.0.0.1:9100",
		"TURNO_SHUTDOWN_GRACE_PERIOD=5s",
		"TURNO_MONGODB_URI=mongodb://db.invalid:27017",
		"PATH=/bin",
	})
	if err != nil {
		t.Fatal(err)
	}
	if cfg.HTTP.Listen != "127.0.0.1:9100" || cfg.Shutdown.GracePeriod.D() != 5*time.Second || cfg.MongoDB.URI != "mongodb://db.invalid:27017" {
		t.Fatalf("env not applied: %+v", cfg)
	}
}

func TestEnvBadValueNamesVariable(t *testing.T) {
	_, err := Load("", []string{"TURNO_MONGODB_CONNECT_TIMEOUT=soon"})
	if err == nil || !strings.Contains(err.Error(), "mongodb.connect_timeout (from TURNO_MONGODB_CONNECT_TIMEOUT)") {
		t.Fatalf("got %v", err)
	}
	_, err = Load("", []string{"TURNO_LOG_FORMAT=xml"})
	if err == nil || !strings.Contains(err.Error(), "log.format (from TURNO_LOG_FORMAT)") {
		t.Fatalf("got %v", err)
	}
}

func TestEnvSetsIntegerLists(t *testing.T) {
	cfg, err := Load("", []string{"TURNO_BILLING_COLLECTION_STAGES=-5, 0,10"})
	if err != nil {
		t.Fatal(err)
	}
	if got := fmt.Sprint(cfg.Billing.CollectionStages); got != "[-5 0 10]" {
		t.Fatalf("collection_stages = %s", got)
	}
	_, err = Load("", []string{"TURNO_BILLING_COLLECTION_STAGES=-3,soon"})
	if err == nil || !strings.Contains(err.Error(), "billing.collection_stages (from TURNO_BILLING_COLLECTION_STAGES)") ||
		!strings.Contains(err.Error(), `"soon"`) {
		t.Fatalf("got %v", err)
	}
}

func TestSecretFileAndRedaction(t *testing.T) {
	dir := t.TempDir()
	secret := filepath.Join(dir, "uri")
	if err := os.WriteFile(secret, []byte("mongodb://u:hunter2@db:27017\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := Load("", []string{"TURNO_MONGODB_URI_FILE=" + secret})
	if err != nil {
		t.Fatal(err)
	}
	if cfg.MongoDB.URI != "mongodb://u:hunter2@db:27017" {
		t.Fatalf("uri_file not read: %q", cfg.MongoDB.URI)
	}
	out, err := Effective(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(out), "hunter2") || !strings.Contains(string(out), "<redacted>") {
		t.Fatalf("secret not redacted:\n%s", out)
	}
	if cfg.MongoDB.URI != "mongodb://u:hunter2@db:27017" {
		t.Fatal("redaction changed the original")
	}
	_, err = Load("", []string{"TURNO_MONGODB_URI_FILE=" + secret, "TURNO_MONGODB_URI=mongodb://x"})
	if err == nil || !strings.Contains(err.Error(), "both set") {
		t.Fatalf("got %v", err)
	}
}

func TestDevServersLoopbackOnly(t *testing.T) {
	_, err := Load("", []string{"TURNO_DEV_IMAP_LISTEN=0.0.0.0:1143"})
	if err == nil || !strings.Contains(err.Error(), "dev.imap_listen") {
		t.Fatalf("got %v", err)
	}
}
