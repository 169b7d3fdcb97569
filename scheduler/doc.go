// Package scheduler owns the cron calendar: daily jobs that run once per
// business date, in the business time zone, in one process at a time, with
// every run recorded.
//
// Time. A business date is a calendar day in the configured time zone
// (America/Santiago by default, DST included); the server's own zone does not
// matter. A daily job registered for hour H runs for date D once the clock
// passes D at H:00 local time (an hour lost to a DST change moves forward).
// Tick(ctx) does everything that is due at the injected clock's now, so tests
// step a clock.Fake through months and call Tick; cron (robfig/cron/v3, in
// the same zone) is only the production trigger that calls Tick at each
// job's hour and every minute.
//
// Leadership. Tick first acquires (or renews) the store lease "scheduler";
// only its holder runs jobs, so several `turno serve` processes sharing a
// database run each job once. Start renews it a third of its TTL apart and,
// when the renewal finds it free or held by another owner, ticks at once: a
// standby or a process restarted after a crash takes over within about a
// TTL of the dead leader's last renewal. Stop waits for running jobs and
// releases it.
//
// Runs. The job_runs collection has one document per scheduled run with _id
// "<job>|<YYYY-MM-DD>" (job, business date, trigger, status
// running|ok|failed|interrupted, owner, attempts, failures, start, end,
// counts, error). Inserting it is the claim, so "once per business date" is
// a unique key. A run left "running" by another owner (which lost the
// lease, usually by dying), or by this process when it could not record
// the outcome, is taken over, and so is one "interrupted" (its process
// stopped while it ran: a shutdown is not a failure of the job). A run that
// failed is retried by later ticks until it has failed three times.
// attempts counts every start (takeovers and resumptions included), for
// operators; failures counts only the runs that ended "failed" by the
// job's error, and only failures use up retries, so crashes and stops
// never leave a transient failure unretried. Only the run's
// owner records its outcome: a process that lost the lease while its job
// ran, and whose run another took over, leaves the record to the owner.
// Jobs must therefore be idempotent: a takeover may repeat part
// of a run. Within a process a job that is still running is not started
// again (a per-job TryLock), whether by a tick or by RunNow.
//
// Catch-up. For each job the due dates are those after its last recorded
// scheduled run (the last one itself is re-examined in case it failed),
// at most CatchUpDays back, oldest first; a job that never ran starts today.
//
// Manual runs (`turno jobs run NAME --date D`) go through RunNow: recorded
// with their own _id and trigger "manual"; a dry run records nothing and
// the job only describes what it would do.
package scheduler
