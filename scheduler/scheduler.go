package scheduler

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"sort"
	"sync"
	"time"

	"go.mongodb.org/mongo-driver/v2/mongo"

	"turno/clock"
	"turno/store"
)

// LeaseName is the lease whose holder runs the scheduled jobs.
const LeaseName = "scheduler"

// ErrRunning is returned by RunNow when the job is already running here.
var ErrRunning = errors.New("already running")

// Run is what a job is asked to do: one business date, for real or dry.
type Run struct {
	Date   Date
	DryRun bool
	// Out receives a dry run's description of what it would do (and a
	// manual run's report); io.Discard for scheduled runs.
	Out io.Writer
}

// JobFunc does one run of a job. It must be idempotent: a run may be
// repeated after a crash, a failure or a takeover by another process. It
// returns counts for the run record ("invoices": 120, "held": 3).
type JobFunc func(ctx context.Context, r Run) (map[string]int, error)

// JobInfo describes a registered job.
type JobInfo struct {
	Name string
	Hour int // local hour of the business time zone
}

type job struct {
	JobInfo
	fn      JobFunc
	running sync.Mutex
}

// Options configure a Scheduler. Zero values mean defaults.
type Options struct {
	DB *mongo.Database
	// Location of the business calendar; default America/Santiago.
	Location *time.Location
	// CatchUpDays bounds catch-up after downtime; 0 means only today.
	CatchUpDays int
	// LeaseTTL of the scheduler lease; default 30s.
	LeaseTTL time.Duration
	// Owner names this process in the lease and run records; default
	// host:pid:start-time.
	Owner  string
	Clock  clock.Clock
	Logger *slog.Logger
}

// Scheduler runs daily jobs under the scheduler lease. Tick does the work
// at a given moment; Start adds the cron trigger that calls it.
type Scheduler struct {
	opts  Options
	runs  *mongo.Collection
	lease *store.Lease
	mu    sync.Mutex
	jobs  map[string]*job

	// leaseMu serialises calls on lease: Tick acquires it while Start's
	// loop renews it, and a store.Lease is not safe for concurrent use.
	leaseMu sync.Mutex

	cronStop func(context.Context) error

	metrics *metrics // scheduler/metrics.go
}

// New builds a scheduler; nothing runs until Tick or Start.
func New(opts Options) (*Scheduler, error) {
	if opts.Location == nil {
		loc, err := time.LoadLocation("America/Santiago")
		if err != nil {
			return nil, fmt.Errorf("load time zone: %w", err)
		}
		opts.Location = loc
	}
	if opts.LeaseTTL <= 0 {
		opts.LeaseTTL = 30 * time.Second
	}
	if opts.Clock == nil {
		opts.Clock = clock.Real{}
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.Owner == "" {
		host, _ := os.Hostname()
		opts.Owner = fmt.Sprintf("%s:%d:%d", host, os.Getpid(), time.Now().UnixNano())
	}
	return &Scheduler{
		opts:    opts,
		runs:    opts.DB.Collection(RunsCollection),
		lease:   store.NewLease(opts.DB, LeaseName, opts.Owner, opts.LeaseTTL, opts.Clock),
		jobs:    map[string]*job{},
		metrics: newMetrics(),
	}, nil
}

// AddDaily registers a job that runs once per business date at hour (local).
func (s *Scheduler) AddDaily(name string, hour int, fn JobFunc) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.jobs[name] = &job{JobInfo: JobInfo{Name: name, Hour: hour}, fn: fn}
	s.metrics.register(name)
}

// Jobs lists the registered jobs by name.
func (s *Scheduler) Jobs() []JobInfo {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]JobInfo, 0, len(s.jobs))
	for _, j := range s.jobs {
		out = append(out, j.JobInfo)
	}
	sort.Slice(out, func(a, b int) bool { return out[a].Name < out[b].Name })
	return out
}

// Location is the business time zone.
func (s *Scheduler) Location() *time.Location { return s.opts.Location }

// Tick runs, in this process, every scheduled run that is due at the
// clock's now — if this process holds (or can take) the scheduler lease.
// For each job the due business dates are those after its last recorded
// run (only today's when it never ran), at most CatchUpDays back, whose
// local hour has passed; they run oldest first. A job already running in
// this process is skipped. Tick reports whether we were the leader.
func (s *Scheduler) Tick(ctx context.Context) (bool, error) {
	ok, err := s.acquireLease(ctx)
	if err != nil || !ok {
		return false, err
	}
	var errs []error
	for _, info := range s.Jobs() {
		s.mu.Lock()
		j := s.jobs[info.Name]
		s.mu.Unlock()
		if err := s.tickJob(ctx, j); err != nil {
			errs = append(errs, err)
		}
	}
	if len(errs) > 0 {
		return true, fmt.Errorf("tick: %w", errs[0])
	}
	return true, nil
}

