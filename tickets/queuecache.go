package tickets

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"sync"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// The queue index: an in-process copy of ticket_queue, so the agents'
// queue (Queue for the open statuses), QueueStats and CheckSLA's candidate
// selection filter, sort and page in memory instead of making the embedded
// store decode the whole projection for every page (any filter but _id
// alone scans it there: ~200 ms a page at 1,000 open tickets).
//
// Loaded lazily by one scan of ticket_queue (the only full read), after
// reading the change counter, so every change numbered up to it is in the
// scan. Kept current through the change log (queuecache_log.go): before
// each use the counter is read by _id; if it moved, each change from the
// index's seq+1 to it is read by exact _id and the named tickets' copies
// are re-read by _id (a copy that is gone is dropped). A change entry that
// is missing (its writer between the $inc and the insert, or crashed
// there) is a gap: re-checked on every use, and if still missing after
// queueGapWait the index is reloaded whole. So is one more than
// queueMaxCatchUp changes behind (reading the log one entry at a time
// would cost more than the scan), or a counter that went back.
//
// Memory: each row is the projected Ticket without events and message
// keys, about 1-2 KB (strings, the last-public pointer, due times,
// waiting stretches), so ~15 MB at 10,000 open tickets, plus a map and a
// sorted slice of pointers.

// queueGapWait is how long a missing change entry is waited for before the
// index is reloaded.
const queueGapWait = 10 * time.Second

// queueMaxCatchUp is how many changes the index reads one by one before a
// full reload is cheaper.
const queueMaxCatchUp = 1000

// queueCache is the index; its zero value is empty and not loaded.
type queueCache struct {
	mu     sync.Mutex
	loaded bool
	seq    int64               // every change up to seq is applied, except gaps
	gaps   map[int64]time.Time // missing change entries, since when
	byID   map[string]*Ticket
	sorted []*Ticket // by SortKey, then _id
}

// withQueue brings the index up to date and calls fn with its rows in
// queue order. fn runs under the index's lock and must neither keep nor
// change the rows (copy what it returns: see copyRow).
func (s *Service) withQueue(ctx context.Context, fn func(rows []*Ticket)) error {
	c := &s.qc
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := s.refreshQueue(ctx); err != nil {
		return err
	}
	fn(c.sorted)
	return nil
}

// refreshQueue loads the index or applies the changes since its seq.
// Called with the lock held.
func (s *Service) refreshQueue(ctx context.Context) error {
	c := &s.qc
	if !c.loaded {
		return s.loadQueue(ctx)
	}
	seq, err := s.readQueueSeq(ctx)
	if err != nil {
		return err
	}
	if seq == c.seq && len(c.gaps) == 0 {
		return nil
	}
	if seq < c.seq || seq-c.seq > queueMaxCatchUp {
		return s.loadQueue(ctx)
	}
	now := s.clk.Now()
	touched := map[int64]bool{}
	filled := []int64{}
	for g, since := range c.gaps {
		n, ok, err := s.readChange(ctx, g)
		if err != nil {
			return err
		}
		if ok {
			touched[n] = true
			filled = append(filled, g)
			continue
		}
		if now.Sub(since) > queueGapWait {
			s.log.Warn("queue change missing; reloading the queue index", "change", g, "since", since)
			return s.loadQueue(ctx)
		}
	}
	missing := []int64{}
	for k := c.seq + 1; k <= seq; k++ {
		n, ok, err := s.readChange(ctx, k)
		if err != nil {
			return err
		}
		if !ok {
			missing = append(missing, k)
			continue
		}
		touched[n] = true
	}
	for n := range touched {
		if err := s.reloadRow(ctx, n); err != nil {
			return err
		}
	}
	// Committed only now: on an error above the same changes are read
	// again next time (re-reading a row is harmless).
	for _, g := range filled {
		delete(c.gaps, g)
	}
	for _, k := range missing {
		if c.gaps == nil {
			c.gaps = map[int64]time.Time{}
		}
		c.gaps[k] = now
	}
	c.seq = seq
	return nil
}

// queueRowProjection leaves out what the queue never shows.
var queueRowProjection = bson.D{{Key: "events", Value: 0}, {Key: "message_keys", Value: 0}}

// loadQueue reads the change counter, then the whole projection.
func (s *Service) loadQueue(ctx context.Context) error {
	c := &s.qc
	seq, err := s.readQueueSeq(ctx)
	if err != nil {
		return err
	}
	cur, err := s.c.queue.Find(ctx, bson.D{}, options.Find().SetProjection(queueRowProjection))
	if err != nil {
		return failed("load the queue", err)
	}
	defer cur.Close(ctx)
	byID := map[string]*Ticket{}
	sorted := []*Ticket{}
	for cur.Next(ctx) {
		t := &Ticket{}
		if err := cur.Decode(t); err != nil {
			return failed("load the queue", err)
		}
		if _, dup := byID[t.ID]; dup {
			continue
		}
		byID[t.ID] = t
		sorted = append(sorted, t)
	}
	if err := cur.Err(); err != nil {
		return failed("load the queue", err)
	}
	sort.Slice(sorted, func(i, j int) bool { return rowLess(sorted[i], sorted[j]) })
	c.loaded, c.seq, c.gaps, c.byID, c.sorted = true, seq, nil, byID, sorted
	return nil
}

// reloadRow re-reads ticket n's projection copy into the index (drops it
// when the copy is gone).
func (s *Service) reloadRow(ctx context.Context, n int64) error {
	id := ticketID(n)
	t := &Ticket{}
	err := s.c.queue.FindOne(ctx, bson.D{{Key: "_id", Value: id}},
		options.FindOne().SetProjection(queueRowProjection)).Decode(t)
	if errors.Is(err, mongo.ErrNoDocuments) {
		t = nil
	} else if err != nil {
		return failed(fmt.Sprintf("read ticket %d's queue copy", n), err)
	}
	s.qc.put(id, t)
	return nil
}

// put replaces the row of id with t (nil: removes it).
func (c *queueCache) put(id string, t *Ticket) {
	if old := c.byID[id]; old != nil {
		i := sort.Search(len(c.sorted), func(i int) bool { return !rowLess(c.sorted[i], old) })
		for i < len(c.sorted) && c.sorted[i] != old {
			i++ // not reached with unique sort keys
		}
		if i < len(c.sorted) {
			c.sorted = append(c.sorted[:i], c.sorted[i+1:]...)
		}
		delete(c.byID, id)
	}
	if t == nil {
		return
	}
	c.byID[id] = t
	i := sort.Search(len(c.sorted), func(i int) bool { return !rowLess(c.sorted[i], t) })
	c.sorted = append(c.sorted, nil)
	copy(c.sorted[i+1:], c.sorted[i:])
	c.sorted[i] = t
}

// rowLess is queue order: the sort key (unique: it ends with the number),
// then _id for rows without one.
func rowLess(a, b *Ticket) bool {
	if a.SortKey != b.SortKey {
		return a.SortKey < b.SortKey
	}
	return a.ID < b.ID
}

// copyRow returns a copy of row the caller may change: the slices and the
// pointer it shares with the index are copied.
func copyRow(row *Ticket) Ticket {
	t := *row
	t.Waiting = append([]WaitInterval(nil), row.Waiting...)
	t.SLABreached = append([]string(nil), row.SLABreached...)
	if row.LastPublic != nil {
		lp := *row.LastPublic
		t.LastPublic = &lp
	}
	return t
}
