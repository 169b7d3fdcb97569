package mailout

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"turno/clock"
	"turno/config"
	"turno/internal/testenv"
)

// interleave runs two actors one step at a time. Each actor calls its
// hook before each of its steps and blocks there until order says it is
// its turn; an actor that has finished is passed over. Whatever order
// leaves unsaid runs afterwards, actor 0 first.
func interleave(order []int, actors [2]func(hook func(step string))) (steps []string) {
	type event struct {
		who  int
		step string // "" when the actor has finished
	}
	events := make(chan event)
	var release [2]chan struct{}
	for i := range actors {
		release[i] = make(chan struct{})
		go func() {
			actors[i](func(step string) {
				events <- event{i, step}
				<-release[i]
			})
			events <- event{i, ""}
		}()
	}
	var at [2]event
	for range 2 {
		ev := <-events
		at[ev.who] = ev
	}
	next := func(who int) {
		steps = append(steps, fmt.Sprintf("%d:%s", who, at[who].step))
		release[who] <- struct{}{}
		ev := <-events // the other actor is blocked in its hook
		at[ev.who] = ev
	}
	for _, who := range order {
		if at[who].step == "" {
			who = 1 - who
		}
		if at[who].step == "" {
			return steps
		}
		next(who)
	}
	for at[0].step != "" || at[1].step != "" {
		if at[0].step != "" {
			next(0)
		} else {
			next(1)
		}
	}
	return steps
}

// orders lists every sequence of a zeros and b ones.
func orders(a, b int) [][]int {
	if a == 0 && b == 0 {
		return [][]int{nil}
	}
	var out [][]int
	if a > 0 {
		for _, o := range orders(a-1, b) {
			out = append(out, append([]int{0}, o...))
		}
	}
	if b > 0 {
		for _, o := range orders(a, b-1) {
			out = append(out, append([]int{1}, o...))
		}
	}
	return out
}

// A cancel racing a claim either wins (the entry ends cancelled and
// nothing is sent, now or after any lease) or says the mail is being sent
// (and it is sent exactly once). Every interleaving of the claim's and
// the send's steps (read, token, lease write, send, record) with the
// cancel's (read, token, write) is run on its own entry. Before the
// cancel was fenced by a claim token, its conditional write could land
// between a sender's token and its lease write: the lease write put the
// entry back in sending, the mail went out, and Cancel had said ok.
func TestCancelRacingAClaimEitherWinsOrSaysSending(t *testing.T) {
	db := testenv.DB(t)
	srv := testenv.SMTP(t, nil)
	fc := clock.NewFake(t0)
	cfg := config.Default()
	cfg.Outbox.Relays = []config.RelayConfig{relayFor(t, srv.Addr)}
	ob, err := New(Options{DB: db, Templates: loadTemplates(t), Mail: cfg.Mail, Outbox: cfg.Outbox,
		MessageIDKey: []byte("k"), Clock: fc, Logger: testenv.Logger(t), Owner: "sender"})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	lease := cfg.Outbox.Lease.D()
	cn := &conn{}
	t.Cleanup(cn.close)
	received := func(rcpt string) int {
		n := 0
		for _, m := range srv.Received() {
			if strings.Join(m.To, ",") == rcpt {
				n++
			}
		}
		return n
	}

	var won, sending int
	for i, order := range orders(5, 3) {
		rcpt := fmt.Sprintf("c%d@example.com", i)
		id, err := ob.Enqueue(ctx, ackMessage(fmt.Sprintf("race-%d", i), rcpt))
		if err != nil {
			t.Fatal(err)
		}
		rd := readyDoc{ID: id, Priority: PriorityTicket, Due: fc.Now(), CreatedAt: fc.Now()}
		var processErr, cancelErr error
		steps := interleave(order, [2]func(func(string)){
			func(hook func(string)) {
				ob.hook = hook
				processErr = ob.process(ctx, cn, rd)
			},
			func(hook func(string)) {
				cancelErr = cancelEntry(ctx, db, id, fc.Now(), lease, nil, hook)
			},
		})
		ob.hook = nil
		if processErr != nil {
			t.Fatalf("%v: process: %v", steps, processErr)
		}
		// Whatever the outcome, nothing more may go out: not now, and not
		// once every token is a lease old.
		for range 2 {
			if err := ob.process(ctx, cn, rd); err != nil {
				t.Fatalf("%v: process again: %v", steps, err)
			}
			fc.Advance(lease + time.Second)
		}
		e, err := Get(ctx, db, id)
		if err != nil {
			t.Fatal(err)
		}
		switch {
		case cancelErr == nil:
			won++
			if e.State != StateCancelled || received(rcpt) != 0 {
				t.Errorf("%v: cancel said ok, but the entry is %s and the relay got it %d times", steps, e.State, received(rcpt))
			}
		case errors.Is(cancelErr, ErrSending) || strings.Contains(cancelErr.Error(), "entry is sent"):
			sending++
			if e.State != StateSent || received(rcpt) != 1 {
				t.Errorf("%v: cancel said %q, but the entry is %s and the relay got it %d times", steps, cancelErr, e.State, received(rcpt))
			}
		default:
			t.Errorf("%v: cancel: %v", steps, cancelErr)
		}
	}
	if won == 0 || sending == 0 {
		t.Fatalf("cancel won %d races and lost %d: every order should not end the same way", won, sending)
	}
	t.Logf("%d orders: cancel won %d, said sending %d", won+sending, won, sending)
}

