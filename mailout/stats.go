package mailout

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// The operations dashboard's view of the outbox, kept small so that a page
// view never reads the outbox itself (it may hold a million entries):
//
//	outbox_hourly  {_id: "2026-12-03T14" (UTC hour), sent, failed,
//	               suppressed}: entries that became final in that hour
//	outbox_failed  {_id: entry id, at, template, to, error}: one marker
//	               per entry that ended failed, for the list of failures
//
// Both are written by record after the outcome write it counts, and a
// failure to write them is logged, not returned (the outcome is already
// recorded; the fence makes it once per attempt). A crash between the
// two writes loses one count: the hourly counters are an approximation
// for a chart, never a record. A failure marker whose entry was retried,
// cancelled or pruned since is dropped when RecentFailures meets it.
const (
	HourlyCollection = "outbox_hourly"
	FailedCollection = "outbox_failed"
)

// HourStats is one UTC hour of final outcomes.
type HourStats struct {
	Hour       string    `bson:"_id" json:"hour"` // "2006-01-02T15", UTC
	Start      time.Time `bson:"-" json:"start"`
	Sent       int64     `bson:"sent" json:"sent"`
	Failed     int64     `bson:"failed" json:"failed"`
	Suppressed int64     `bson:"suppressed" json:"suppressed"`
}

const hourLayout = "2006-01-02T15"

// failedMarker is one entry of outbox_failed.
type failedMarker struct {
	ID       string    `bson:"_id"`
	At       time.Time `bson:"at"`
	Template string    `bson:"template"`
	To       []string  `bson:"to"`
	Error    string    `bson:"error"`
}

// countFinal records a final outcome in the hourly counters and, when it
// failed, in the failure markers.
func (o *Outbox) countFinal(ctx context.Context, e *Entry, out outcome, now time.Time) {
	var field string
	switch out.State {
	case StateSent:
		field = "sent"
	case StateFailed:
		field = "failed"
	case StateSuppressed:
		field = "suppressed"
	default:
		return
	}
	db := o.opts.DB
	_, err := db.Collection(HourlyCollection).UpdateOne(ctx, bson.D{{Key: "_id", Value: now.UTC().Format(hourLayout)}},
		bson.D{{Key: "$inc", Value: bson.D{{Key: field, Value: 1}}}}, options.UpdateOne().SetUpsert(true))
	if err != nil {
		o.log.Warn("outbox: hourly counters not updated (dashboard only)", "outbox_id", e.ID, "err", err)
	}
	if out.State != StateFailed {
		return
	}
	m := failedMarker{ID: e.ID, At: now.UTC(), Template: e.Template, To: e.To, Error: out.LastError}
	_, err = db.Collection(FailedCollection).ReplaceOne(ctx, bson.D{{Key: "_id", Value: e.ID}}, m, options.Replace().SetUpsert(true))
	if err != nil {
		o.log.Warn("outbox: failure marker not written (dashboard only)", "outbox_id", e.ID, "err", err)
	}
}

// HourlyStats returns the n UTC hours ending with last's hour, oldest
// first, zeros where nothing ended; one _id read per hour.
func HourlyStats(ctx context.Context, db *mongo.Database, last time.Time, n int) ([]HourStats, error) {
	end := last.UTC().Truncate(time.Hour)
	out := make([]HourStats, n)
	for i := range n {
		start := end.Add(time.Duration(i-n+1) * time.Hour)
		h := HourStats{Hour: start.Format(hourLayout)}
		err := db.Collection(HourlyCollection).FindOne(ctx, bson.D{{Key: "_id", Value: h.Hour}}).Decode(&h)
		if err != nil && !errors.Is(err, mongo.ErrNoDocuments) {
			return nil, fmt.Errorf("read hourly counters %s: %w", h.Hour, err)
		}
		h.Start = start
		out[i] = h
	}
	return out, nil
}

// Failure is an entry that ended failed, as the failure list shows it.
type Failure struct {
	ID       string    `json:"id"`
	At       time.Time `json:"at"`
	Template string    `json:"template"`
	To       []string  `json:"to"`
	Error    string    `json:"error"`
}

// RecentFailures returns up to limit entries that are failed now, the
// latest first, from the failure markers (never a query on the outbox:
// one read of the markers, then one _id read per entry shown). A marker
// whose entry is no longer failed (retried, cancelled, pruned) is
// deleted by _id on the way.
func RecentFailures(ctx context.Context, db *mongo.Database, limit int) ([]Failure, error) {
	cur, err := db.Collection(FailedCollection).Find(ctx, bson.D{})
	if err != nil {
		return nil, fmt.Errorf("read failure markers: %w", err)
	}
	var ms []failedMarker
	if err := cur.All(ctx, &ms); err != nil {
		return nil, fmt.Errorf("read failure markers: %w", err)
	}
	slices.SortFunc(ms, func(a, b failedMarker) int {
		if c := b.At.Compare(a.At); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
	var out []Failure
	for _, m := range ms {
		if len(out) >= limit {
			break
		}
		e, err := Get(ctx, db, m.ID)
		if err != nil && !errors.Is(err, ErrNotFound) {
			return nil, err
		}
		if err != nil || e.State != StateFailed {
			if _, err := db.Collection(FailedCollection).DeleteOne(ctx, bson.D{{Key: "_id", Value: m.ID}}); err != nil {
				return nil, fmt.Errorf("drop failure marker %s: %w", m.ID, err)
			}
			continue
		}
		out = append(out, Failure{ID: m.ID, At: m.At, Template: m.Template, To: m.To, Error: m.Error})
	}
	return out, nil
}

// Depth is the outbox's entries by state without reading the outbox:
// the waiting states from the ready markers (DepthByState), the final
// ones as the last retention pass counted them (LastFinalCounts, At).
type Depth struct {
	Waiting    map[State]int
	Final      map[State]int
	FinalAt    time.Time // zero: no retention pass has counted yet
	WaitingSum int
}

// ReadDepth reads Depth: the ready markers and one settings document.
func ReadDepth(ctx context.Context, db *mongo.Database) (Depth, error) {
	w, err := DepthByState(ctx, db)
	if err != nil {
		return Depth{}, err
	}
	f, err := LastFinalCounts(ctx, db)
	if err != nil {
		return Depth{}, err
	}
	d := Depth{Waiting: w, Final: f.Counts, FinalAt: f.At}
	for _, n := range w {
		d.WaitingSum += n
	}
	return d, nil
}
