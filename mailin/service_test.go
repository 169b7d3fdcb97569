package mailin

import (
	"context"
	"errors"
	"net"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"

	"turno/config"
	"turno/internal/testenv"
)

// recorder is a Sink that remembers each key once, like tickets must.
type recorder struct {
	mu    sync.Mutex
	calls int
	keys  map[string]int64
	fail  func(Incoming) error
}

func (r *recorder) Ingest(_ context.Context, in Incoming) (Result, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.calls++
	if r.fail != nil {
		if err := r.fail(in); err != nil {
			return Result{}, err
		}
	}
	if r.keys == nil {
		r.keys = map[string]int64{}
	}
	if n, ok := r.keys[in.Key]; ok {
		return Result{Ticket: n, Duplicate: true}, nil
	}
	r.keys[in.Key] = int64(100000 + len(r.keys))
	return Result{Ticket: r.keys[in.Key]}, nil
}

func (r *recorder) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.keys)
}

func mail(id, subject string) []byte {
	h := ""
	if id != "" {
		h = "Message-ID: <" + id + ">\r\n"
	}
	return []byte(h + "From: Ana <ana@cliente.cl>\r\nTo: soporte@example.test\r\nSubject: " + subject +
		"\r\nDate: Mon, 02 Jun 2025 10:00:00 -0400\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nHola, no funciona el correo.\r\n")
}

func mailboxFor(srv *testenv.IMAPServer, name string) config.MailboxConfig {
	host, port, _ := net.SplitHostPort(srv.Addr)
	p, _ := strconv.Atoi(port)
	return config.MailboxConfig{Name: name, Host: host, Port: p, TLS: "none", Username: srv.Username,
		Password: srv.Password, PollInterval: config.Duration(time.Hour)}.Normalized()
}

func startService(t *testing.T, db *mongo.Database, sink Sink, mbs ...config.MailboxConfig) *Service {
	t.Helper()
	return startWith(t, Options{DB: db, Mailboxes: mbs, Sink: sink})
}

func waitFor(t *testing.T, what string, cond func() (bool, error)) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		ok, err := cond()
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		if ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// unseen counts messages in folder without \Seen, over a separate connection.
func unseen(srv *testenv.IMAPServer, folder string) (int, error) {
	c, err := imapclient.DialInsecure(srv.Addr, nil)
	if err != nil {
		return 0, err
	}
	defer c.Close()
	if err := c.Login(srv.Username, srv.Password).Wait(); err != nil {
		return 0, err
	}
	if _, err := c.Select(folder, &imap.SelectOptions{ReadOnly: true}).Wait(); err != nil {
		return 0, err
	}
	d, err := c.UIDSearch(&imap.SearchCriteria{NotFlag: []imap.Flag{imap.FlagSeen}}, nil).Wait()
	if err != nil {
		return 0, err
	}
	return len(d.AllUIDs()), nil
}

