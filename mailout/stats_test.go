package mailout

import (
	"context"
	"strings"
	"testing"
	"time"

	"turno/internal/testenv"
)

// An entry that ends sent and one that ends failed are counted in their
// UTC hour, the failed one is listed with its reply, and once it is
// retried the list drops it (and its marker).
func TestHourlyCountsAndFailures(t *testing.T) {
	r := newRig(t, func(c testenv.Cmd) testenv.Reply {
		if c.Step == testenv.StepRcpt && strings.HasPrefix(c.Arg, "malo") {
			return testenv.Reply{Code: 550, Enhanced: "5.1.1", Message: "unknown"}
		}
		return testenv.Reply{}
	}, nil)
	ctx := context.Background()
	ok := r.enqueue(t, ackMessage("bien", "bueno@example.com"))
	bad := r.enqueue(t, ackMessage("mal", "malo@example.com"))
	r.waitState(t, ok, StateSent)
	r.waitState(t, bad, StateFailed)
	// The counters follow the entry's write: wait for them.
	var hs []HourStats
	deadline := time.Now().Add(20 * time.Second)
	for {
		var err error
		if hs, err = HourlyStats(ctx, r.db, r.clock.Now(), 3); err != nil {
			t.Fatal(err)
		}
		if hs[2].Sent+hs[2].Failed >= 2 || time.Now().After(deadline) {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	if len(hs) != 3 || hs[2].Sent != 1 || hs[2].Failed != 1 || hs[1].Sent != 0 ||
		hs[2].Hour != r.clock.Now().UTC().Format("2006-01-02T15") || !hs[2].Start.Equal(r.clock.Now().UTC().Truncate(time.Hour)) {
		t.Fatalf("hourly %+v", hs)
	}
	waitMarker := time.Now().Add(20 * time.Second)
	for {
		n, err := r.db.Collection(FailedCollection).CountDocuments(ctx, map[string]any{})
		if err != nil {
			t.Fatal(err)
		}
		if n == 1 || time.Now().After(waitMarker) {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	fs, err := RecentFailures(ctx, r.db, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(fs) != 1 || fs[0].ID != bad || fs[0].Template != "ticket_ack" || !strings.Contains(fs[0].Error, "550") {
		t.Fatalf("failures %+v", fs)
	}
	r.smtp.SetScript(nil)
	if _, err := ClearSuppression(ctx, r.db, "malo@example.com"); err != nil { // the 550 marked it
		t.Fatal(err)
	}
	if err := Retry(ctx, r.db, bad, r.clock.Now()); err != nil {
		t.Fatal(err)
	}
	r.waitState(t, bad, StateSent)
	if fs, err = RecentFailures(ctx, r.db, 10); err != nil || len(fs) != 0 {
		t.Fatalf("after the retry: %+v, %v", fs, err)
	}
	if n, err := r.db.Collection(FailedCollection).CountDocuments(ctx, map[string]any{}); err != nil || n != 0 {
		t.Fatalf("%d failure markers left (%v)", n, err)
	}
	d, err := ReadDepth(ctx, r.db)
	if err != nil || d.WaitingSum != 0 {
		t.Fatalf("depth %+v, %v", d, err)
	}
}
