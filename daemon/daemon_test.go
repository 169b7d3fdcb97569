package daemon_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"turno/config"
	"turno/daemon"
	"turno/internal/testenv"
)

func testConfig(t *testing.T) config.Config {
	cfg := config.Default()
	cfg.DataDir = t.TempDir()
	cfg.HTTP.Listen = "127.0.0.1:0"
	cfg.Dev.IMAPListen = "127.0.0.1:0"
	cfg.Dev.SMTPListen = "127.0.0.1:0"
	cfg.Shutdown.GracePeriod = config.Duration(5 * time.Second)
	return cfg
}

// start runs a daemon in the background and waits until it is ready.
func start(t *testing.T, opts daemon.Options) (*daemon.Daemon, <-chan error) {
	t.Helper()
	opts.Logger = testenv.Logger(t)
	d, err := daemon.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- d.Run(context.Background()) }()
	select {
	case <-d.Ready():
	case err := <-done:
		t.Fatalf("daemon stopped before ready: %v", err)
	case <-time.After(30 * time.Second):
		t.Fatal("daemon not ready after 30s")
	}
	return d, done
}

func get(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func TestServeEndpointsAndGracefulStop(t *testing.T) {
	cfg := testConfig(t)
	d, done := start(t, daemon.Options{Config: cfg})
	base := "http://" + d.HTTP.Addr()

	if code, _ := get(t, base+"/healthz"); code != 200 {
		t.Fatalf("/healthz %d", code)
	}
	code, body := get(t, base+"/readyz")
	var ready struct {
		Status string
		Checks map[string]string
	}
	if err := json.Unmarshal([]byte(body), &ready); err != nil || code != 200 || ready.Checks["database"] != "ok" {
		t.Fatalf("/readyz %d %s", code, body)
	}
	_, metrics := get(t, base+"/metrics")
	for _, want := range []string{"turno_build_info{", "go_goroutines", "process_resident_memory_bytes", "turno_billing_undeliverable_clients"} {
		if !strings.Contains(metrics, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	if _, err := os.Stat(filepath.Join(cfg.DataDir, "db")); err != nil {
		t.Fatalf("no data under the data dir: %v", err)
	}

	d.Stop()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Run after Stop: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("did not stop within the grace period")
	}
	if _, err := http.Get(base + "/healthz"); err == nil {
		t.Fatal("HTTP still answering after stop")
	}
}

func TestReadyzReportsDatabaseDown(t *testing.T) {
	cfg := testConfig(t)
	d, done := start(t, daemon.Options{Config: cfg})
	defer func() { d.Stop(); <-done }()
	// Close the database under the running daemon: readiness must say so.
	if err := d.Store.Client.Disconnect(context.Background()); err != nil {
		t.Fatal(err)
	}
	code, body := get(t, "http://"+d.HTTP.Addr()+"/readyz")
	if code != http.StatusServiceUnavailable || !strings.Contains(body, `"database"`) || strings.Contains(body, `"database":"ok"`) {
		t.Fatalf("/readyz %d %s", code, body)
	}
}

func TestStartFailureLeavesNothingRunning(t *testing.T) {
	cfg := testConfig(t)
	cfg.HTTP.Listen = "127.0.0.1:1" // privileged/unavailable: listen fails after the store started
	if os.Geteuid() == 0 {
		// root may bind port 1; occupy a port instead.
		d0, done0 := start(t, daemon.Options{Config: testConfig(t)})
		defer func() { d0.Stop(); <-done0 }()
		cfg.HTTP.Listen = d0.HTTP.Addr()
	}
	d, err := daemon.New(daemon.Options{Config: cfg, Logger: testenv.Logger(t)})
	if err != nil {
		t.Fatal(err)
	}
	if err := d.Run(context.Background()); err == nil || !strings.Contains(err.Error(), "http listen") {
		t.Fatalf("want http listen error, got %v", err)
	}
	// The store it had started was torn down: the data dir is free again.
	d2, done2 := start(t, daemon.Options{Config: func() config.Config { c := cfg; c.HTTP.Listen = "127.0.0.1:0"; return c }()})
	d2.Stop()
	if err := <-done2; err != nil {
		t.Fatal(err)
	}
}

func TestDevServersAcceptMail(t *testing.T) {
	cfg := testConfig(t)
	d, done := start(t, daemon.Options{Config: cfg, Dev: true})
	defer func() { d.Stop(); <-done }()
	if err := sendMail(d.Dev.SMTPAddr, cfg.Dev.User, cfg.Dev.Password); err != nil {
		t.Fatal(err)
	}
	// dev-mail also holds the development customer's welcome mail (sent
	// by the outbox at any moment): exactly one file is the test's.
	files, _ := filepath.Glob(filepath.Join(cfg.DataDir, "dev-mail", "*.eml"))
	var ours [][]byte
	for _, f := range files {
		b, _ := os.ReadFile(f)
		if strings.Contains(string(b), "Subject: Prueba dev") {
			ours = append(ours, b)
		}
	}
	if len(ours) != 1 {
		t.Fatalf("want 1 .eml file with the test's subject, got %d of %v", len(ours), files)
	}
	if b := ours[0]; !strings.Contains(string(b), "X-Dev-Envelope-To: cliente@example.cl") {
		t.Fatalf("saved message:\n%s", b)
	}
	if n, err := imapMessages(d.Dev.IMAPAddr, cfg.Dev.User, cfg.Dev.Password); err != nil || n != 0 {
		t.Fatalf("dev IMAP INBOX: %d messages, %v", n, err)
	}
}

// --dev creates the development customer once and mails its welcome (the
// link to choose a portal password) to dev-mail; a restart sends no second.
func TestDevCustomerGetsItsWelcomeOnce(t *testing.T) {
	cfg := testConfig(t)
	for range 2 {
		d, done := start(t, daemon.Options{Config: cfg, Dev: true})
		if c, err := d.Clients.Get(context.Background(), daemon.DevClientID); err != nil || c.Email != daemon.DevClientAddress {
			t.Fatalf("dev client: %+v, %v", c, err)
		}
		deadline := time.Now().Add(30 * time.Second)
		for {
			files, _ := filepath.Glob(filepath.Join(cfg.DataDir, "dev-mail", "*.eml"))
			if len(files) > 0 || time.Now().After(deadline) {
				break
			}
			time.Sleep(100 * time.Millisecond)
		}
		d.Stop()
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}
	files, _ := filepath.Glob(filepath.Join(cfg.DataDir, "dev-mail", "*.eml"))
	if len(files) != 1 {
		t.Fatalf("want the one welcome mail, got %v", files)
	}
	b, _ := os.ReadFile(files[0])
	if !strings.Contains(string(b), "X-Dev-Envelope-To: "+daemon.DevClientAddress) || !strings.Contains(string(b), "set-password") {
		t.Fatalf("welcome mail:\n%s", b)
	}
}
