package mailout

import (
	"context"
	"errors"
	"testing"
	"time"

	"turno/clock"
	"turno/config"
	"turno/internal/testenv"
)

// twoOutboxes returns two unstarted outboxes (owners a and b) on one store
// with one fake clock: the test drives claim and record by hand.
func twoOutboxes(t *testing.T) (a, b *Outbox, fc *clock.Fake) {
	t.Helper()
	db := testenv.DB(t)
	fc = clock.NewFake(t0)
	cfg := config.Default()
	mk := func(owner string) *Outbox {
		ob, err := New(Options{DB: db, Templates: loadTemplates(t), Mail: cfg.Mail, Outbox: cfg.Outbox,
			MessageIDKey: []byte("k"), Clock: fc, Logger: testenv.Logger(t), Owner: owner})
		if err != nil {
			t.Fatal(err)
		}
		return ob
	}
	return mk("a"), mk("b"), fc
}

func TestTakenOverSenderCannotRecord(t *testing.T) {
	a, b, fc := twoOutboxes(t)
	ctx := context.Background()
	id, err := a.Enqueue(ctx, ackMessage("k", "c@example.com"))
	if err != nil {
		t.Fatal(err)
	}
	ea, err := a.claim(ctx, id)
	if err != nil || ea == nil {
		t.Fatalf("a claims: %v %v", ea, err)
	}
	if eb, err := b.claim(ctx, id); err != nil || eb != nil {
		t.Fatalf("b claimed a held lease: %v %v", eb, err)
	}
	fc.Advance(a.opts.Outbox.Lease.D() + time.Second)
	eb, err := b.claim(ctx, id)
	if err != nil || eb == nil || eb.Attempts != 2 {
		t.Fatalf("b takes over the expired lease: %+v %v", eb, err)
	}
	sent := outcome{State: StateSent, Recipients: []Recipient{{Address: "c@example.com", State: RcptSent}}}
	if err := a.record(ctx, ea, sent); !errors.Is(err, errLeaseLost) {
		t.Fatalf("a's late outcome: %v, want errLeaseLost", err)
	}
	if e, _ := Get(ctx, a.opts.DB, id); e.State != StateSending || e.LeaseOwner != "b" || e.Attempts != 2 {
		t.Fatalf("a's late outcome overwrote b's lease: %+v", e)
	}
	if err := b.record(ctx, eb, sent); err != nil {
		t.Fatal(err)
	}
	if e, _ := Get(ctx, a.opts.DB, id); e.State != StateSent {
		t.Fatalf("after b records: %s", e.State)
	}
}

// A sender that dies after its end token but before the entry write must
// not strand the entry: once the token is a lease old, it is taken over.
func TestDeathBetweenEndTokenAndWriteIsTakenOver(t *testing.T) {
	a, b, fc := twoOutboxes(t)
	ctx := context.Background()
	id, err := a.Enqueue(ctx, ackMessage("k", "c@example.com"))
	if err != nil {
		t.Fatal(err)
	}
	ea, err := a.claim(ctx, id)
	if err != nil || ea == nil {
		t.Fatalf("a claims: %v %v", ea, err)
	}
	fc.Advance(a.opts.Outbox.Lease.D() / 2)
	if won, err := a.endAttempt(ctx, id, ea.Attempts, "record", fc.Now()); err != nil || !won {
		t.Fatalf("end token: %v %v", won, err)
	}
	fc.Advance(a.opts.Outbox.Lease.D()/2 + time.Second) // lease over, token young
	if eb, err := b.claim(ctx, id); err != nil || eb != nil {
		t.Fatalf("b took over while a may still be writing its outcome: %+v %v", eb, err)
	}
	fc.Advance(a.opts.Outbox.Lease.D())
	if eb, err := b.claim(ctx, id); err != nil || eb == nil || eb.Attempts != 2 {
		t.Fatalf("stranded entry not taken over: %+v %v", eb, err)
	}
}

// A process killed between its claim token and the lease write left the
// entry queued with attempt 1 taken: nobody could ever claim it (seen in
// the kill -9 test: 199 of 200 delivered, one entry queued forever). Once
// the token is a lease old, the attempt number is skipped.
func TestDeathBetweenClaimTokenAndLeaseIsTakenOver(t *testing.T) {
	a, b, fc := twoOutboxes(t)
	ctx := context.Background()
	id, err := a.Enqueue(ctx, ackMessage("k", "c@example.com"))
	if err != nil {
		t.Fatal(err)
	}
	// a "dies" right after winning attempt 1.
	if _, err := a.claims.InsertOne(ctx, map[string]any{"_id": id + "#1", "owner": "a", "at": fc.Now()}); err != nil {
		t.Fatal(err)
	}
	if eb, err := b.claim(ctx, id); err != nil || eb != nil {
		t.Fatalf("b claimed while a may be about to write its lease: %+v %v", eb, err)
	}
	fc.Advance(a.opts.Outbox.Lease.D())
	eb, err := b.claim(ctx, id)
	if err != nil || eb == nil || eb.Attempts != 2 || eb.LeaseOwner != "b" {
		t.Fatalf("entry stranded by a dead claimer: %+v %v", eb, err)
	}
}
