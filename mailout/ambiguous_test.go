package mailout

import (
	"bufio"
	"bytes"
	"net"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/wneessen/go-mail/smtp"

	"turno/config"
	"turno/internal/testenv"
)

// ambiguousCount reads turno_outbox_ambiguous_deliveries_total{relay} from reg.
func ambiguousCount(t *testing.T, reg *prometheus.Registry, relay string) float64 {
	t.Helper()
	fams, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range fams {
		if f.GetName() != "turno_outbox_ambiguous_deliveries_total" {
			continue
		}
		for _, m := range f.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == "relay" && l.GetValue() == relay {
					return m.GetCounter().GetValue()
				}
			}
		}
	}
	return 0
}

// attemptsObserved waits (at most 5 s: the observation follows the record
// the test saw) until turno_outbox_attempt_seconds has counted want
// attempts, and returns its count.
func attemptsObserved(t *testing.T, reg *prometheus.Registry, want uint64) uint64 {
	t.Helper()
	var n uint64
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		fams, err := reg.Gather()
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range fams {
			if f.GetName() == "turno_outbox_attempt_seconds" {
				n = f.GetMetric()[0].GetHistogram().GetSampleCount()
			}
		}
		if n == want {
			break
		}
	}
	return n
}

func messageID(t *testing.T, data []byte) string {
	t.Helper()
	for _, line := range strings.Split(string(data), "\r\n") {
		if v, ok := strings.CutPrefix(line, "Message-Id: "); ok {
			return v
		}
		if v, ok := strings.CutPrefix(line, "Message-ID: "); ok {
			return v
		}
	}
	t.Fatalf("no Message-ID in %q", data)
	return ""
}

// TestAmbiguousDeliveryIsCountedAndRetried: the relay receives the whole
// body and then drops the connection, or answers after our timeout. The
// attempt is counted as ambiguous and retried, and the retry delivers the
// message again: the relay has now seen its body twice, the documented
// duplicate. Failures before the body or with a reply are not counted;
// every attempt is timed in turno_outbox_attempt_seconds.
func TestAmbiguousDeliveryIsCountedAndRetried(t *testing.T) {
	for _, tc := range []struct {
		name      string
		step      testenv.Step
		reply     testenv.Reply
		ambiguous int
		// copies the relay has recorded as accepted at the end.
		copies int
	}{
		{"drop after body", testenv.StepData, testenv.Reply{Disconnect: true}, 1, 1},
		// The relay takes the message after our timeout (1s): both copies land.
		{"reply after timeout", testenv.StepData, testenv.Reply{Delay: 2500 * time.Millisecond}, 1, 2},
		{"452 after body", testenv.StepData, testenv.Reply{Code: 452, Enhanced: "4.3.1", Message: "no space"}, 0, 1},
		{"drop at MAIL", testenv.StepMail, testenv.Reply{Disconnect: true}, 0, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var failing atomic.Bool
			failing.Store(true)
			var bodies atomic.Int32 // bodies the relay read to the end
			reg := prometheus.NewRegistry()
			r := newRig(t, func(c testenv.Cmd) testenv.Reply {
				if c.Step == testenv.StepData {
					bodies.Add(1)
				}
				if c.Step == tc.step && failing.Load() {
					return tc.reply
				}
				return testenv.Reply{}
			}, func(o *Options) {
				o.Registry = reg
				o.Outbox.SMTPTimeout = config.Duration(time.Second)
			})
			id := r.enqueue(t, ackMessage("k", "cliente@example.com"))
			e := r.waitState(t, id, StateRetry)
			if e.Ambiguous != tc.ambiguous || e.Recipients[0].State != RcptPending {
				t.Fatalf("after attempt 1: ambiguous %d (want %d), recipient %+v, last error %q",
					e.Ambiguous, tc.ambiguous, e.Recipients[0], e.LastError)
			}
			if got := ambiguousCount(t, reg, r.smtp.Addr); got != float64(tc.ambiguous) {
				t.Fatalf("turno_outbox_ambiguous_deliveries_total{relay=%q} = %v, want %d", r.smtp.Addr, got, tc.ambiguous)
			}
			if tc.copies == 2 {
				// Let the slow relay finish taking the first copy.
				r.smtp.WaitFor(1, 5*time.Second)
			}
			failing.Store(false)
			r.clock.Advance(time.Minute)
			e = r.waitState(t, id, StateSent)
			if e.Attempts != 2 || e.Ambiguous != tc.ambiguous {
				t.Fatalf("after attempt 2: attempts %d, ambiguous %d", e.Attempts, e.Ambiguous)
			}
			got := r.smtp.WaitFor(tc.copies, 5*time.Second)
			if len(got) != tc.copies {
				t.Fatalf("relay accepted %d copies, want %d", len(got), tc.copies)
			}
			if len(got) == 2 && messageID(t, got[0].Data) != messageID(t, got[1].Data) {
				t.Fatal("the two copies carry different Message-IDs")
			}
			wantBodies := int32(1)
			if tc.step == testenv.StepData {
				wantBodies = 2 // the first attempt's body reached the relay too
			}
			if n := bodies.Load(); n != wantBodies {
				t.Fatalf("relay read %d bodies, want %d", n, wantBodies)
			}
			if got := ambiguousCount(t, reg, r.smtp.Addr); got != float64(tc.ambiguous) {
				t.Fatalf("counter after the retry = %v, want %d", got, tc.ambiguous)
			}
			if n := attemptsObserved(t, reg, 2); n != 2 {
				t.Fatalf("turno_outbox_attempt_seconds counted %d attempts, want 2", n)
			}
		})
	}
}

