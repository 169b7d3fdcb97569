package config

import "time"

// RetentionConfig bounds the history Turno keeps (package retention): the
// daily retention job deletes bookkeeping nothing needs any more. Tickets,
// their messages, invoices, payments and audit trails are records and are
// never deleted.
type RetentionConfig struct {
	// Enabled runs the daily job. Default true.
	Enabled bool `toml:"enabled"`
	// Hour is the local hour (time_zone) the job runs at. Default 4.
	Hour int `toml:"hour"`
	// Outbox is how long a final outbox entry (sent, failed, suppressed,
	// cancelled), its claim tokens and VERP record are kept after its last
	// change. After it, a bounce of that mail is no longer matched and the
	// entry's idempotency key no longer deduplicates. Default 90 days.
	Outbox Duration `toml:"outbox"`
	// Intake is how long the intake's bookkeeping of a message whose
	// ticket message is complete (its ledger entry), failed attempts behind
	// the cursor and resolved quarantine entries are kept. Default 30 days.
	Intake Duration `toml:"intake"`
	// RawMail, when not zero, drops the raw bytes of messages on tickets
	// closed for longer than this. Default 0: keep forever.
	RawMail Duration `toml:"raw_mail"`
}

func defaultRetention() RetentionConfig {
	return RetentionConfig{Enabled: true, Hour: 4,
		Outbox: Duration(90 * 24 * time.Hour), Intake: Duration(30 * 24 * time.Hour)}
}

// minRetention is the shortest retention accepted: a day, so that nothing
// in flight (a lease, a retry, a rescan in progress) can be pruned.
const minRetention = 24 * time.Hour

func (c *Config) validateRetention(add func(key, format string, args ...any)) {
	r := c.Retention
	if r.Hour < 0 || r.Hour > 23 {
		add("retention.hour", "must be between 0 and 23 (got %d)", r.Hour)
	}
	if r.Outbox.D() < minRetention {
		add("retention.outbox", "must be at least 24h (got %s)", r.Outbox.D())
	} else if r.Outbox.D() < c.Outbox.GiveUpAfter.D() {
		add("retention.outbox", "must be at least outbox.give_up_after (%s)", c.Outbox.GiveUpAfter.D())
	}
	if r.Intake.D() < minRetention {
		add("retention.intake", "must be at least 24h (got %s)", r.Intake.D())
	}
	if r.RawMail != 0 && r.RawMail.D() < minRetention {
		add("retention.raw_mail", "must be 0 (keep forever) or at least 24h (got %s)", r.RawMail.D())
	}
}
