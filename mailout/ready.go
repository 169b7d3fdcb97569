package mailout

import (
	"container/heap"
	"context"
	"fmt"
	"sort"
	"sync"

	"go.mongodb.org/mongo-driver/v2/bson"
)

// maxQueued bounds the in-memory ready queue; the scan keeps the most
// urgent entries and the rest wait for the next scan.
const maxQueued = 2000

// readyQueue is this process's in-memory view of the ready set: a heap by
// (priority desc, due asc), fed by local Enqueue at once and by the
// periodic scan. Ids being worked on here are kept out of it.
type readyQueue struct {
	mu       sync.Mutex
	h        readyHeap
	queued   map[string]bool
	inflight map[string]bool
	notify   chan struct{}
}

func newReadyQueue() *readyQueue {
	return &readyQueue{queued: map[string]bool{}, inflight: map[string]bool{}, notify: make(chan struct{}, 1)}
}

func (q *readyQueue) push(rd readyDoc) {
	q.mu.Lock()
	if !q.queued[rd.ID] && !q.inflight[rd.ID] && len(q.h) < maxQueued {
		q.queued[rd.ID] = true
		heap.Push(&q.h, rd)
	}
	q.mu.Unlock()
	select {
	case q.notify <- struct{}{}:
	default:
	}
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
	q.mu.Unlock()
}

func (q *readyQueue) len() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return len(q.h)
}

type readyHeap []readyDoc

func (h readyHeap) Len() int { return len(h) }
func (h readyHeap) Less(i, j int) bool {
	if h[i].Priority != h[j].Priority {
		return h[i].Priority > h[j].Priority
	}
	return h[i].Due.Before(h[j].Due)
}
func (h readyHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *readyHeap) Push(x any)   { *h = append(*h, x.(readyDoc)) }
func (h *readyHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}

// scan reads the due part of the ready set (one query over small marker
// documents, no sort on the server), orders it here and feeds the queue.
// It returns how many markers were due.
func (o *Outbox) scan(ctx context.Context) (int, error) {
	now := o.clock.Now()
	cur, err := o.ready.Find(ctx, bson.D{{Key: "due", Value: bson.D{{Key: "$lte", Value: now}}}})
	if err != nil {
		return 0, fmt.Errorf("scan ready set: %w", err)
	}
	var due []readyDoc
	if err := cur.All(ctx, &due); err != nil {
		return 0, fmt.Errorf("scan ready set: %w", err)
	}
	sort.Slice(due, func(i, j int) bool { return readyHeap(due).Less(i, j) })
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