// revokeRecorder is a Revoker that keeps what it was given.
type revokeRecorder struct {
	got []Entry
	err error
}

func (r *revokeRecorder) RevokeSecret(_ context.Context, e *Entry) error {
	r.got = append(r.got, *e)
	return r.err
}

// A sensitive entry cancelled while queued is purged as on send (data and
// attachments gone, purged set) in the cancelling write, and the Revoker
// gets the entry as it was, data included, to revoke its secret. A
// non-sensitive entry is not purged and revokes nothing; a Revoker's
// failure is reported after the purge.
func TestCancelPurgesSensitiveEntryAndRevokes(t *testing.T) {
	db := testenv.DB(t)
	fc := clock.NewFake(t0)
	cfg := config.Default()
	ob, err := New(Options{DB: db, Templates: loadTemplates(t), Mail: cfg.Mail, Outbox: cfg.Outbox,
		MessageIDKey: []byte("k"), Clock: fc, Logger: testenv.Logger(t), Owner: "test"}) // never started: entries stay queued
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	enqueue := func(key string, sensitive bool) string {
		m := ackMessage(key, "cliente@example.com")
		m.Sensitive = sensitive
		m.Attachments = []Attachment{{Filename: "a.txt", ContentType: "text/plain", Data: []byte("secret")}}
		id, err := ob.Enqueue(ctx, m)
		if err != nil {
			t.Fatal(err)
		}
		return id
	}
	rev := &revokeRecorder{}
	id := enqueue("pw", true)
	if err := Cancel(ctx, db, id, fc.Now(), 0, rev); err != nil {
		t.Fatal(err)
	}
	e, err := Get(ctx, db, id)
	if err != nil {
		t.Fatal(err)
	}
	if e.State != StateCancelled || !e.Purged || e.Data != "" || len(e.Attachments) != 0 {
		t.Fatalf("cancelled sensitive entry: state %s purged %v data %q attachments %d", e.State, e.Purged, e.Data, len(e.Attachments))
	}
	if len(rev.got) != 1 || rev.got[0].ID != id || rev.got[0].Data == "" {
		t.Fatalf("revoker got %d entries (want the entry with its data)", len(rev.got))
	}

	plain := enqueue("ack", false)
	if err := Cancel(ctx, db, plain, fc.Now(), 0, rev); err != nil {
		t.Fatal(err)
	}
	if e, _ := Get(ctx, db, plain); e.Purged || e.Data == "" || len(rev.got) != 1 {
		t.Fatalf("a plain entry was purged (%v) or revoked (%d calls)", e.Purged, len(rev.got))
	}

	failing := &revokeRecorder{err: errors.New("store down")}
	id = enqueue("pw2", true)
	err = Cancel(ctx, db, id, fc.Now(), 0, failing)
	if err == nil || !strings.Contains(err.Error(), "not revoked") {
		t.Fatalf("a failed revoke: %v", err)
	}
	if e, _ := Get(ctx, db, id); e.State != StateCancelled || !e.Purged {
		t.Fatalf("a failed revoke left the entry %s, purged %v", e.State, e.Purged)
	}
}
