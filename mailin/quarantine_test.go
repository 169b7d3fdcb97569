package mailin

import (
	"context"
	"errors"
	"io"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"turno/config"
	"turno/internal/testenv"
	"turno/mailin/parse"
	"turno/store"
)

// notices records what a Notifier is told.
type notices struct {
	mu   sync.Mutex
	list []Notice
}

func (n *notices) NotifyQuarantined(_ context.Context, x Notice) error {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.list = append(n.list, x)
	return nil
}

func (n *notices) all() []Notice {
	n.mu.Lock()
	defer n.mu.Unlock()
	return append([]Notice(nil), n.list...)
}

func startWith(t *testing.T, opts Options) *Service {
	t.Helper()
	opts.Intake = config.Default().Intake
	opts.Intake.LeaseTTL = config.Duration(3 * time.Second)
	opts.Intake.BatchSize = 2
	opts.Logger = testenv.Logger(t)
	opts.MinBackoff, opts.MaxBackoff, opts.RetryDelay = 10*time.Millisecond, 100*time.Millisecond, 20*time.Millisecond
	s, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	if err := store.EnsureIndexes(context.Background(), opts.DB, Indexes()); err != nil {
		t.Fatal(err)
	}
	s.Start()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := s.Stop(ctx); err != nil {
			t.Error(err)
		}
	})
	return s
}

// A failure that a retry cannot change is quarantined on the first attempt,
// the sender is told once, and the next message is not held up.
func TestPermanentFailureIsQuarantinedAtOnce(t *testing.T) {
	srv := testenv.IMAP(t, mail("bad@x", "malo"), mail("good@x", "bueno"))
	db := testenv.DB(t)
	rec := &recorder{fail: func(in Incoming) error {
		if in.Key == "mid:bad@x" {
			return Permanent(errors.New("cannot marshal type *tickets.Message to a BSON Document"))
		}
		return nil
	}}
	var told notices
	startWith(t, Options{DB: db, Mailboxes: []config.MailboxConfig{mailboxFor(srv, "soporte")}, Sink: rec, Notifier: &told})
	waitFor(t, "good message ingested", func() (bool, error) { return rec.count() == 1, nil })
	waitFor(t, "bad message quarantined", func() (bool, error) { return count(t, db, QuarantineCollection) == 1, nil })
	q, err := ListQuarantine(context.Background(), db, "")
	if err != nil || len(q) != 1 || q[0].Attempts != 1 || q[0].Reason != "ingest" {
		t.Fatalf("quarantine %+v, %v: want one, after one attempt", q, err)
	}
	rec.mu.Lock()
	calls := rec.calls
	rec.mu.Unlock()
	if calls != 2 {
		t.Errorf("sink called %d times for two messages: the permanent failure was retried", calls)
	}
	n := told.all()
	if len(n) != 1 || n[0].ID != q[0].ID || n[0].Message == nil || n[0].Message.From.Address != "ana@cliente.cl" {
		t.Fatalf("notices %+v", n)
	}
}

// A parser panic is a bug the same bytes hit again: quarantined at once,
// nobody to tell (nothing was parsed), the mailbox goes on.
func TestParserPanicIsQuarantinedAtOnce(t *testing.T) {
	srv := testenv.IMAP(t, mail("boom@x", "boom"), mail("good@x", "bueno"))
	db := testenv.DB(t)
	rec := &recorder{}
	var told notices
	panicky := func(r io.Reader, o *parse.Options) (*parse.Message, error) {
		b, _ := io.ReadAll(r)
		if strings.Contains(string(b), "Subject: boom") {
			panic("index out of range")
		}
		return parse.Parse(strings.NewReader(string(b)), o)
	}
	startWith(t, Options{DB: db, Mailboxes: []config.MailboxConfig{mailboxFor(srv, "soporte")}, Sink: rec,
		Notifier: &told, Parse: panicky})
	waitFor(t, "good message ingested", func() (bool, error) { return rec.count() == 1, nil })
	waitFor(t, "panicking message quarantined", func() (bool, error) { return count(t, db, QuarantineCollection) == 1, nil })
	q, err := ListQuarantine(context.Background(), db, "")
	if err != nil || len(q) != 1 || q[0].Attempts != 1 || q[0].Reason != "parse" || !strings.Contains(q[0].Error, "panic") {
		t.Fatalf("quarantine %+v, %v", q, err)
	}
	if n := told.all(); len(n) != 0 {
		t.Fatalf("told %+v about a message never parsed", n)
	}
}

// Three different mails under one Message-ID are three ledger entries and
// three sink keys; the same mail again through a second mailbox is none.
func TestReusedMessageIDIsANewMail(t *testing.T) {
	form := func(from string) []byte {
		return []byte("Message-ID: <form-notification@webform.test>\r\nFrom: " + from + "\r\nTo: ventas@example.test\r\n" +
			"Subject: Formulario\r\nDate: Mon, 02 Jun 2025 10:00:00 -0400\r\n\r\nConsulta de " + from + "\r\n")
	}
	a := testenv.IMAP(t, form("alice@uno.cl"), form("bob@dos.cl"), form("carol@tres.cl"))
	b := testenv.IMAP(t, append([]byte("Received: from mx2\r\n"), form("carol@tres.cl")...))
	db := testenv.DB(t)
	rec := &recorder{}
	startWith(t, Options{DB: db, Mailboxes: []config.MailboxConfig{mailboxFor(a, "soporte"), mailboxFor(b, "ventas")}, Sink: rec})
	for _, srv := range []*testenv.IMAPServer{a, b} {
		waitFor(t, "seen", func() (bool, error) { n, err := unseen(srv, "INBOX"); return n == 0, err })
	}
	if got := rec.count(); got != 3 {
		t.Fatalf("sink got %d distinct keys, want 3", got)
	}
	if n := count(t, db, MessageCollection); n != 3 {
		t.Fatalf("ledger has %d entries, want 3", n)
	}
	if n := count(t, db, QuarantineCollection); n != 0 {
		t.Fatalf("%d quarantined", n)
	}
}

// A server that serves an empty body for a message (go-imap's in-memory
// server does for a mail without a valid header) is not giving us mail:
// retried, then quarantined with the reason, never taken as an (empty)
// message that would make every later empty one its duplicate.
func TestEmptyBodyIsQuarantinedNotTakenIn(t *testing.T) {
	srv := testenv.IMAP(t, mail("good@x", "bueno"))
	garbage, err := os.ReadFile("parse/testdata/no_headers.eml")
	if err != nil {
		t.Fatal(err)
	}
	srv.Append(t, "INBOX", garbage)
	db := testenv.DB(t)
	rec := &recorder{}
	startWith(t, Options{DB: db, Mailboxes: []config.MailboxConfig{mailboxFor(srv, "soporte")}, Sink: rec})
	waitFor(t, "empty message quarantined", func() (bool, error) { return count(t, db, QuarantineCollection) == 1, nil })
	q, err := ListQuarantine(context.Background(), db, "")
	if err != nil || len(q) != 1 || q[0].Reason != "fetch" || !strings.Contains(q[0].Error, "empty") {
		t.Fatalf("quarantine %+v, %v", q, err)
	}
	if rec.count() != 1 || count(t, db, MessageCollection) != 1 {
		t.Fatalf("sink keys %d, ledger %d: the empty message was taken in", rec.count(), count(t, db, MessageCollection))
	}
}
