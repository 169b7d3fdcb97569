// Package retention is the daily job that deletes the bookkeeping nothing
// needs any more, so that a year of running costs what a day does. It owns
// no collection: each owning package prunes its own (mailout.Pruner,
// mailin.Pruner, tickets.Pruner), and this package calls them with the
// cut-offs of [retention] (config.RetentionConfig).
//
// The job runs once per business date at retention.hour under the
// scheduler lease (leader only, recorded in job_runs like the billing
// jobs; `turno jobs run retention` runs it by hand). A run for a past date
// that catch-up brings is skipped: one run prunes everything due. Each
// pruner reads its collections once as a cursor with a projection and
// deletes by exact _id in bulks of 99 (on the embedded store, a $in on
// _id reads the whole collection; see mailout's prune.go for the
// measurements), so a run costs one read of each pruned collection plus
// three milliseconds per deleted document, and the write lock is released
// between bulks.
//
// Kept for ever: tickets and their messages, ticket_seen and
// ticket_message_ids (the dedup records, see tickets' prune.go), invoices,
// payments, audit trails, suppressions, bounces. Raw message bytes of
// tickets closed longer than retention.raw_mail ago are dropped when it is
// set (default: kept forever); the hash stays.
package retention

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"go.mongodb.org/mongo-driver/v2/mongo"

	"turno/clock"
	"turno/config"
	"turno/mailin"
	"turno/mailout"
	"turno/scheduler"
	"turno/tickets"
)

// JobName is the scheduler's name for the job.
const JobName = "retention"

// Pruner is what each owning package provides.
type Pruner interface {
	Prune(ctx context.Context, before time.Time) (int, error)
}

// Step is one pruner and how old what it deletes must be.
type Step struct {
	Name   string // the count's name in the run record
	Age    time.Duration
	Pruner Pruner
}

// Job runs the steps.
type Job struct {
	Steps    []Step
	Clock    clock.Clock
	Location *time.Location
	Logger   *slog.Logger
}

// Options build the standard job.
type Options struct {
	DB           *mongo.Database
	Config       config.Config
	MessageIDKey []byte // for the outbox's VERP records
	Clock        clock.Clock
	Location     *time.Location
	Logger       *slog.Logger
}

// New builds the job with the outbox, intake and tickets steps.
func New(o Options) *Job {
	if o.Clock == nil {
		o.Clock = clock.Real{}
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	r := o.Config.Retention
	now := o.Clock.Now
	j := &Job{Clock: o.Clock, Location: o.Location, Logger: o.Logger, Steps: []Step{
		{Name: "outbox", Age: r.Outbox.D(), Pruner: mailout.Pruner{DB: o.DB, MessageIDKey: o.MessageIDKey, Logger: o.Logger, Now: now}},
		{Name: "intake", Age: r.Intake.D(), Pruner: mailin.Pruner{DB: o.DB, Logger: o.Logger}},
		// Budgets and windows expire by their own rules (tickets'
		// prune.go); a day is past any of their hours.
		{Name: "auto_replies", Age: 24 * time.Hour, Pruner: tickets.Pruner{DB: o.DB,
			Window: o.Config.Tickets.UnknownSenderReplyWindow.D(), Now: now, Logger: o.Logger}},
	}}
	if r.RawMail != 0 {
		// Raw bytes of mail whose every message sits on a ticket closed
		// before the cut-off (tickets lists them, mailin drops the bytes
		// and keeps the hash, so a refetch is still known).
		j.Steps = append(j.Steps, Step{Name: "raw_mail", Age: r.RawMail.D(), Pruner: mailin.RawPruner{DB: o.DB,
			Candidates: tickets.RawCandidates{DB: o.DB}.List, Logger: o.Logger, Now: now}})
	}
	return j
}

// Register adds the job to sched at hour (local), when enabled.
func Register(sched *scheduler.Scheduler, cfg config.RetentionConfig, j *Job) {
	if cfg.Enabled {
		sched.AddDaily(JobName, cfg.Hour, j.Run)
	}
}

// Run is the scheduler's JobFunc: every step with its cut-off, counts by
// step name. A dry run deletes nothing and says what it would prune
// before. A run for a date before yesterday (catch-up) is skipped.
func (j *Job) Run(ctx context.Context, r scheduler.Run) (map[string]int, error) {
	now := j.Clock.Now()
	loc := j.Location
	if loc == nil {
		loc = time.UTC
	}
	if !r.Date.IsZero() && r.Date.Before(scheduler.DateOf(now, loc).AddDays(-1)) {
		return map[string]int{"skipped": 1}, nil
	}
	counts := map[string]int{}
	for _, s := range j.Steps {
		before := now.Add(-s.Age)
		if r.DryRun {
			if r.Out != nil {
				fmt.Fprintf(r.Out, "would prune %s older than %s\n", s.Name, before.Format(time.RFC3339))
			}
			continue
		}
		n, err := s.Pruner.Prune(ctx, before)
		counts[s.Name] = n
		if err != nil {
			return counts, fmt.Errorf("retention %s: %w", s.Name, err)
		}
	}
	return counts, nil
}
