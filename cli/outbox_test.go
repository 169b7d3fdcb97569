package cli

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"turno/internal/testenv"
	"turno/mailout"
	"turno/store"
)

// outboxEntries writes entries straight into the outbox of dir's store,
// as the daemon would have left them.
func outboxEntries(t *testing.T, dir string, es ...mailout.Entry) {
	t.Helper()
	ctx := context.Background()
	st, err := store.Open(ctx, store.Options{DataDir: dir, Database: "turno", Logger: testenv.Logger(t)})
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range es {
		if _, err = st.DB.Collection(mailout.OutboxCollection).InsertOne(ctx, e); err != nil {
			break
		}
	}
	if cerr := st.Close(ctx); err == nil {
		err = cerr
	}
	if err != nil {
		t.Fatal(err)
	}
}

func outboxEntry(id string, state mailout.State) mailout.Entry {
	at := time.Date(2026, 6, 12, 15, 0, 0, 0, time.UTC)
	return mailout.Entry{ID: id, Key: id, State: state, Template: "ticket_ack", Lang: "es", To: []string{"ana@acme.cl"},
		Recipients: []mailout.Recipient{{Address: "ana@acme.cl", State: mailout.RcptPending}},
		CreatedAt:  at, UpdatedAt: at, NextAttemptAt: at}
}

// TestOutboxShowPrintsAmbiguous: the text of outbox show says how many
// attempts may have delivered the mail without a reply, when any did.
func TestOutboxShowPrintsAmbiguous(t *testing.T) {
	dir := t.TempDir()
	amb := outboxEntry("amb", mailout.StateFailed)
	amb.Attempts, amb.Ambiguous = 3, 2
	outboxEntries(t, dir, amb, outboxEntry("plain", mailout.StateQueued))
	must := mustRun(t, dir)
	if out := must("outbox", "show", "amb"); !strings.Contains(out, "\nambiguous:    2 ") {
		t.Fatalf("show of an entry with 2 ambiguous attempts:\n%s", out)
	}
	if out := must("outbox", "show", "plain"); strings.Contains(out, "ambiguous") {
		t.Fatalf("show of an entry with none:\n%s", out)
	}
}

// TestOutboxCancelRefusesWhatIsBeingSent: cancel stops a queued entry; an
// entry a process is sending is refused with exit 1 and says it is being
// sent, and stays as it was.
func TestOutboxCancelRefusesWhatIsBeingSent(t *testing.T) {
	dir := t.TempDir()
	sending := outboxEntry("s", mailout.StateSending)
	sending.Attempts, sending.LeaseOwner, sending.LeaseUntil = 1, "mx1-4242-ab12", time.Now().Add(time.Hour)
	outboxEntries(t, dir, sending, outboxEntry("q", mailout.StateQueued))
	must := mustRun(t, dir)
	state := func(id string) mailout.State {
		t.Helper()
		var e mailout.Entry
		if err := json.Unmarshal([]byte(must("outbox", "show", id, "--json")), &e); err != nil {
			t.Fatal(err)
		}
		return e.State
	}

	out, errs, code := run(t, dir, "outbox", "cancel", "s")
	if code != 1 || out != "" || !strings.Contains(errs, "already being sent") || !strings.Contains(errs, "mx1-4242-ab12") {
		t.Fatalf("cancel of a sending entry: code %d, stdout %q, stderr %q", code, out, errs)
	}
	if s := state("s"); s != mailout.StateSending {
		t.Fatalf("refused cancel left the entry %s", s)
	}

	if out := must("outbox", "cancel", "q"); out != "cancel q: ok\n" {
		t.Fatalf("cancel printed %q", out)
	}
	if s := state("q"); s != mailout.StateCancelled {
		t.Fatalf("cancelled entry is %s", s)
	}
	if _, errs, code := run(t, dir, "outbox", "cancel", "q"); code != 1 || !strings.Contains(errs, "entry is cancelled") {
		t.Fatalf("second cancel: code %d, stderr %q", code, errs)
	}
}
