package testenv

import (
	"os"
	"path/filepath"
	"testing"
)

// The environment variables scripts/test-services.sh exports for the real
// external servers.
const (
	EnvDovecotAddr     = "TURNO_TEST_DOVECOT_ADDR"     // 127.0.0.1:port, plain IMAP
	EnvDovecotUser     = "TURNO_TEST_DOVECOT_USER"     // a passwd-file user
	EnvDovecotPassword = "TURNO_TEST_DOVECOT_PASSWORD" // its password
	EnvDovecotMaildir  = "TURNO_TEST_DOVECOT_MAILDIR"  // the user's Maildir, for fast delivery
	EnvSMTPSinkAddr    = "TURNO_TEST_SMTPSINK_ADDR"    // 127.0.0.1:port of smtp-sink
)

// Dovecot is the private Dovecot that scripts/test-services.sh runs.
type Dovecot struct {
	Addr, User, Password, Maildir string
}

// RequireDovecot returns the running Dovecot, or skips the test when its
// variables are unset. Under CI (CI set) a missing server fails instead: the
// integration tests must run there, not skip.
func RequireDovecot(t testing.TB) Dovecot {
	t.Helper()
	d := Dovecot{
		Addr:     os.Getenv(EnvDovecotAddr),
		User:     os.Getenv(EnvDovecotUser),
		Password: os.Getenv(EnvDovecotPassword),
		Maildir:  os.Getenv(EnvDovecotMaildir),
	}
	if d.Addr == "" || d.User == "" {
		missing(t, "Dovecot", EnvDovecotAddr)
	}
	return d
}

// RequireSMTPSink returns the address of Postfix's smtp-sink, or skips (fails
// under CI) when it is not running.
func RequireSMTPSink(t testing.TB) string {
	t.Helper()
	addr := os.Getenv(EnvSMTPSinkAddr)
	if addr == "" {
		missing(t, "smtp-sink", EnvSMTPSinkAddr)
	}
	return addr
}

func missing(t testing.TB, what, env string) {
	t.Helper()
	msg := what + " is not running (" + env + " unset): start it with scripts/test-services.sh or run ./scripts/test.sh"
	if os.Getenv("CI") != "" {
		t.Fatal(msg + "; CI must run the integration tests")
	}
	t.Skip(msg)
}

// Deliver puts a message straight into the Dovecot user's Maildir the way an
// MDA does (write to tmp/, rename into new/): thousands per second, where an
// IMAP APPEND or doveadm would be the bottleneck of a benchmark.
func (d Dovecot) Deliver(t testing.TB, name string, msg []byte) {
	t.Helper()
	if d.Maildir == "" {
		t.Fatalf("%s unset: cannot deliver by Maildir", EnvDovecotMaildir)
	}
	tmp := filepath.Join(d.Maildir, "tmp", name)
	if err := os.WriteFile(tmp, msg, 0o666); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, filepath.Join(d.Maildir, "new", name)); err != nil {
		t.Fatal(err)
	}
}