func (s *Scheduler) tickJob(ctx context.Context, j *job) error {
	if !j.running.TryLock() {
		s.opts.Logger.Debug("job still running; not started again", "job", j.Name)
		return nil
	}
	defer j.running.Unlock()
	for _, d := range s.dueDates(ctx, j) {
		mine, err := s.claim(ctx, j.Name, d)
		if err != nil {
			return err
		}
		if !mine {
			continue
		}
		if err := s.execute(ctx, j, runID(j.Name, d), Run{Date: d, Out: io.Discard}); err != nil {
			return err
		}
	}
	return nil
}

// dueDates lists the business dates j should run for now, oldest first.
func (s *Scheduler) dueDates(ctx context.Context, j *job) []Date {
	now := s.opts.Clock.Now()
	today := DateOf(now, s.opts.Location)
	if now.Before(today.At(j.Hour, s.opts.Location)) {
		today = today.AddDays(-1)
	}
	from := today.AddDays(-s.opts.CatchUpDays)
	last, status, found, err := s.lastDate(ctx, j.Name)
	if err != nil {
		s.opts.Logger.Error("cannot read job history; running today only", "job", j.Name, "err", err)
		found, last = true, today.AddDays(-1)
	}
	switch {
	case !found:
		from = today
	case last == today && status == StatusOK:
		return nil // the common tick: nothing due
	case !last.Before(from):
		// Re-examine the last date too: it may have failed or been
		// left running by a dead process; claim decides.
		from = last
	}
	var out []Date
	for d := from; !today.Before(d); d = d.AddDays(1) {
		out = append(out, d)
	}
	return out
}

// execute runs j for r and records the outcome under id.
func (s *Scheduler) execute(ctx context.Context, j *job, id string, r Run) error {
	log := s.opts.Logger.With("job", j.Name, "date", r.Date.String())
	log.Info("job started")
	counts, runErr := j.fn(ctx, r)
	// A job that ends with an error because we are stopping was cut
	// short, not failed: it is recorded interrupted and resumed by the
	// next process, without using up the retries of failed runs.
	interrupted := runErr != nil && ctx.Err() != nil
	switch {
	case interrupted:
		log.Warn("job interrupted by the stop; the next start resumes it", "err", runErr)
	case runErr != nil:
		log.Error("job failed", "err", runErr)
	default:
		log.Info("job finished", "counts", counts)
	}
	switch {
	case interrupted:
		s.observe(j.Name, StatusInterrupted)
	case runErr != nil:
		s.observe(j.Name, StatusFailed)
	default:
		s.observe(j.Name, StatusOK)
	}
	if err := s.finish(context.WithoutCancel(ctx), id, counts, runErr, interrupted); err != nil {
		return err
	}
	if runErr != nil {
		return fmt.Errorf("job %s for %s: %w", j.Name, r.Date, runErr)
	}
	return nil
}

// RunNow runs one job for date at once, whoever holds the lease (`turno jobs
// run`). A real run is recorded as a manual run; a dry run records nothing.
// It refuses when the job is already running in this process.
func (s *Scheduler) RunNow(ctx context.Context, name string, r Run) error {
	s.mu.Lock()
	j := s.jobs[name]
	s.mu.Unlock()
	if j == nil {
		return fmt.Errorf("no job named %q", name)
	}
	if !j.running.TryLock() {
		return fmt.Errorf("job %s: %w", name, ErrRunning)
	}
	defer j.running.Unlock()
	if r.Out == nil {
		r.Out = io.Discard
	}
	if r.DryRun {
		_, err := j.fn(ctx, r)
		return err
	}
	now := s.opts.Clock.Now()
	id := fmt.Sprintf("%s|%s|manual|%d", name, r.Date, now.UnixNano())
	rec := RunRecord{ID: id, Job: name, Date: r.Date.String(), Trigger: "manual", Status: StatusRunning,
		Owner: s.opts.Owner, Attempts: 1, Started: now}
	if _, err := s.runs.InsertOne(ctx, rec); err != nil {
		return fmt.Errorf("record run %s: %w", id, err)
	}
	return s.execute(ctx, j, id, r)
}
