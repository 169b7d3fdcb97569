package cli

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"

	"turno/daemon"
	"turno/internal/devserve"
	"turno/tickets"
)

type literal struct{ *bytes.Reader }

func (l literal) Size() int64 { return l.Reader.Size() }

// Admin commands work while turno serve holds the embedded store: they
// reach it through its socket, which only this user can open; once serve
// stops they open the data directory themselves.
func TestAdminCommandsWhileServeRuns(t *testing.T) {
	d, dir, stop := startDevServe(t)
	if !strings.HasPrefix(d.Store.URI, "mongodb://%2F") {
		t.Errorf("embedded store URI %q is not a Unix socket", d.Store.URI)
	}
	run := filepath.Join(dir, "db", "run")
	for path, want := range map[string]os.FileMode{run: 0o700, filepath.Join(run, "turno.sock"): 0o600} {
		fi, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != want {
			t.Errorf("%s has mode %o, want %o", path, fi.Mode().Perm(), want)
		}
	}

	msg := []byte("Message-ID: <running@gmail.com>\r\nFrom: Pedro <pedro@gmail.com>\r\nTo: soporte@turno.test\r\n" +
		"Subject: No puedo entrar\r\n\r\nOlvidé mi clave.\r\n")
	appendAndWaitTicket(t, d, msg, 100000)
	out, errs, code := runIn(dir, "tickets", "list", "--json")
	if code != 0 || !strings.Contains(out, "100000") || !strings.Contains(out, "pedro@gmail.com") {
		t.Fatalf("tickets list while serve runs: code %d\n%s\n%s", code, out, errs)
	}
	// A write goes through the daemon's store too.
	if _, errs, code := runIn(dir, "clients", "add", "C1", "--name", "Acme", "--email", "ana@acme.cl", "--no-welcome"); code != 0 {
		t.Fatalf("clients add while serve runs: %s", errs)
	}
	if _, err := d.Clients.Get(context.Background(), "C1"); err != nil {
		t.Fatalf("the daemon does not see the client the command added: %v", err)
	}

	stop()
	out, errs, code = runIn(dir, "tickets", "list", "--json")
	if code != 0 || !strings.Contains(out, "100000") {
		t.Fatalf("tickets list after serve stopped: code %d\n%s\n%s", code, out, errs)
	}
}

func runIn(dataDir string, args ...string) (string, string, int) {
	var out, errb bytes.Buffer
	code := Main(args, &out, &errb, []string{"TURNO_DATA_DIR=" + dataDir, "USER=tester", "TURNO_LOG_LEVEL=warn"})
	return out.String(), errb.String(), code
}

// startDevServe runs turno serve --dev in-process on a fresh data
// directory until it is ready; stop (also run at cleanup) stops it once.
func startDevServe(t *testing.T) (d *daemon.Daemon, dir string, stop func()) {
	t.Helper()
	s := devserve.Start(t)
	return s.D, s.Dir, s.Stop
}

// appendAndWaitTicket appends msg to the dev mailbox of a running serve
// --dev and waits until it has become ticket n.
func appendAndWaitTicket(t *testing.T, d *daemon.Daemon, msg []byte, n int64) {
	t.Helper()
	if _, err := d.Dev.Mailbox.Append("INBOX", literal{bytes.NewReader(msg)}, &imap.AppendOptions{}); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		_, _, err := d.Tickets.Show(context.Background(), n)
		if err == nil {
			return
		}
		if !errors.Is(err, tickets.ErrNotFound) || time.Now().After(deadline) {
			t.Fatalf("ticket %d: %v", n, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
