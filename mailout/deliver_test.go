package mailout

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"turno/internal/testenv"
)

func TestEnqueueIsIdempotentAndDelivers(t *testing.T) {
	r := newRig(t, nil, nil)
	id := r.enqueue(t, ackMessage("ticket-ack:<a@b>", "cliente@example.com"))
	id2 := r.enqueue(t, ackMessage("ticket-ack:<a@b>", "cliente@example.com"))
	if id != id2 {
		t.Fatalf("ids differ: %s %s", id, id2)
	}
	e := r.waitState(t, id, StateSent)
	if got := r.smtp.WaitFor(1, 5*time.Second); len(got) != 1 {
		t.Fatalf("received %d messages, want 1", len(got))
	}
	if e.Attempts != 1 || e.Recipients[0].State != RcptSent || e.SentAt.IsZero() {
		t.Fatalf("entry after send: %+v", e)
	}
	// Enqueue after sending is still a no-op.
	if id3 := r.enqueue(t, ackMessage("ticket-ack:<a@b>", "cliente@example.com")); id3 != id {
		t.Fatal("id changed")
	}
	r.ob.Kick()
	if n := len(r.smtp.Received()); n != 1 {
		t.Fatalf("sent %d times", n)
	}
}

func TestLongKeyIsHashed(t *testing.T) {
	k := strings.Repeat("x", 300)
	if id := EntryID(k); !strings.HasPrefix(id, "sha256:") || len(id) != 7+64 || EntryID(k) != id {
		t.Fatalf("EntryID = %q", id)
	}
	if EntryID("short") != "short" {
		t.Fatal("short key changed")
	}
}

func TestHeaderInjectionRefused(t *testing.T) {
	r := newRig(t, nil, nil)
	for _, m := range []Message{
		func() Message { m := ackMessage("k1", "a@example.com\r\nBcc: x@evil.test"); return m }(),
		func() Message {
			m := ackMessage("k2", "a@example.com")
			m.InReplyTo = "<x@y>\nBcc: x@evil.test"
			return m
		}(),
		func() Message {
			m := ackMessage("k3", "a@example.com")
			m.Attachments = []Attachment{{Filename: "a.pdf\r\nX: y", Data: []byte("x")}}
			return m
		}(),
		func() Message { m := ackMessage("k4", "a@example.com"); m.References = []string{"<a@b>\r\n"}; return m }(),
	} {
		_, err := r.ob.Enqueue(context.Background(), m)
		if err == nil {
			t.Errorf("%s: accepted", m.Key)
			continue
		}
		if m.Key != "k1" && !errors.Is(err, ErrHeaderInjection) {
			t.Errorf("%s: %v, want ErrHeaderInjection", m.Key, err)
		}
		if _, err := Get(context.Background(), r.db, m.Key); !errors.Is(err, ErrNotFound) {
			t.Errorf("%s: stored anyway (%v)", m.Key, err)
		}
	}
	// A subject line break from template data is collapsed by the default
	// templates; an agent's subject never reaches a header raw.
	m := ackMessage("k5", "a@example.com")
	m.Data = map[string]any{"ticket_number": 1, "subject": "hola\r\nBcc: x@evil.test"}
	id := r.enqueue(t, m)
	r.waitState(t, id, StateSent)
	got := r.smtp.WaitFor(1, 5*time.Second)
	if strings.Contains(string(got[0].Data), "\nBcc:") {
		t.Fatal("injected header reached the wire")
	}
}

