// Package scheduler owns the cron calendar: jobs run under a leader lease in
// the configured time zone, and every run is recorded with its outcome.
//
// Built by the billing issue; this package currently holds only its place in
// the layout.
package scheduler
