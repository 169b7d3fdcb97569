package mailout_test

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"syscall"
	"testing"
	"time"

	"turno/config"
	"turno/internal/testenv"
	"turno/mailout"
	"turno/templates"
)

// These tests run real `turno serve` processes on one shared embedded store
// and a scripted go-smtp server, and count what the server received by
// Message-ID (each entry's is fixed at enqueue).

var msgIDRe = regexp.MustCompile(`(?mi)^Message-ID: (<[^>]+>)`)

func buildTurno(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "turno")
	out, err := exec.Command("go", "build", "-o", bin, "../cmd/turno").CombinedOutput()
	if err != nil {
		t.Fatalf("build turno: %v\n%s", err, out)
	}
	return bin
}

type fleet struct {
	t    *testing.T
	bin  string
	cfg  string
	env  []string
	smtp *testenv.SMTPServer
}

func newFleet(t *testing.T, n int, connections int) (*fleet, []string) {
	if testing.Short() {
		t.Skip("starts turno processes")
	}
	st := testenv.Store(t)
	srv := testenv.SMTP(t, nil)
	host, port, _ := net.SplitHostPort(srv.Addr)
	dir := t.TempDir()
	cfgPath := filepath.Join(dir, "turno.toml")
	body := fmt.Sprintf(`[outbox]
connections = %d
poll_interval = "100ms"
lease = "3s"
smtp_timeout = "1s"

[[outbox.relays]]
host = %q
port = %s
tls = "none"
`, connections, host, port)
	if err := os.WriteFile(cfgPath, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	// Enqueue from the test, as another process would.
	ctx := context.Background()
	key, err := mailout.MessageIDKey(ctx, st.DB, "")
	if err != nil {
		t.Fatal(err)
	}
	set, err := templates.Load(templates.Options{Company: templates.Company{Name: "X", SupportAddress: "s@example.cl"}})
	if err != nil {
		t.Fatal(err)
	}
	def := config.Default()
	ob, err := mailout.New(mailout.Options{DB: st.DB, Templates: set, Mail: def.Mail, Outbox: def.Outbox, MessageIDKey: key, Logger: testenv.Logger(t)})
	if err != nil {
		t.Fatal(err)
	}
	ids := make([]string, 0, n)
	for i := range n {
		id, err := ob.Enqueue(ctx, mailout.Message{Key: fmt.Sprintf("invoice:%d", i), Template: "payment_received",
			Data: templates.SampleData("payment_received"), To: []string{fmt.Sprintf("c%d@example.com", i)}})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	f := &fleet{t: t, bin: buildTurno(t), cfg: cfgPath, smtp: srv, env: append(os.Environ(),
		"TURNO_MONGODB_URI="+st.URI, "TURNO_MONGODB_DATABASE="+st.DB.Name(),
		"TURNO_HTTP_LISTEN=127.0.0.1:0", "TURNO_DATA_DIR="+dir, "TURNO_LOG_LEVEL=warn")}
	return f, ids
}

func (f *fleet) start() *exec.Cmd {
	cmd := exec.Command(f.bin, "serve", "--config", f.cfg)
	cmd.Env = f.env
	if testing.Verbose() {
		cmd.Stderr = os.Stderr
	}
	if err := cmd.Start(); err != nil {
		f.t.Fatal(err)
	}
	f.t.Cleanup(func() { _ = cmd.Process.Kill(); _, _ = cmd.Process.Wait() })
	return cmd
}

// count returns how many distinct Message-IDs arrived and how many
// messages arrived in all.
func (f *fleet) count() (unique, total int) {
	seen := map[string]bool{}
	rcv := f.smtp.Received()
	for _, r := range rcv {
		if m := msgIDRe.FindSubmatch(r.Data); m != nil {
			seen[string(m[1])] = true
		}
	}
	return len(seen), len(rcv)
}

func (f *fleet) waitUnique(n int, timeout time.Duration) {
	f.t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		u, _ := f.count()
		if u >= n {
			return
		}
		if time.Now().After(deadline) {
			f.t.Fatalf("only %d of %d messages delivered after %s", u, n, timeout)
		}
		f.smtp.WaitFor(len(f.smtp.Received())+1, 200*time.Millisecond)
	}
}

func TestKill9WhileDrainingLosesNothing(t *testing.T) {
	n, conns := entriesFromEnv("TURNO_TEST_KILL_ENTRIES", 200), 4
	f, _ := newFleet(t, n, conns)
	first := f.start()
	f.waitUnique(n/3, 4*time.Minute)
	if err := first.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_, _ = first.Process.Wait()
	uBefore, tBefore := f.count()
	second := f.start()
	f.waitUnique(n, 6*time.Minute)
	_ = second.Process.Signal(syscall.SIGTERM)
	_, _ = second.Process.Wait()
	u, total := f.count()
	dups := total - u
	t.Logf("killed after %d delivered (%d received); after restart %d unique of %d received: %d duplicates (bound: %d connections)",
		uBefore, tBefore, u, total, dups, conns)
	if u != n {
		t.Fatalf("%d distinct messages delivered, want %d", u, n)
	}
	// Only a message the relay had accepted and we had not yet recorded
	// can go twice: at most one per connection at the moment of the kill.
	if dups > conns {
		t.Fatalf("%d duplicates, more than the %d in-flight sends the window allows", dups, conns)
	}
}

func TestTwoProcessesNeverSendTwice(t *testing.T) {
	n := entriesFromEnv("TURNO_TEST_TWO_ENTRIES", 150)
	f, _ := newFleet(t, n, 3)
	a, b := f.start(), f.start()
	f.waitUnique(n, 6*time.Minute)
	for _, p := range []*exec.Cmd{a, b} {
		_ = p.Process.Signal(syscall.SIGTERM)
		_, _ = p.Process.Wait()
	}
	u, total := f.count()
	t.Logf("two processes: %d unique of %d received", u, total)
	if u != n || total != n {
		t.Fatalf("%d distinct, %d received; want %d and %d", u, total, n, n)
	}
}

// entriesFromEnv: the issue asks for 2,000 entries (kill) and the full
// runs are TURNO_TEST_KILL_ENTRIES=2000 (45-110 s here) and
// TURNO_TEST_TWO_ENTRIES=1000 (45-65 s); the defaults are smaller to
// keep `go test` short on this shared 2-core machine.
func entriesFromEnv(name string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(name)); err == nil && v > 0 {
		return v
	}
	return def
}
