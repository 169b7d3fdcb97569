package scheduler

import (
	"context"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"turno/clock"
	"turno/internal/testenv"
)

// gather reads the scheduler's series as "name{label values}" -> value.
func gather(t *testing.T, s *Scheduler) map[string]float64 {
	t.Helper()
	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(s.Collector())
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]float64{}
	for _, mf := range mfs {
		for _, m := range mf.GetMetric() {
			key := mf.GetName() + "{"
			for i, l := range m.GetLabel() {
				if i > 0 {
					key += ","
				}
				key += l.GetValue()
			}
			key += "}"
			if c := m.GetCounter(); c != nil {
				out[key] = c.GetValue()
			} else {
				out[key] = m.GetGauge().GetValue()
			}
		}
	}
	return out
}

// An operator alerts on job runs: every registered job's run counters
// exist at 0 before any run, a failure and the retry that succeeds are
// counted by result, and the last success is the run's end. A process
// started later reads that last success from the run history.
func TestJobMetricsCountRunsAndLastSuccess(t *testing.T) {
	ctx := context.Background()
	st := testenv.Store(t)
	loc := santiago(t)
	fc := clock.NewFake(time.Date(2026, 6, 5, 7, 0, 0, 0, loc))
	today := DateOf(fc.Now(), loc)
	a := newSched(t, st, fc, "a")
	rec := &recorder{fail: map[string]int{today.String(): 1}}
	a.AddDaily("cycle", 6, rec.fn)

	got := gather(t, a)
	for _, r := range []string{"ok", "failed", "interrupted"} {
		if v, ok := got["turno_job_runs_total{cycle,"+r+"}"]; !ok || v != 0 {
			t.Errorf("before any run: turno_job_runs_total{cycle,%s} = %v (present %v); want 0", r, v, ok)
		}
	}
	if _, ok := got["turno_job_last_success_timestamp_seconds{cycle}"]; ok {
		t.Error("a last success before any run")
	}

	if _, err := a.Tick(ctx); err == nil {
		t.Fatal("the failure was not reported")
	}
	fc.Advance(10 * time.Minute)
	if _, err := a.Tick(ctx); err != nil {
		t.Fatal(err)
	}
	ended := float64(fc.Now().Unix())
	got = gather(t, a)
	if got["turno_job_runs_total{cycle,failed}"] != 1 || got["turno_job_runs_total{cycle,ok}"] != 1 {
		t.Errorf("after a failure and a success: %v", got)
	}
	if v := got["turno_job_last_success_timestamp_seconds{cycle}"]; v != ended {
		t.Errorf("last success %v; want %v", v, ended)
	}

	fc.Advance(time.Hour)
	b := newSched(t, st, fc, "b")
	b.AddDaily("cycle", 6, rec.fn)
	if err := b.Start(ctx); err != nil {
		t.Fatal(err)
	}
	if err := b.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	got = gather(t, b)
	if v := got["turno_job_last_success_timestamp_seconds{cycle}"]; v != ended {
		t.Errorf("a new process's last success %v; want %v from the run history", v, ended)
	}
	if got["turno_job_runs_total{cycle,ok}"] != 0 {
		t.Errorf("a new process counts runs it did not execute: %v", got)
	}
}
