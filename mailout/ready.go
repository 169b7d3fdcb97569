package mailout

import (
	"container/heap"
	"context"
	"fmt"
	"sort"
	"sync"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
)

// maxQueued bounds the in-memory ready queue, and separately the
// upcoming set: the queue keeps the most urgent entries (a more urgent
// push evicts the least urgent) and the rest wait for a later scan.
const maxQueued = 2000

// readyQueue is this process's in-memory view of the ready set: a heap by
// (priority desc, due asc), fed by local Enqueue at once and by the
// periodic scan, plus the upcoming markers that are not due yet, which
// promote moves into the heap once they are. Ids being worked on here are
// kept out of the heap.
type readyQueue struct {
	mu       sync.Mutex
	h        readyHeap
	queued   map[string]bool
	inflight map[string]bool
	// again holds pushes that came while their id was in flight (Enqueue
	// finishing while a worker looked at the marker): done queues them.
	again map[string]readyDoc
	// upcoming holds markers due later (this process's own retries, and
	// what a scan saw due within its lookahead), by id.
	upcoming map[string]readyDoc
	notify   chan struct{}
}

func newReadyQueue() *readyQueue {
	return &readyQueue{queued: map[string]bool{}, inflight: map[string]bool{}, again: map[string]readyDoc{},
		upcoming: map[string]readyDoc{}, notify: make(chan struct{}, 1)}
}

func (q *readyQueue) push(rd readyDoc) {
	q.mu.Lock()
	switch {
	case q.inflight[rd.ID]:
		q.again[rd.ID] = rd
	case q.queued[rd.ID]:
	case len(q.h) < maxQueued:
		q.queued[rd.ID] = true
		heap.Push(&q.h, rd)
	default:
		// Full: rd takes the place of the least urgent entry if it is more
		// urgent (that one keeps its marker; a later scan finds it again).
		worst := 0
		for i := range q.h {
			if q.h.Less(worst, i) {
				worst = i
			}
		}
		if readyLess(rd, q.h[worst]) {
			delete(q.queued, q.h[worst].ID)
			q.h[worst] = rd
			heap.Fix(&q.h, worst)
			q.queued[rd.ID] = true
		}
	}
	q.mu.Unlock()
	select {
	case q.notify <- struct{}{}:
	default:
	}
}

// later keeps rd, not due yet, until promote finds it due. When the set
// is full rd is dropped: the scan of its due time finds it.
func (q *readyQueue) later(rd readyDoc) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if _, ok := q.upcoming[rd.ID]; ok || len(q.upcoming) < maxQueued {
		q.upcoming[rd.ID] = rd
	}
}

// promote pushes the upcoming markers due at now and returns how many.
func (q *readyQueue) promote(now time.Time) int {
	q.mu.Lock()
	var due []readyDoc
	for id, rd := range q.upcoming {
		if !rd.Due.After(now) {
			due = append(due, rd)
			delete(q.upcoming, id)
		}
	}
	q.mu.Unlock()
	sort.Slice(due, func(i, j int) bool { return readyLess(due[i], due[j]) })
	for _, rd := range due {
		q.push(rd)
	}
	return len(due)
}

// pop takes the most urgent entry and marks it in flight.
func (q *readyQueue) pop() (readyDoc, bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if len(q.h) == 0 {
		return readyDoc{}, false
	}
	rd := heap.Pop(&q.h).(readyDoc)
	delete(q.queued, rd.ID)
	q.inflight[rd.ID] = true
	if len(q.h) > 0 {
		select {
		case q.notify <- struct{}{}:
		default:
		}
	}
	return rd, true
}

func (q *readyQueue) done(id string) {
	q.mu.Lock()
	delete(q.inflight, id)
	rd, ok := q.again[id]
	delete(q.again, id)
	q.mu.Unlock()
	if ok {
		q.push(rd)
	}
}

func (q *readyQueue) len() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return len(q.h)
}

type readyHeap []readyDoc

func (h readyHeap) Len() int           { return len(h) }
func (h readyHeap) Less(i, j int) bool { return readyLess(h[i], h[j]) }

// readyLess: a is more urgent than b (priority desc, then due asc).
func readyLess(a, b readyDoc) bool {
	if a.Priority != b.Priority {
		return a.Priority > b.Priority
	}
	return a.Due.Before(b.Due)
}
func (h readyHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *readyHeap) Push(x any)   { *h = append(*h, x.(readyDoc)) }
func (h *readyHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}

// scan reads the ready set up to the lookahead (one query over small
// marker documents, no sort on the server), orders the due markers here
// and feeds them to the queue, and keeps those due within the lookahead
// in the upcoming set, for promote to push when they are due (see
// scanDue). It returns how many markers were due.
func (o *Outbox) scan(ctx context.Context) (int, error) {
	now := o.clock.Now()
	cur, err := o.ready.Find(ctx, bson.D{{Key: "due", Value: bson.D{{Key: "$lte", Value: now.Add(o.lookahead())}}}})
	if err != nil {
		return 0, fmt.Errorf("scan ready set: %w", err)
	}
	var read []readyDoc
	if err := cur.All(ctx, &read); err != nil {
		return 0, fmt.Errorf("scan ready set: %w", err)
	}
	var due []readyDoc
	for _, rd := range read {
		if rd.Due.After(now) {
			o.queue.later(rd)
		} else {
			due = append(due, rd)
		}
	}
	sort.Slice(due, func(i, j int) bool { return readyLess(due[i], due[j]) })
	oldest := now
	for _, rd := range due {
		if rd.CreatedAt.Before(oldest) {
			oldest = rd.CreatedAt
		}
	}
	o.metrics.oldest.Set(now.Sub(oldest).Seconds())
	for i, rd := range due {
		if i >= maxQueued {
			break
		}
		o.queue.push(rd)
	}
	return len(due), nil
}
