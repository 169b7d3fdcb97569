package scheduler

import (
	"context"
	"errors"

	"github.com/prometheus/client_golang/prometheus"
	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// Job metrics, for alerting on a failed or missed run (a billing cycle
// that did not happen is otherwise silent):
//
//   - turno_job_runs_total{job,result}: runs this process executed, by
//     outcome ok, failed or interrupted (scheduled and manual). Every
//     registered job's series exist from AddDaily on, at 0.
//   - turno_job_last_success_timestamp_seconds{job}: end of the job's
//     latest successful run, read from job_runs at Start and kept current
//     by this process's own runs. Only the lease holder runs jobs, so with
//     several processes alert on the max over them.
//
// They live with each Scheduler (several in one test process); Collector
// hands them to a registry.
type metrics struct {
	runs        *prometheus.CounterVec
	lastSuccess *prometheus.GaugeVec
}

// Results of a run in turno_job_runs_total.
var runResults = []string{StatusOK, StatusFailed, StatusInterrupted}

func newMetrics() *metrics {
	return &metrics{
		runs: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "turno_job_runs_total",
			Help: "Job runs this process executed, by job and result (ok, failed, interrupted).",
		}, []string{"job", "result"}),
		lastSuccess: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "turno_job_last_success_timestamp_seconds",
			Help: "Unix time the job's latest successful run ended (from the run history at start, then this process's runs).",
		}, []string{"job"}),
	}
}

// Collector is the scheduler's job metrics, for a Prometheus registry.
func (s *Scheduler) Collector() prometheus.Collector { return s.metrics }

func (m *metrics) Describe(ch chan<- *prometheus.Desc) {
	m.runs.Describe(ch)
	m.lastSuccess.Describe(ch)
}

func (m *metrics) Collect(ch chan<- prometheus.Metric) {
	m.runs.Collect(ch)
	m.lastSuccess.Collect(ch)
}

// register makes a new job's run counters exist at 0.
func (m *metrics) register(job string) {
	for _, r := range runResults {
		m.runs.WithLabelValues(job, r)
	}
}

// observe counts one finished run.
func (s *Scheduler) observe(job, status string) {
	s.metrics.runs.WithLabelValues(job, status).Inc()
	if status == StatusOK {
		s.metrics.lastSuccess.WithLabelValues(job).Set(float64(s.opts.Clock.Now().UnixNano()) / 1e9)
	}
}

// loadLastSuccess sets each registered job's last-success gauge from its
// latest ok run in job_runs (once, at Start: a small collection, one run a
// day per job). A job that never succeeded has no series until it does.
func (s *Scheduler) loadLastSuccess(ctx context.Context) {
	for _, j := range s.Jobs() {
		var rec RunRecord
		err := s.runs.FindOne(ctx, bson.D{{Key: "job", Value: j.Name}, {Key: "status", Value: StatusOK}},
			options.FindOne().SetSort(bson.D{{Key: "ended", Value: -1}}).
				SetProjection(bson.D{{Key: "ended", Value: 1}})).Decode(&rec)
		switch {
		case errors.Is(err, mongo.ErrNoDocuments):
		case err != nil:
			s.opts.Logger.Warn("cannot read the job's last success for its metric", "job", j.Name, "err", err)
		case !rec.Ended.IsZero():
			s.metrics.lastSuccess.WithLabelValues(j.Name).Set(float64(rec.Ended.UnixNano()) / 1e9)
		}
	}
}