func TestTransientRepliesAreRetriedThenDelivered(t *testing.T) {
	for _, tc := range []struct {
		name  string
		reply testenv.Reply
		step  testenv.Step
	}{
		{"421 at MAIL", testenv.Reply{Code: 421, Enhanced: "4.3.2", Message: "try later"}, testenv.StepMail},
		{"451 at RCPT", testenv.Reply{Code: 451, Enhanced: "4.3.0", Message: "local error"}, testenv.StepRcpt},
		{"452 at DATA", testenv.Reply{Code: 452, Enhanced: "4.3.1", Message: "insufficient storage"}, testenv.StepData},
		{"disconnect at DATA", testenv.Reply{Disconnect: true}, testenv.StepData},
	} {
		t.Run(tc.name, func(t *testing.T) {
			// The script is replaced (SetScript, under the server's lock)
			// rather than switched by a variable the server goroutine reads.
			r := newRig(t, func(c testenv.Cmd) testenv.Reply {
				if c.Step == tc.step {
					return tc.reply
				}
				return testenv.Reply{}
			}, nil)
			id := r.enqueue(t, ackMessage("k", "cliente@example.com"))
			e := r.waitState(t, id, StateRetry)
			if e.LastError == "" || e.Recipients[0].State != RcptPending {
				t.Fatalf("retry entry: %+v", e)
			}
			if d := e.NextAttemptAt.Sub(t0); d < 30*time.Second || d > time.Minute {
				t.Fatalf("next attempt after %s, want 30s..1m (1m with jitter)", d)
			}
			if ok, _ := Suppressed(context.Background(), r.db, "cliente@example.com"); ok {
				t.Fatal("a 4xx suppressed the address")
			}
			r.ob.Kick()
			if n := len(r.smtp.Received()); n != 0 {
				t.Fatalf("retried before due: %d received", n)
			}
			r.smtp.SetScript(nil)
			r.clock.Advance(time.Minute)
			e = r.waitState(t, id, StateSent)
			if e.Attempts != 2 {
				t.Fatalf("attempts = %d, want 2", e.Attempts)
			}
		})
	}
}

func TestPermanentRepliesFailAndSuppress(t *testing.T) {
	for _, code := range []int{550, 553} {
		t.Run(strconv.Itoa(code), func(t *testing.T) {
			r := newRig(t, func(c testenv.Cmd) testenv.Reply {
				if c.Step == testenv.StepRcpt {
					return testenv.Reply{Code: code, Enhanced: "5.1.1", Message: "no such user"}
				}
				return testenv.Reply{}
			}, nil)
			id := r.enqueue(t, ackMessage("k", "Nadie@Example.com"))
			e := r.waitState(t, id, StateFailed)
			if e.Attempts != 1 || !strings.Contains(e.LastError, "5.1.1") || e.Recipients[0].State != RcptFailed {
				t.Fatalf("failed entry: %+v", e)
			}
			if ok, _ := Suppressed(context.Background(), r.db, "nadie@example.com"); !ok {
				t.Fatal("address not suppressed")
			}
			// Later mail to it is suppressed without an SMTP attempt.
			r.smtp.SetScript(nil)
			id2 := r.enqueue(t, ackMessage("k2", "nadie@example.com"))
			e2 := r.waitState(t, id2, StateSuppressed)
			if len(r.smtp.Received()) != 0 || e2.Recipients[0].State != RcptSuppressed {
				t.Fatalf("suppressed entry: %+v, received %d", e2, len(r.smtp.Received()))
			}
			// Until an operator clears it.
			if ok, err := ClearSuppression(context.Background(), r.db, "NADIE@example.com"); !ok || err != nil {
				t.Fatalf("clear: %v %v", ok, err)
			}
			id3 := r.enqueue(t, ackMessage("k3", "nadie@example.com"))
			r.waitState(t, id3, StateSent)
		})
	}
}

func TestHangTimesOutAndRetries(t *testing.T) {
	// The hang ends by replacing the script (SetScript, under the server's
	// lock), not by a variable the server goroutine reads.
	r := newRig(t, func(c testenv.Cmd) testenv.Reply {
		if c.Step == testenv.StepMail {
			return testenv.Reply{Delay: 3 * time.Second}
		}
		return testenv.Reply{}
	}, func(o *Options) { o.Outbox.SMTPTimeout = 1e9 / 4 })
	id := r.enqueue(t, ackMessage("k", "cliente@example.com"))
	e := r.waitState(t, id, StateRetry)
	if !strings.Contains(e.LastError, "timeout") {
		t.Fatalf("last error %q, want a timeout", e.LastError)
	}
	r.smtp.SetScript(nil)
	r.clock.Advance(time.Minute)
	r.waitState(t, id, StateSent)
}

