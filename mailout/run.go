package mailout

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// Start runs the scanner and one worker per configured connection. It
// returns at once; Stop ends them.
func (o *Outbox) Start() error {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.started {
		return errors.New("mailout: already started")
	}
	o.started = true
	n := max(1, o.opts.Outbox.Connections)
	for range n {
		o.wg.Go(func() { o.work(o.stop) })
	}
	o.wg.Go(o.scanLoop)
	o.log.Info("outbox started", "connections", n, "relays", len(o.relays), "owner", o.opts.Owner)
	return nil
}

// Stop stops taking entries, lets in-flight sends finish and record their
// outcome, and closes the SMTP sessions; it gives up when ctx ends (the
// leases of anything still in flight then expire and another process or
// the next start takes the entries over).
func (o *Outbox) Stop(ctx context.Context) error {
	o.mu.Lock()
	if !o.started || o.stopped {
		o.mu.Unlock()
		return nil
	}
	o.stopped = true
	close(o.stop)
	o.mu.Unlock()
	done := make(chan struct{})
	go func() { o.wg.Wait(); close(done) }()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("outbox: in-flight sends did not finish: %w", ctx.Err())
	}
}

// Kick asks for a scan of the ready set now (tests, `turno outbox retry`).
func (o *Outbox) Kick() {
	select {
	case o.kick <- struct{}{}:
	default:
	}
}

// scanLoop runs tick every poll interval, or at once when kicked, and
// refreshes the depth-by-state gauge every 30 seconds.
func (o *Outbox) scanLoop() {
	t := time.NewTicker(o.opts.Outbox.PollInterval.D())
	defer t.Stop()
	var lastDepth, lastScan time.Time
	kicked := true
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		o.tick(ctx, kicked, &lastScan)
		if time.Since(lastDepth) > 30*time.Second {
			if err := o.refreshDepth(ctx); err != nil {
				o.log.Warn("outbox depth", "err", err)
			}
			lastDepth = time.Now()
		}
		cancel()
		select {
		case <-o.stop:
			return
		case <-t.C:
			kicked = false
		case <-o.kick:
			kicked = true
		}
	}
}

// tick is one turn of the scan loop: a scan of the ready set when kicked
// or when scanDue says so (lastScan is when the last one ran, on the
// outbox's clock), then the upcoming markers that came due go to the
// queue, busy or not.
func (o *Outbox) tick(ctx context.Context, kicked bool, lastScan *time.Time) {
	now := o.clock.Now()
	if kicked || scanDue(o.queue.len(), now.Sub(*lastScan)) {
		if _, err := o.scan(ctx); err != nil {
			o.log.Error("outbox scan", "err", err)
		}
		*lastScan = now
	}
	o.queue.promote(o.clock.Now())
}

// maxScanGap bounds how long a busy process skips its periodic scan.
const maxScanGap = 10 * time.Second

// lookahead is how far past now a scan reads the ready set: the longest
// time between two scans of a busy process (maxScanGap, plus the poll
// interval the check waits for), so that every marker that comes due
// before the next scan is already in the upcoming set.
func (o *Outbox) lookahead() time.Duration {
	return maxScanGap + o.opts.Outbox.PollInterval.D()
}

// scanDue decides whether a periodic (not kicked) scan runs. A scan decodes
// every marker in the ready set, so it costs what the whole backlog costs
// (at 10,000 queued entries it was the largest cost of the drain, about
// 2 s each on the embedded store of a loaded 2-core machine); while this
// process's queue still holds at least half of what one scan may add, it
// runs only every maxScanGap. What that delays, and what it does not:
//
//   - A marker that comes due at least lookahead (maxScanGap + poll
//     interval, 11 s by default) after it was written is in every
//     process's upcoming set before it is due (the last scan before its
//     due time saw it), and tick pushes it within one poll interval of
//     its due time, busy or not. Every retry is such a marker under the
//     default backoff (retry_initial 1m, jittered to at least 30 s).
//   - This process's own retries are put in its upcoming set when
//     recorded, whatever their backoff: also within one poll interval.
//   - Only markers that are already due, or due within the lookahead,
//     when they are written by another process (its enqueues, `turno
//     outbox retry`, a retry with a backoff under 11 s) and a lease that
//     ran out (the marker keeps its old due time) wait for the next scan:
//     one poll interval when this process is not busy, at most lookahead
//     when it is.
//
// Pushed means taken into the queue among its 2000 most urgent entries
// (a more urgent push evicts the least urgent), where workers take it in
// order of priority, then due time. The loop does not tick while a scan
// runs, so each bound also waits for a scan in progress.
func scanDue(queued int, sinceLast time.Duration) bool {
	return queued < maxQueued/2 || sinceLast >= maxScanGap
}