// TestTransactNoReplyOnlyAfterTheFinalDot: NoReply needs the final "."
// written. A peer that hangs up after 354, before the client flushes the
// body, cannot have taken the message. net.Pipe makes the order exact: a
// write there completes only when the peer reads it.
func TestTransactNoReplyOnlyAfterTheFinalDot(t *testing.T) {
	for _, tc := range []struct {
		name    string
		after   string // what the peer does after 354: "hangup", "drop" (after the "."), or a reply
		noReply bool
		broken  bool
	}{
		{"hang up before the dot", "hangup", false, true},
		{"drop after the dot", "drop", true, true},
		{"250 after the dot", "250 2.0.0 queued", false, false},
		{"451 after the dot", "451 4.3.0 try later", false, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cl, sv := net.Pipe()
			defer cl.Close()
			done := make(chan struct{})
			go func() {
				defer close(done)
				defer sv.Close()
				pipePeer(sv, tc.after)
			}()
			c, err := smtp.NewClient(cl, "relay.test")
			if err != nil {
				t.Fatal(err)
			}
			res := transact(c, 5*time.Second, "turno@example.cl", []string{"a@example.com"}, []byte("Subject: x\r\n\r\nhola\r\n"))
			if res.NoReply != tc.noReply || res.ConnBroken != tc.broken || res.BeforeData {
				t.Fatalf("NoReply %v ConnBroken %v BeforeData %v (err %v), want NoReply %v ConnBroken %v",
					res.NoReply, res.ConnBroken, res.BeforeData, res.DataErr, tc.noReply, tc.broken)
			}
			cl.Close()
			<-done
		})
	}
}

// pipePeer answers one SMTP transaction line by line.
func pipePeer(c net.Conn, after string) {
	r := bufio.NewReader(c)
	say := func(s string) bool { _, err := c.Write([]byte(s + "\r\n")); return err == nil }
	if !say("220 relay.test ready") {
		return
	}
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return
		}
		verb := strings.ToUpper(strings.Fields(line + " x")[0])
		switch verb {
		case "EHLO", "HELO", "MAIL", "RCPT":
			if !say("250 ok") {
				return
			}
		case "DATA":
			if !say("354 go ahead") || after == "hangup" {
				return
			}
			var body bytes.Buffer
			for {
				l, err := r.ReadString('\n')
				if err != nil {
					return
				}
				if l == ".\r\n" {
					break
				}
				body.WriteString(l)
			}
			if after == "drop" || !say(after) {
				return
			}
		default:
			if !say("250 ok") {
				return
			}
		}
	}
}