func TestPartialRecipients(t *testing.T) {
	r := newRig(t, func(c testenv.Cmd) testenv.Reply {
		switch {
		case c.Step == testenv.StepRcpt && strings.HasPrefix(c.Arg, "malo"):
			return testenv.Reply{Code: 550, Enhanced: "5.1.1", Message: "unknown"}
		case c.Step == testenv.StepRcpt && strings.HasPrefix(c.Arg, "lleno"):
			return testenv.Reply{Code: 452, Enhanced: "4.2.2", Message: "mailbox full"}
		}
		return testenv.Reply{}
	}, nil)
	m := ackMessage("k", "bueno@example.com", "malo@example.com")
	m.Cc = []string{"lleno@example.com"}
	id := r.enqueue(t, m)
	e := r.waitState(t, id, StateRetry)
	got := map[string]string{}
	for _, rc := range e.Recipients {
		got[rc.Address] = rc.State
	}
	if got["bueno@example.com"] != RcptSent || got["malo@example.com"] != RcptFailed || got["lleno@example.com"] != RcptPending {
		t.Fatalf("recipients: %+v", e.Recipients)
	}
	rcv := r.smtp.WaitFor(1, 5*time.Second)
	if len(rcv) != 1 || strings.Join(rcv[0].To, ",") != "bueno@example.com" {
		t.Fatalf("first delivery: %+v", rcv)
	}
	r.smtp.SetScript(nil)
	r.clock.Advance(time.Minute)
	e = r.waitState(t, id, StateSent)
	rcv = r.smtp.WaitFor(2, 5*time.Second)
	if len(rcv) != 2 || strings.Join(rcv[1].To, ",") != "lleno@example.com" {
		t.Fatalf("second delivery went to %+v, want only the pending recipient", rcv)
	}
}

func TestGiveUpAfterLimit(t *testing.T) {
	r := newRig(t, func(c testenv.Cmd) testenv.Reply {
		return testenv.Reply{Code: 451, Message: "later"}
	}, nil)
	id := r.enqueue(t, ackMessage("k", "cliente@example.com"))
	r.waitState(t, id, StateRetry)
	r.clock.Advance(73 * time.Hour)
	e := r.waitState(t, id, StateFailed)
	if !strings.Contains(e.LastError, "gave up") {
		t.Fatalf("last error %q", e.LastError)
	}
}

func TestSensitiveBodyPurged(t *testing.T) {
	r := newRig(t, nil, nil)
	m := ackMessage("pw", "cliente@example.com")
	m.Sensitive = true
	m.Attachments = []Attachment{{Filename: "a.txt", ContentType: "text/plain", Data: []byte("secret")}}
	id := r.enqueue(t, m)
	e := r.waitState(t, id, StateSent)
	if !e.Purged || e.Data != "" || len(e.Attachments) != 0 {
		t.Fatalf("not purged: purged=%v data=%q attachments=%d", e.Purged, e.Data, len(e.Attachments))
	}
}

type optOuts map[string]bool

func (o optOuts) MailAllowed(_ context.Context, client, kind string) (bool, error) {
	return !o[client+"/"+kind], nil
}

func TestOptOutSuppresses(t *testing.T) {
	r := newRig(t, nil, func(o *Options) { o.OptOuts = optOuts{"c1/invoice": true} })
	m := ackMessage("inv", "cliente@example.com")
	m.ClientID, m.Kind = "c1", "invoice"
	id := r.enqueue(t, m)
	e := r.waitState(t, id, StateSuppressed)
	if !strings.Contains(e.LastError, "opted out") || len(r.smtp.Received()) != 0 {
		t.Fatalf("entry %+v", e)
	}
	m.Key, m.Kind = "ack", "ticket"
	r.waitState(t, r.enqueue(t, m), StateSent)
}
