package mailout

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"

	"turno/internal/testenv"
)

func countIDs(t *testing.T, db *mongo.Database, coll string, ids ...string) int {
	t.Helper()
	n := 0
	for _, id := range ids {
		err := db.Collection(coll).FindOne(context.Background(), bson.D{{Key: "_id", Value: id}}).Err()
		if err == nil {
			n++
		} else if err != mongo.ErrNoDocuments {
			t.Fatal(err)
		}
	}
	return n
}

// TestPruneDeletesOnlyOldFinalEntries: final entries last changed before
// the cut-off go with their claim and end tokens and VERP record; newer
// final entries, and waiting or sending entries however old, stay with
// theirs; the pass counts the final entries it keeps.
func TestPruneDeletesOnlyOldFinalEntries(t *testing.T) {
	ctx := context.Background()
	db := testenv.DB(t)
	key := []byte("test-key")
	cut := t0.Add(-90 * 24 * time.Hour)
	old, recent := cut.Add(-time.Hour), cut.Add(time.Hour)
	type seed struct {
		id       string
		state    State
		updated  time.Time
		attempts int
		gone     bool
	}
	seeds := []seed{
		{"sent-old", StateSent, old, 1, true},
		{"failed-old", StateFailed, old, 3, true},
		{"suppressed-old", StateSuppressed, old, 0, true},
		{"cancelled-old", StateCancelled, old, 1, true}, // cancel took attempt 2
		{"sent-recent", StateSent, recent, 1, false},
		{"failed-recent", StateFailed, recent, 2, false},
		{"queued-old", StateQueued, old, 0, false},
		{"retry-old", StateRetry, old, 2, false},
		{"sending-old", StateSending, old, 1, false},
	}
	for _, s := range seeds {
		if _, err := db.Collection(OutboxCollection).InsertOne(ctx, Entry{ID: s.id, Key: s.id, State: s.state,
			Template: "ticket_ack", To: []string{"a@example.cl"}, CreatedAt: s.updated, UpdatedAt: s.updated, Attempts: s.attempts}); err != nil {
			t.Fatal(err)
		}
		for n := 1; n <= s.attempts; n++ {
			for _, tok := range []string{fmt.Sprintf("%s#%d", s.id, n), endToken(s.id, n)} {
				if _, err := db.Collection(ClaimsCollection).InsertOne(ctx, claimToken{ID: tok, Owner: "x", At: s.updated}); err != nil {
					t.Fatal(err)
				}
			}
		}
		if s.state == StateCancelled {
			if _, err := db.Collection(ClaimsCollection).InsertOne(ctx, claimToken{ID: fmt.Sprintf("%s#%d", s.id, s.attempts+1), Owner: cancelOwner, Why: "cancel", At: s.updated}); err != nil {
				t.Fatal(err)
			}
		}
		if err := rememberVERP(ctx, db, key, s.id, s.updated); err != nil {
			t.Fatal(err)
		}
	}
	p := Pruner{DB: db, MessageIDKey: key, Logger: testenv.Logger(t), Now: func() time.Time { return t0 }}
	n, err := p.Prune(ctx, cut)
	if err != nil {
		t.Fatal(err)
	}
	if n != 4 {
		t.Errorf("pruned %d entries, want 4", n)
	}
	for _, s := range seeds {
		want := 1
		if s.gone {
			want = 0
		}
		if got := countIDs(t, db, OutboxCollection, s.id); got != want {
			t.Errorf("entry %s: %d left, want %d", s.id, got, want)
		}
		var toks []string
		for n := 1; n <= s.attempts+1; n++ {
			toks = append(toks, fmt.Sprintf("%s#%d", s.id, n), endToken(s.id, n))
		}
		left := countIDs(t, db, ClaimsCollection, toks...)
		if s.gone && left != 0 {
			t.Errorf("entry %s: %d tokens left, want none", s.id, left)
		}
		if !s.gone && left != 2*s.attempts {
			t.Errorf("entry %s: %d tokens left, want %d", s.id, left, 2*s.attempts)
		}
		if got := countIDs(t, db, VERPCollection, verpEntryTag(key, s.id)); got != want {
			t.Errorf("entry %s: %d VERP records, want %d", s.id, got, want)
		}
	}
	fc, err := LastFinalCounts(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	if fc.Counts[StateSent] != 1 || fc.Counts[StateFailed] != 1 || len(fc.Counts) != 2 || !fc.At.Equal(t0) {
		t.Errorf("final counts %+v, want sent 1 and failed 1 at %s", fc, t0)
	}
	// A second run finds nothing more.
	if n, err := p.Prune(ctx, cut); err != nil || n != 0 {
		t.Errorf("second prune: %d, %v", n, err)
	}
}

// TestDepthEqualsFullCount drives real sends through a relay that accepts,
// defers and refuses at random, with cancels and operator retries between,
// and checks the depth gauge's sources (ready markers for the waiting
// states, the last prune's count for the final ones) against a full
// $group count; then a crash between a claim's entry write and its marker
// write, which the next scan repairs.
func TestDepthEqualsFullCount(t *testing.T) {
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(16, 1))
	var mu = make(chan struct{}, 1)
	mu <- struct{}{}
	script := func(c testenv.Cmd) testenv.Reply {
		<-mu
		defer func() { mu <- struct{}{} }()
		if c.Step != testenv.StepRcpt {
			return testenv.Reply{}
		}
		switch x := rng.IntN(10); {
		case x < 2:
			return testenv.Reply{Code: 451}
		case x < 3:
			return testenv.Reply{Code: 550, Enhanced: "5.1.1"}
		}
		return testenv.Reply{}
	}
	r := newRig(t, script, nil)
	var ids []string
	for i := range 40 {
		ids = append(ids, r.enqueue(t, ackMessage(fmt.Sprintf("depth-%d", i), fmt.Sprintf("c%d@example.cl", i))))
		if i%7 == 3 {
			_ = Cancel(ctx, r.db, ids[rng.IntN(len(ids))], r.clock.Now(), 0, nil) // refused when sending or final: fine
		}
	}
	check := func(stage string) {
		t.Helper()
		deadline := time.Now().Add(20 * time.Second)
		for {
			full, err := r.ob.CountByState(ctx)
			if err != nil {
				t.Fatal(err)
			}
			waiting, err := DepthByState(ctx, r.db)
			if err != nil {
				t.Fatal(err)
			}
			ok := true
			for _, s := range []State{StateQueued, StateRetry, StateSending} {
				ok = ok && full[s] == waiting[s]
			}
			// A retry already due is about to be claimed and may end
			// suppressed or failed after the prune below counted.
			for _, id := range ids {
				if e, _ := Get(ctx, r.db, id); e != nil && e.State == StateRetry && !e.NextAttemptAt.After(r.clock.Now()) {
					ok = false
				}
			}
			if ok && full[StateSending] == 0 && full[StateQueued] == 0 {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s: markers say %v, the outbox %v", stage, waiting, full)
			}
			r.ob.Kick()
			time.Sleep(10 * time.Millisecond)
		}
	}
	check("after sends")
	// Operator retries of failed entries, and time passing for the retries.
	for _, id := range ids {
		if e, _ := Get(ctx, r.db, id); e != nil && e.State == StateFailed && rng.IntN(2) == 0 {
			if err := Retry(ctx, r.db, id, r.clock.Now()); err != nil {
				t.Fatal(err)
			}
		}
	}
	r.clock.Advance(2 * time.Minute)
	check("after retries")

	// The final counts come from a prune pass that deletes nothing.
	if _, err := (Pruner{DB: r.db, Logger: testenv.Logger(t)}).Prune(ctx, t0.Add(-time.Hour)); err != nil {
		t.Fatal(err)
	}
	full, err := r.ob.CountByState(ctx)
	if err != nil {
		t.Fatal(err)
	}
	fc, err := LastFinalCounts(ctx, r.db)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []State{StateSent, StateFailed, StateSuppressed, StateCancelled} {
		if fc.Counts[s] != full[s] {
			t.Errorf("final %s: prune counted %d, the outbox has %d", s, fc.Counts[s], full[s])
		}
	}
	if err := r.ob.refreshDepth(ctx); err != nil {
		t.Fatal(err)
	}

	// A crash between a claim's entry write and its marker write: the
	// entry says sending (lease expired), the marker still says queued.
	r.smtp.SetScript(nil)
	id := "crashed-claim"
	if _, err := r.db.Collection(OutboxCollection).InsertOne(ctx, Entry{ID: id, Key: id, State: StateSending, Template: "ticket_ack",
		Lang: "es", Data: `{}`, To: []string{"x@example.cl"}, Recipients: []Recipient{{Address: "x@example.cl", State: RcptPending}},
		CreatedAt: r.clock.Now(), UpdatedAt: r.clock.Now(), Attempts: 1, LeaseOwner: "dead",
		LeaseUntil: r.clock.Now().Add(time.Hour), NextAttemptAt: r.clock.Now().Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	if _, err := r.db.Collection(ReadyCollection).InsertOne(ctx, readyDoc{ID: id, Due: r.clock.Now(), CreatedAt: r.clock.Now(), State: StateQueued}); err != nil {
		t.Fatal(err)
	}
	if w, _ := DepthByState(ctx, r.db); w[StateQueued] != 1 || w[StateSending] != 0 {
		t.Fatalf("setup: markers %v", w)
	}
	// The next scan meets the marker, cannot claim (lease held) and
	// repairs it.
	deadline := time.Now().Add(20 * time.Second)
	for {
		w, err := DepthByState(ctx, r.db)
		if err != nil {
			t.Fatal(err)
		}
		if w[StateSending] == 1 && w[StateQueued] == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("marker not repaired: %v", w)
		}
		r.ob.Kick()
		time.Sleep(10 * time.Millisecond)
	}
	// Once the lease runs out it is sent and the marker goes.
	r.clock.Advance(2 * time.Hour)
	r.waitState(t, id, StateSent)
	check("after takeover")
}
