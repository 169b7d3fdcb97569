package mailout

import (
	"context"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
)

// A scan can see Enqueue's ready marker before the entry is written. The
// worker that pops it must leave a young marker alone; only a marker older
// than a lease (a crash between the two writes) is removed.
func TestMarkerWithoutEntryIsKeptWhileYoung(t *testing.T) {
	r := newRig(t, nil, nil)
	ctx := context.Background()
	now := r.clock.Now().UTC()
	rd := readyDoc{ID: "k-race", Due: now, CreatedAt: now}
	if _, err := r.ob.ready.InsertOne(ctx, rd); err != nil {
		t.Fatal(err)
	}
	if err := r.ob.process(ctx, &conn{}, rd); err != nil {
		t.Fatal(err)
	}
	if n, _ := r.ob.ready.CountDocuments(ctx, bson.D{{Key: "_id", Value: "k-race"}}); n != 1 {
		t.Fatal("young marker without entry was deleted: its entry would never be sent")
	}
	r.clock.Advance(r.ob.opts.Outbox.Lease.D() + time.Second)
	if err := r.ob.process(ctx, &conn{}, rd); err != nil {
		t.Fatal(err)
	}
	if n, _ := r.ob.ready.CountDocuments(ctx, bson.D{{Key: "_id", Value: "k-race"}}); n != 0 {
		t.Fatal("stale marker without entry was kept")
	}
}

func TestPushWhileInFlightIsQueuedAgain(t *testing.T) {
	q := newReadyQueue()
	q.push(readyDoc{ID: "a"})
	rd, ok := q.pop()
	if !ok || rd.ID != "a" {
		t.Fatal("pop")
	}
	q.push(readyDoc{ID: "a"}) // Enqueue finishing while a worker holds "a"
	if _, ok := q.pop(); ok {
		t.Fatal("in-flight id handed to a second worker")
	}
	q.done("a")
	if rd, ok := q.pop(); !ok || rd.ID != "a" {
		t.Fatal("push during flight was lost")
	}
}

func TestBusyProcessSkipsScansForAtMostTheGap(t *testing.T) {
	for _, tc := range []struct {
		queued int
		since  time.Duration
		want   bool
	}{
		{0, 0, true},
		{maxQueued/2 - 1, time.Second, true},
		{maxQueued / 2, time.Second, false},
		{maxQueued, maxScanGap - time.Millisecond, false},
		{maxQueued, maxScanGap, true},
	} {
		if got := scanDue(tc.queued, tc.since); got != tc.want {
			t.Errorf("scanDue(%d, %s) = %v, want %v", tc.queued, tc.since, got, tc.want)
		}
	}
}
