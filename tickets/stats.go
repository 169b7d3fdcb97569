package tickets

import (
	"context"
	"errors"
	"fmt"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// CollDaily holds the operations dashboard's daily counters: one document
// per business day (_id "2026-12-03", the day in Options.Location), with
// the tickets opened and solved that day and the first responses given
// that day (their count and the sum of their seconds since the ticket
// was opened).
//
// The counters are bumped with $inc after the ticket write they count
// succeeded, never before, and a failed bump is logged, not returned
// (the ticket is already written; a retry would count it again). So a
// crash between the two writes loses one count, and a write reapplied
// over a taken-over marker (update.go) may miss one: the dashboard is an
// approximation, never a record to bill or audit by. A reopened ticket
// solved again counts again.
const CollDaily = "tickets_daily"

// DayStats is one day of the dashboard's counters.
type DayStats struct {
	Day    string `bson:"_id" json:"day"` // YYYY-MM-DD in the business zone
	Opened int64  `bson:"opened" json:"opened"`
	Solved int64  `bson:"solved" json:"solved"`
	// FirstResponses given that day and the sum of their times (seconds
	// from the ticket's creation to the first reply).
	FirstResponses       int64   `bson:"first_responses" json:"first_responses"`
	FirstResponseSeconds float64 `bson:"first_response_seconds" json:"first_response_seconds"`
}

// MeanFirstResponse is the day's mean first-response time (0 without any).
func (d DayStats) MeanFirstResponse() time.Duration {
	if d.FirstResponses == 0 {
		return 0
	}
	return time.Duration(d.FirstResponseSeconds / float64(d.FirstResponses) * float64(time.Second))
}

func (s *Service) location() *time.Location {
	if s.opts.Location != nil {
		return s.opts.Location
	}
	return time.UTC
}

// dayOf is the business day of at, as CollDaily's _id.
func (s *Service) dayOf(at time.Time) string { return at.In(s.location()).Format(time.DateOnly) }

// bump adds inc to the counters of at's day; a failure is logged only.
func (s *Service) bump(ctx context.Context, at time.Time, inc bson.D) {
	_, err := s.opts.DB.Collection(CollDaily).UpdateOne(ctx, bson.D{{Key: "_id", Value: s.dayOf(at)}},
		bson.D{{Key: "$inc", Value: inc}}, options.UpdateOne().SetUpsert(true))
	if err != nil {
		s.log.Warn("tickets: daily counters not updated (dashboard only)", "err", err)
	}
}

// countOpened counts a ticket just created.
func (s *Service) countOpened(ctx context.Context, t *Ticket) {
	at := t.CreatedAt
	if at.IsZero() {
		at = s.clk.Now()
	}
	s.bump(ctx, at, bson.D{{Key: "opened", Value: 1}})
}

// countChange counts what a write changed from before to after: a solve
// and a first response.
func (s *Service) countChange(ctx context.Context, before, after *Ticket, now time.Time) {
	var inc bson.D
	if before.SolvedAt.IsZero() && !after.SolvedAt.IsZero() {
		inc = append(inc, bson.E{Key: "solved", Value: 1})
	}
	if before.FirstResponseAt.IsZero() && !after.FirstResponseAt.IsZero() && !after.CreatedAt.IsZero() {
		secs := max(after.FirstResponseAt.Sub(after.CreatedAt).Seconds(), 0)
		inc = append(inc, bson.E{Key: "first_responses", Value: 1}, bson.E{Key: "first_response_seconds", Value: secs})
	}
	if len(inc) > 0 {
		s.bump(ctx, now, inc)
	}
}

// DailyStats returns the counters of the n business days ending with
// last's day, oldest first; a day without a document is zeros. It reads
// one document by _id per day.
func (s *Service) DailyStats(ctx context.Context, last time.Time, n int) ([]DayStats, error) {
	l := last.In(s.location())
	day := time.Date(l.Year(), l.Month(), l.Day(), 12, 0, 0, 0, s.location())
	out := make([]DayStats, n)
	coll := s.opts.DB.Collection(CollDaily)
	for i := range n {
		id := day.AddDate(0, 0, i-n+1).Format(time.DateOnly)
		var d DayStats
		err := coll.FindOne(ctx, bson.D{{Key: "_id", Value: id}}).Decode(&d)
		if errors.Is(err, mongo.ErrNoDocuments) {
			d, err = DayStats{Day: id}, nil
		}
		if err != nil {
			return nil, fmt.Errorf("read daily counters %s: %w", id, err)
		}
		out[i] = d
	}
	return out, nil
}