// refreshDepth sets the depth-by-state gauge without reading the outbox:
// the waiting states (queued, retry, sending) from the ready markers,
// which carry their entry's state (DepthByState), and the final states
// from what the last retention pass counted (LastFinalCounts), one _id
// read. Its cost follows the backlog, not the history: the $group it
// replaced decoded every entry every 30 s (7% of a drain's CPU at 10,000
// entries, and growing with every mail ever sent).
func (o *Outbox) refreshDepth(ctx context.Context) error {
	waiting, err := DepthByState(ctx, o.opts.DB)
	if err != nil {
		return err
	}
	final, err := LastFinalCounts(ctx, o.opts.DB)
	if err != nil {
		return err
	}
	for _, s := range []State{StateQueued, StateSending, StateRetry} {
		o.metrics.depth.WithLabelValues(string(s)).Set(float64(waiting[s]))
	}
	for _, s := range []State{StateSent, StateFailed, StateSuppressed, StateCancelled} {
		o.metrics.depth.WithLabelValues(string(s)).Set(float64(final.Counts[s]))
	}
	return nil
}

// DepthByState counts the entries that may still need work by state,
// from their ready markers (outbox_ready, read with a projection; a
// marker without a state is counted as queued). It equals what
// CountByState finds for queued, retry and sending once every writer
// finished its two writes (entry, then marker); a crash between them
// leaves one marker's state behind until a scan meets the marker and
// repairs it (missed), or the entry's next write.
func DepthByState(ctx context.Context, db *mongo.Database) (map[State]int, error) {
	cur, err := db.Collection(ReadyCollection).Find(ctx, bson.D{}, options.Find().SetProjection(bson.D{{Key: "state", Value: 1}}))
	if err != nil {
		return nil, fmt.Errorf("count ready markers: %w", err)
	}
	var rows []struct {
		State State `bson:"state"`
	}
	if err := cur.All(ctx, &rows); err != nil {
		return nil, fmt.Errorf("count ready markers: %w", err)
	}
	out := map[State]int{}
	for _, r := range rows {
		if r.State == "" {
			r.State = StateQueued
		}
		out[r.State]++
	}
	return out, nil
}

// CountByState returns how many entries are in each state, with one
// $group over the whole outbox: for operators and tests, never on a timer.
func (o *Outbox) CountByState(ctx context.Context) (map[State]int, error) {
	cur, err := o.entries.Aggregate(ctx, bson.A{bson.D{{Key: "$group", Value: bson.D{{Key: "_id", Value: "$state"}, {Key: "n", Value: bson.D{{Key: "$sum", Value: 1}}}}}}})
	if err != nil {
		return nil, fmt.Errorf("count outbox by state: %w", err)
	}
	var rows []struct {
		State State `bson:"_id"`
		N     int   `bson:"n"`
	}
	if err := cur.All(ctx, &rows); err != nil {
		return nil, fmt.Errorf("count outbox by state: %w", err)
	}
	out := map[State]int{}
	for _, r := range rows {
		out[r.State] = r.N
	}
	return out, nil
}

// CheckRelays reports whether at least one relay accepts TCP connections,
// for /readyz.
func (o *Outbox) CheckRelays(ctx context.Context) error {
	if len(o.relays) == 0 {
		return errors.New("no SMTP relay configured")
	}
	var errs []error
	for _, r := range o.relays {
		err := r.reachable(ctx)
		if err == nil {
			return nil
		}
		errs = append(errs, fmt.Errorf("%s: %w", r.name, err))
	}
	return errors.Join(errs...)
}

// window tracks the measured duplicate-send window.
type window struct {
	mu  sync.Mutex
	n   int
	max time.Duration
	sum time.Duration
}

func (o *Outbox) observeWindow(d time.Duration) {
	o.metrics.window.Observe(d.Seconds())
	o.win.mu.Lock()
	o.win.n++
	o.win.sum += d
	o.win.max = max(o.win.max, d)
	o.win.mu.Unlock()
}

// DuplicateWindow returns how many sends were measured and the mean and
// longest time between the relay's acceptance and the write of "sent".
func (o *Outbox) DuplicateWindow() (n int, mean, longest time.Duration) {
	o.win.mu.Lock()
	defer o.win.mu.Unlock()
	if o.win.n == 0 {
		return 0, 0, 0
	}
	return o.win.n, o.win.sum / time.Duration(o.win.n), o.win.max
}
