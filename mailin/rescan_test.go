package mailin

import (
	"context"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"turno/config"
	"turno/internal/testenv"
)

// A server that starts over with the same UIDVALIDITY (a restarted dev
// server, an index rebuild) gives new mail UIDs at or below the cursor:
// the watcher notices, rescans, and the mail becomes a message.
func TestUIDsGoingBackwardsAreRescanned(t *testing.T) {
	db := testenv.DB(t)
	rec := &recorder{}
	first := testenv.IMAP(t, mail("a1@x", "uno"), mail("a2@x", "dos"))
	run := func(srv *testenv.IMAPServer, reg prometheus.Registerer) *Service {
		return startWith(t, Options{DB: db, Mailboxes: []config.MailboxConfig{mailboxFor(srv, "soporte")}, Sink: rec, Registry: reg})
	}
	s := run(first, nil)
	waitFor(t, "cursor at 2", func() (bool, error) {
		c, err := s.cur.get(context.Background(), "soporte")
		return c.LastUID == 2, err
	})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := s.Stop(ctx); err != nil {
		t.Fatal(err)
	}

	// The next UID the new server gives is not above the cursor.
	again := testenv.IMAP(t, mail("b1@x", "después del reinicio"))
	reg := prometheus.NewRegistry()
	s2 := run(again, reg)
	waitFor(t, "the new mail taken in", func() (bool, error) { return rec.count() == 3, nil })
	waitFor(t, "it is flagged", func() (bool, error) { n, err := unseen(again, "INBOX"); return n == 0, err })
	if got := testutil.ToFloat64(s2.m.rescans.WithLabelValues("soporte", rescanUIDNext)); got != 1 {
		t.Errorf("rescans for UIDNEXT counted %v, want 1", got)
	}
	ctx2, cancel2 := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel2()
	if err := s2.Stop(ctx2); err != nil {
		t.Fatal(err)
	}

	// The next UID is above the cursor (1), but mail at or below it was
	// never handled.
	third := testenv.IMAP(t, mail("c1@x", "uno"), mail("c2@x", "dos"), mail("c3@x", "tres"))
	s3 := run(third, prometheus.NewRegistry())
	waitFor(t, "all three taken in", func() (bool, error) { return rec.count() == 6, nil })
	if got := testutil.ToFloat64(s3.m.rescans.WithLabelValues("soporte", rescanUnhandled)); got != 1 {
		t.Errorf("rescans for unhandled mail counted %v, want 1", got)
	}
}
