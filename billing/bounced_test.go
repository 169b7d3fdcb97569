package billing

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"turno/mailout"
)

// The keys of the −3 note of client c1's first invoice and of its re-send
// to the principal.
const (
	noteKey   = "collection:c1:k1|2026-06:-3"
	resendKey = noteKey + ":resend:c1@cliente.cl"
)

// entry returns the outbox entry of key, nil when there is none.
func (r *liveRig) entry(t *testing.T, key string) *mailout.Entry {
	t.Helper()
	e, err := mailout.Get(context.Background(), r.db, mailout.EntryID(key))
	if errors.Is(err, mailout.ErrNotFound) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// waitFinal waits until the outbox has decided the entry of key.
func (r *liveRig) waitFinal(t *testing.T, key string) {
	t.Helper()
	r.waitFor(t, key+" to be final", func() bool {
		e := r.entry(t, key)
		return e != nil && e.State.Final()
	})
}

// noteDone is what c1's dunning state says of its last note.
func (r *liveRig) noteDone(t *testing.T) string {
	t.Helper()
	states, err := r.svc.dunningStates(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if st, ok := states["c1"]; ok && st.Note != nil {
		return st.Note.Done
	}
	return "(no note)"
}

func (r *liveRig) outboxSize(t *testing.T) int {
	t.Helper()
	es, err := mailout.List(context.Background(), r.db, mailout.ListOptions{Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	return len(es)
}

// bounceMinus3 issues c1's invoice on 2026-06-05 and sends the −3 note on
// 2026-06-12, waiting until the outbox has decided it.
func (r *liveRig) bounceMinus3(t *testing.T) {
	t.Helper()
	if n := r.run(t, r.svc.Cycle, "2026-06-05"); n["invoiced"] != 1 {
		t.Fatalf("cycle: %v", n)
	}
	if n := r.run(t, r.svc.Collect, "2026-06-12"); n["notes"] != 1 {
		t.Fatalf("−3: %v", n)
	}
	r.waitFinal(t, noteKey)
}

// TestBouncedNoteIsResentToThePrincipalOnce: the −3 note goes to the
// billing contact, which answers 550 5.1.1. The next day's run (no new
// stage due) re-sends that note to the principal address; the run after
// sends nothing more. Before, the note that bounced reached no one: only
// the next stage went to the principal.
func TestBouncedNoteIsResentToThePrincipalOnce(t *testing.T) {
	r := newLiveRig(t, "conta@cliente.cl")
	r.client(t)
	r.bounceMinus3(t)
	r.waitSuppressed(t, "conta@cliente.cl")
	r.received(t, 1) // the invoice, at the principal

	n := r.run(t, r.svc.Collect, "2026-06-13")
	if n["notes_resent"] != 1 || n["notes"] != 0 || n["errors"] != 0 {
		t.Fatalf("the bounced note was not re-sent: %v", n)
	}
	got, subjects := r.received(t, 2)
	if len(got[1].To) != 1 || got[1].To[0] != "c1@cliente.cl" || subjects[1] != "Recordatorio de pago: su pago de $45.990 vence en 3 días" {
		t.Fatalf("re-sent note to %v, subject %q; want the −3 note at the principal", got[1].To, subjects[1])
	}
	if e := r.entry(t, resendKey); e == nil || len(e.Cc) != 0 || e.Kind != "collection_note" {
		t.Fatalf("re-sent note entry %+v under %q", e, resendKey)
	}
	if logs := r.logs.String(); !strings.Contains(logs, "re-sent to the principal") || !strings.Contains(logs, "address=conta@cliente.cl") {
		t.Fatalf("no warning naming the bounced address:\n%s", logs)
	}

	if d := r.noteDone(t); d != "resent to c1@cliente.cl" {
		t.Fatalf("note done %q", d)
	}
	size := r.outboxSize(t)
	for _, d := range []string{"2026-06-13", "2026-06-14"} {
		if n := r.run(t, r.svc.Collect, d); n["notes_resent"] != 0 || n["notes"] != 0 {
			t.Fatalf("%s: %v; want nothing more", d, n)
		}
	}
	if s := r.outboxSize(t); s != size {
		t.Fatalf("outbox grew from %d to %d entries: a second re-send", size, s)
	}
	if a := r.attempts("conta@cliente.cl"); a != 1 {
		t.Fatalf("%d RCPT attempts at the bounced address, want 1", a)
	}
}

// TestBouncedNoteResendConditions: what decides a re-send, one case each.
func TestBouncedNoteResendConditions(t *testing.T) {
	ctx := context.Background()

	t.Run("paid meanwhile", func(t *testing.T) {
		r := newLiveRig(t, "conta@cliente.cl")
		r.client(t)
		r.bounceMinus3(t)
		if _, err := r.svc.Pay(ctx, PaymentRequest{Numbers: []int64{1}, Amount: 45990, Method: "transferencia",
			Reference: "OP-1", Date: date(t, "2026-06-13")}); err != nil {
			t.Fatal(err)
		}
		if n := r.run(t, r.svc.Collect, "2026-06-13"); n["notes_resent"] != 0 {
			t.Fatalf("re-sent after payment: %v", n)
		}
		if e := r.entry(t, resendKey); e != nil {
			t.Fatalf("re-send enqueued after payment: %+v", e)
		}
	})

	t.Run("principal suppressed too, then cleared", func(t *testing.T) {
		r := newLiveRig(t, "conta@cliente.cl", "c1@cliente.cl")
		r.client(t)
		r.bounceMinus3(t) // the invoice bounced at the principal, the note at the billing contact
		r.waitSuppressed(t, "c1@cliente.cl")
		r.waitSuppressed(t, "conta@cliente.cl")
		n := r.run(t, r.svc.Collect, "2026-06-13")
		if n["notes_resent"] != 0 || n["notes_held"] != 1 || n["contact_suppressed"] != 1 {
			t.Fatalf("with no deliverable address: %v", n)
		}
		if rows := r.report(t); len(rows) != 2 || rows[0].HeldStage == nil || *rows[0].HeldStage != -3 {
			t.Fatalf("report: %+v; want the −3 note held", rows)
		}
		if _, err := mailout.ClearSuppression(ctx, r.db, "c1@cliente.cl"); err != nil {
			t.Fatal(err)
		}
		r.setReject("c1@cliente.cl", false)
		if n := r.run(t, r.svc.Collect, "2026-06-14"); n["notes_resent"] != 1 || n["notes_held"] != 0 {
			t.Fatalf("after clearing the principal: %v", n)
		}
		if got, _ := r.received(t, 1); got[0].To[0] != "c1@cliente.cl" {
			t.Fatalf("re-sent to %v", got[0].To)
		}
		for _, row := range r.report(t) {
			if row.HeldStage != nil {
				t.Fatalf("still held after the re-send: %+v", row)
			}
		}
		if n := r.run(t, r.svc.Collect, "2026-06-14"); n["notes_resent"] != 0 {
			t.Fatalf("second run: %v", n)
		}
	})

	t.Run("the principal is the bounced address", func(t *testing.T) {
		r := newLiveRig(t)
		if _, err := r.reg.Add(ctx, *completeClient("c1"), "op"); err != nil {
			t.Fatal(err)
		}
		if err := r.svc.AddContract(ctx, Contract{ID: "k1", ClientID: "c1", Description: "Hosting Pyme", Currency: CLP,
			Amount: 38647, AnchorDay: 5, Start: "2026-01-01"}); err != nil {
			t.Fatal(err)
		}
		r.run(t, r.svc.Cycle, "2026-06-05")
		r.received(t, 1)
		r.setReject("c1@cliente.cl", true) // the mailbox is gone after the invoice
		r.run(t, r.svc.Collect, "2026-06-12")
		r.waitFinal(t, noteKey)
		r.waitSuppressed(t, "c1@cliente.cl")
		if n := r.run(t, r.svc.Collect, "2026-06-13"); n["notes_resent"] != 0 || n["notes_held"] != 0 {
			t.Fatalf("%v; want nothing", n)
		}
		if e := r.entry(t, resendKey); e != nil {
			t.Fatalf("re-sent to the address that bounced: %+v", e)
		}
		if d := r.noteDone(t); d != "principal had it" {
			t.Fatalf("note done %q", d)
		}
	})

	t.Run("accepted, then a matched DSN bounce", func(t *testing.T) {
		r := newLiveRig(t)
		r.client(t)
		r.bounceMinus3(t)
		r.received(t, 2) // the invoice and the note, both accepted
		r.clock.Advance(time.Hour)
		// What the intake does with a DSN matched to the note (daemon's
		// outboxBounces).
		if err := mailout.MarkUndeliverable(ctx, r.db, "conta@cliente.cl", "bounce", "5.1.1 user unknown", r.clock.Now()); err != nil {
			t.Fatal(err)
		}
		if n := r.run(t, r.svc.Collect, "2026-06-13"); n["notes_resent"] != 1 {
			t.Fatalf("after the DSN: %v", n)
		}
		if got, _ := r.received(t, 3); got[2].To[0] != "c1@cliente.cl" {
			t.Fatalf("re-sent to %v", got[2].To)
		}
	})

	t.Run("delivered, then another mail's 5xx", func(t *testing.T) {
		r := newLiveRig(t)
		r.client(t)
		r.bounceMinus3(t)
		r.clock.Advance(time.Hour)
		if err := mailout.MarkUndeliverable(ctx, r.db, "conta@cliente.cl", "smtp", "550 5.1.1 user unknown", r.clock.Now()); err != nil {
			t.Fatal(err)
		}
		if n := r.run(t, r.svc.Collect, "2026-06-13"); n["notes_resent"] != 0 {
			t.Fatalf("re-sent a note the billing contact accepted: %v", n)
		}
		if d := r.noteDone(t); d != "delivered" {
			t.Fatalf("note done %q", d)
		}
	})

	t.Run("a new stage due replaces it", func(t *testing.T) {
		r := newLiveRig(t, "conta@cliente.cl")
		r.client(t)
		r.bounceMinus3(t)
		r.waitSuppressed(t, "conta@cliente.cl")
		if n := r.run(t, r.svc.Collect, "2026-06-15"); n["notes"] != 1 || n["notes_resent"] != 0 {
			t.Fatalf("stage 0: %v", n)
		}
		if e := r.entry(t, resendKey); e != nil {
			t.Fatalf("−3 re-sent besides the stage 0 note: %+v", e)
		}
		if n := r.run(t, r.svc.Collect, "2026-06-16"); n["notes_resent"] != 0 {
			t.Fatalf("the stage 0 note went to the principal: nothing to re-send, got %v", n)
		}
	})
}
