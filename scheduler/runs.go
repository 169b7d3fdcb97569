package scheduler

import (
	"context"
	"errors"
	"fmt"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"turno/store"
)

// RunsCollection holds one document per job run.
const RunsCollection = "job_runs"

// Run outcomes.
const (
	StatusRunning = "running"
	StatusOK      = "ok"
	StatusFailed  = "failed"
	// StatusInterrupted: the process stopped (shut down) while the job
	// ran. Not a failure: the next process resumes the run.
	StatusInterrupted = "interrupted"
)

// maxFailures bounds how often a scheduled run may fail before later
// ticks stop retrying it; after that an operator runs it with `turno jobs
// run`. Only failures count: a takeover of a dead owner's run or the
// resumption of an interrupted one is an attempt, not a failure.
const maxFailures = 3

// RunRecord is one run of a job for a business date. Scheduled runs have
// _id "<job>|<date>", so "once per business date" is a unique key; manual
// runs get their own _id with a timestamp.
type RunRecord struct {
	ID      string `bson:"_id" json:"id"`
	Job     string `bson:"job" json:"job"`
	Date    string `bson:"date" json:"date"`
	Trigger string `bson:"trigger" json:"trigger"` // "schedule" or "manual"
	Status  string `bson:"status" json:"status"`
	Owner   string `bson:"owner" json:"owner"`
	// Attempts counts the starts of the run: the first, retries of
	// failures, takeovers of a run left running (its owner died or lost
	// the lease) and resumptions of an interrupted one. For operators only.
	Attempts int `bson:"attempts" json:"attempts"`
	// Failures counts the attempts that ended "failed" by the job's error;
	// retries stop at maxFailures. Records written before the field
	// existed lack it and read as 0.
	Failures int            `bson:"failures" json:"failures"`
	Started  time.Time      `bson:"started" json:"started"`
	Ended    time.Time      `bson:"ended,omitempty" json:"ended,omitempty"`
	Counts   map[string]int `bson:"counts,omitempty" json:"counts,omitempty"`
	Error    string         `bson:"error,omitempty" json:"error,omitempty"`
}

// Indexes are what the scheduler's queries rely on.
func Indexes() []store.Index {
	return []store.Index{{
		Collection: RunsCollection,
		Model:      mongo.IndexModel{Keys: bson.D{{Key: "job", Value: 1}, {Key: "date", Value: -1}}},
	}}
}

func runID(job string, d Date) string { return job + "|" + d.String() }

// claim makes us the runner of job for date: it inserts the run record, or
// takes over one that failed (fewer than maxFailures times), that a stopping
// process left interrupted, or that is recorded running. Only the lease
// holder claims, and only while the job is not running in this process
// (tickJob holds its lock), so a running record is stale: another owner
// lost the lease, or we failed to record the outcome of an earlier attempt
// (a write error), which would otherwise leave the date running for good.
// Every claim adds an attempt; none adds a failure (finish does). It
// reports false when the run is done or has failed maxFailures times.
func (s *Scheduler) claim(ctx context.Context, job string, d Date) (bool, error) {
	now := s.opts.Clock.Now()
	rec := RunRecord{ID: runID(job, d), Job: job, Date: d.String(), Trigger: "schedule",
		Status: StatusRunning, Owner: s.opts.Owner, Attempts: 1, Started: now}
	_, err := s.runs.InsertOne(ctx, rec)
	if err == nil {
		return true, nil
	}
	if !mongo.IsDuplicateKeyError(err) {
		return false, fmt.Errorf("record run %s: %w", rec.ID, err)
	}
	filter := bson.D{{Key: "_id", Value: rec.ID}, {Key: "$or", Value: bson.A{
		bson.D{{Key: "status", Value: StatusFailed}, {Key: "failures", Value: bson.D{{Key: "$lt", Value: maxFailures}}}},
		// Recorded before failures were counted: no failure known yet.
		bson.D{{Key: "status", Value: StatusFailed}, {Key: "failures", Value: bson.D{{Key: "$exists", Value: false}}}},
		bson.D{{Key: "status", Value: StatusRunning}},
		bson.D{{Key: "status", Value: StatusInterrupted}},
	}}}
	update := bson.D{
		{Key: "$set", Value: bson.D{{Key: "status", Value: StatusRunning}, {Key: "owner", Value: s.opts.Owner},
			{Key: "started", Value: now}, {Key: "error", Value: ""}}},
		{Key: "$inc", Value: bson.D{{Key: "attempts", Value: 1}}},
	}
	err = s.runs.FindOneAndUpdate(ctx, filter, update).Err()
	if errors.Is(err, mongo.ErrNoDocuments) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("take over run %s: %w", rec.ID, err)
	}
	return true, nil
}

// finish records the outcome of a run, if the run is still ours: when
// another process took it over (we lost the lease while it ran) the owner
// records its own outcome, and ours would overwrite it. A failure (not an
// interruption) adds one to the run's failures.
func (s *Scheduler) finish(ctx context.Context, id string, counts map[string]int, runErr error, interrupted bool) error {
	status, msg := StatusOK, ""
	switch {
	case interrupted:
		status, msg = StatusInterrupted, runErr.Error()
	case runErr != nil:
		status, msg = StatusFailed, runErr.Error()
	}
	update := bson.D{{Key: "$set", Value: bson.D{
		{Key: "status", Value: status}, {Key: "ended", Value: s.opts.Clock.Now()},
		{Key: "counts", Value: counts}, {Key: "error", Value: msg}}}}
	if status == StatusFailed {
		update = append(update, bson.E{Key: "$inc", Value: bson.D{{Key: "failures", Value: 1}}})
	}
	res, err := s.runs.UpdateOne(ctx, bson.D{{Key: "_id", Value: id}, {Key: "owner", Value: s.opts.Owner}}, update)
	if err != nil {
		return fmt.Errorf("record outcome of %s: %w", id, err)
	}
	if res.MatchedCount == 0 {
		s.opts.Logger.Warn("run taken over by another process; its outcome is theirs to record", "run", id, "status", status)
	}
	return nil
}

// lastDate is the latest business date job has a scheduled run record
// for, and that run's status.
func (s *Scheduler) lastDate(ctx context.Context, job string) (Date, string, bool, error) {
	var rec RunRecord
	err := s.runs.FindOne(ctx, bson.D{{Key: "job", Value: job}, {Key: "trigger", Value: "schedule"}},
		options.FindOne().SetSort(bson.D{{Key: "date", Value: -1}})).Decode(&rec)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return Date{}, "", false, nil
	}
	if err != nil {
		return Date{}, "", false, fmt.Errorf("read last run of %s: %w", job, err)
	}
	d, err := ParseDate(rec.Date)
	return d, rec.Status, err == nil, err
}

// History lists runs, newest first; job "" means every job.
func (s *Scheduler) History(ctx context.Context, job string, limit int) ([]RunRecord, error) {
	filter := bson.D{}
	if job != "" {
		filter = bson.D{{Key: "job", Value: job}}
	}
	cur, err := s.runs.Find(ctx, filter, options.Find().
		SetSort(bson.D{{Key: "date", Value: -1}, {Key: "started", Value: -1}}).SetLimit(int64(limit)))
	if err != nil {
		return nil, fmt.Errorf("list job runs: %w", err)
	}
	var out []RunRecord
	if err := cur.All(ctx, &out); err != nil {
		return nil, fmt.Errorf("read job runs: %w", err)
	}
	return out, nil
}
