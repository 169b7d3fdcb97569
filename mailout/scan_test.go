package mailout

import (
	"context"
	"fmt"
	"testing"
	"time"
)

// has reports whether id waits in the queue's heap.
func (q *readyQueue) has(id string) bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.queued[id]
}

// A busy process (its queue holds at least half a scan's worth) scans the
// ready set only every maxScanGap, yet takes a retry another process
// recorded into its queue within one poll interval of the retry's due
// time, and its own retries too, whatever their backoff. The retry is
// due half a second after one of its scans: before, it waited for the
// next scan, 9.5 s late, and when the queue was full it was dropped.
func TestBusyProcessTakesDueRetriesWithinAPollInterval(t *testing.T) {
	for _, queued := range []int{maxQueued / 2, maxQueued} {
		t.Run(fmt.Sprint(queued), func(t *testing.T) {
			a, b, fc := twoOutboxes(t)
			ctx := context.Background()
			poll := a.opts.Outbox.PollInterval.D()
			for i := range queued {
				a.queue.push(readyDoc{ID: fmt.Sprintf("bulk-%d", i), Priority: PriorityBulk, Due: fc.Now().Add(time.Duration(i))})
			}
			var lastScan time.Time
			a.tick(ctx, true, &lastScan) // the scan at start

			// b tries two entries and records a retry for each: theirs
			// is due 40.5 s later, a's (recorded by a) 3.5 s later.
			retry := func(ob *Outbox, key string, after time.Duration) (string, time.Time) {
				t.Helper()
				id, err := b.Enqueue(ctx, ackMessage(key, key+"@example.com"))
				if err != nil {
					t.Fatal(err)
				}
				e, err := ob.claim(ctx, id)
				if err != nil || e == nil {
					t.Fatalf("claim %s: %v %v", id, e, err)
				}
				due := fc.Now().Add(after)
				out := outcome{State: StateRetry, NextAt: due, LastError: "451 4.3.0 try later",
					Recipients: []Recipient{{Address: key + "@example.com", State: RcptPending}}}
				if err := ob.record(ctx, e, out); err != nil {
					t.Fatal(err)
				}
				return id, due
			}
			theirs, theirsDue := retry(b, "theirs", 40*time.Second+poll/2)
			var mine string
			var mineDue time.Time
			for step := 1; step <= 60; step++ {
				fc.Advance(poll)
				if step == 12 {
					mine, mineDue = retry(a, "mine", 3*time.Second+poll/2)
				}
				a.tick(ctx, false, &lastScan)
				now := fc.Now()
				for _, r := range []struct {
					who, id string
					due     time.Time
				}{{"b's retry", theirs, theirsDue}, {"a's own retry", mine, mineDue}} {
					if r.id == "" {
						continue
					}
					switch in := a.queue.has(r.id); {
					case in && now.Before(r.due):
						t.Fatalf("%s queued at +%s, before it is due at +%s", r.who, now.Sub(t0), r.due.Sub(t0))
					case !in && now.Sub(r.due) >= 0 && now.Sub(r.due) < poll:
						t.Fatalf("%s due at +%s is not in the busy queue at +%s (one poll interval later)", r.who, r.due.Sub(t0), now.Sub(t0))
					}
				}
				if n := a.queue.len(); n < queued || n > maxQueued {
					t.Fatalf("queue holds %d, want %d..%d", n, queued, maxQueued)
				}
			}
			if !a.queue.has(theirs) || !a.queue.has(mine) {
				t.Fatal("a due retry left the queue")
			}
		})
	}
}

// A full queue takes a more urgent entry in place of its least urgent
// one, and drops a push less urgent than everything it holds.
func TestFullQueueTakesAMoreUrgentPush(t *testing.T) {
	q := newReadyQueue()
	for i := range maxQueued {
		q.push(readyDoc{ID: fmt.Sprintf("bulk-%d", i), Priority: PriorityBulk, Due: t0.Add(time.Duration(i) * time.Second)})
	}
	q.push(readyDoc{ID: "late", Priority: PriorityBulk, Due: t0.Add(time.Duration(maxQueued) * time.Second)})
	if q.has("late") || q.len() != maxQueued {
		t.Fatalf("a push less urgent than a full queue got in (len %d)", q.len())
	}
	q.push(readyDoc{ID: "ack", Priority: PriorityTicket, Due: t0.Add(time.Hour)})
	last := fmt.Sprintf("bulk-%d", maxQueued-1)
	if !q.has("ack") || q.has(last) || q.len() != maxQueued {
		t.Fatalf("urgent push into a full queue: in=%v, least urgent kept=%v, len %d", q.has("ack"), q.has(last), q.len())
	}
	if rd, _ := q.pop(); rd.ID != "ack" {
		t.Fatalf("popped %s first, want the urgent one", rd.ID)
	}
}