func count(t *testing.T, db *mongo.Database, coll string) int64 {
	n, err := db.Collection(coll).CountDocuments(context.Background(), bson.D{})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func TestIntakeStoresIngestsFlagsAndDedups(t *testing.T) {
	// The third is the first again by another route: other bytes, one mail.
	srv := testenv.IMAP(t, mail("a@x", "uno"), mail("", "sin id"), append([]byte("Received: from mx2\r\n"), mail("a@x", "uno")...))
	db := testenv.DB(t)
	rec := &recorder{}
	s := startService(t, db, rec, mailboxFor(srv, "soporte"))
	waitFor(t, "all messages seen", func() (bool, error) { n, err := unseen(srv, "INBOX"); return n == 0, err })
	if got := rec.count(); got != 2 {
		t.Fatalf("sink got %d distinct keys, want 2", got)
	}
	if n := count(t, db, MessageCollection); n != 2 {
		t.Fatalf("ledger has %d entries, want 2", n)
	}
	if n := count(t, db, RawCollection); n != 3 {
		t.Fatalf("raw store has %d messages, want 3 (three distinct byte strings)", n)
	}
	// The cursor advances after the flags (save, acknowledge, advance).
	var cur Cursor
	waitFor(t, "cursor at the last UID", func() (bool, error) {
		var err error
		cur, err = s.cur.get(context.Background(), "soporte")
		return err == nil && cur.LastUID == 3, err
	})
	if cur.UIDValidity == 0 {
		t.Fatalf("cursor %+v", cur)
	}

	// IDLE: a new message is picked up although the poll interval is 1h.
	srv.Append(t, "INBOX", mail("b@x", "nuevo"))
	waitFor(t, "new message ingested", func() (bool, error) { return rec.count() == 3, nil })
	waitFor(t, "new message seen", func() (bool, error) { n, err := unseen(srv, "INBOX"); return n == 0, err })
}

func TestSameMessageInTwoMailboxesMakesOneEntry(t *testing.T) {
	a := testenv.IMAP(t, mail("shared@x", "a los dos"))
	b := testenv.IMAP(t, mail("shared@x", "a los dos"))
	db := testenv.DB(t)
	rec := &recorder{}
	startService(t, db, rec, mailboxFor(a, "soporte"), mailboxFor(b, "pagos"))
	for _, srv := range []*testenv.IMAPServer{a, b} {
		waitFor(t, "seen", func() (bool, error) { n, err := unseen(srv, "INBOX"); return n == 0, err })
	}
	var e Entry
	if err := db.Collection(MessageCollection).FindOne(context.Background(), bson.D{{Key: "_id", Value: "mid:shared@x"}}).Decode(&e); err != nil {
		t.Fatal(err)
	}
	if len(e.Sources) != 2 || rec.count() != 1 || count(t, db, MessageCollection) != 1 {
		t.Fatalf("entry %+v, sink keys %d", e, rec.count())
	}
}

func TestFailingMessageIsQuarantinedAndDoesNotBlock(t *testing.T) {
	srv := testenv.IMAP(t, mail("bad@x", "malo"), mail("good@x", "bueno"))
	db := testenv.DB(t)
	var badRetry bool
	rec := &recorder{fail: func(in Incoming) error {
		if in.Key == "mid:bad@x" && !badRetry {
			return errors.New("tickets are down for this one")
		}
		return nil
	}}
	rec.mu.Lock()
	startService(t, db, rec, mailboxFor(srv, "soporte"))
	rec.mu.Unlock()
	waitFor(t, "good message ingested", func() (bool, error) { return rec.count() == 1, nil })
	waitFor(t, "bad message quarantined", func() (bool, error) {
		return count(t, db, QuarantineCollection) == 1, nil
	})
	q, err := ListQuarantine(context.Background(), db, "")
	if err != nil || len(q) != 1 || q[0].Reason != "ingest" || q[0].Attempts != 3 || q[0].RawID == "" {
		t.Fatalf("quarantine %+v, %v", q, err)
	}
	// The quarantine record is written first and the move comes after, so
	// the folder may not exist yet when the record does.
	waitFor(t, "moved to the quarantine folder", func() (bool, error) {
		n, err := unseen(srv, "Turno-Quarantine")
		if err != nil && strings.Contains(err.Error(), "NONEXISTENT") {
			return false, nil
		}
		return n == 1, err
	})

	rec.mu.Lock()
	badRetry = true
	rec.mu.Unlock()
	if err := RequestRetry(context.Background(), db, q[0].ID); err != nil {
		t.Fatal(err)
	}
	srv.Append(t, "INBOX", mail("wake@x", "despierta")) // wakes the IDLE watcher
	waitFor(t, "retried message ingested", func() (bool, error) { return rec.count() == 3, nil })
	waitFor(t, "quarantine done", func() (bool, error) {
		q, err := ListQuarantine(context.Background(), db, QuarantineDone)
		return len(q) == 1, err
	})
	if err := RequestRetry(context.Background(), db, q[0].ID); !errors.Is(err, ErrNotQuarantined) {
		t.Fatalf("second retry: %v", err)
	}
}
