package tickets

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"go.mongodb.org/mongo-driver/v2/mongo"

	"turno/clients"
	"turno/clock"
	"turno/mailin/parse"
	"turno/mailout"
	"turno/sla"
	"turno/store"
)

// Directory tells who a sender is. The clients registry satisfies it.
//
// Lookup returns one Membership per client the address (any case) is a
// contact of, ordered so that the first is the ticket owner; none for an
// unknown address. An error means the answer is unknown (the caller retries),
// never "not a contact".
type Directory interface {
	Lookup(ctx context.Context, addr string) ([]clients.Membership, error)
}

// Mailer enqueues outgoing mail. The outbox satisfies it; Enqueue is
// idempotent by Message.Key.
type Mailer interface {
	Enqueue(ctx context.Context, m mailout.Message) (id string, err error)
}

// Bounces records a delivery failure against the outbound message it
// reports. RecordBounce must be idempotent (a retried Ingest calls it
// again) and reports matched=false when the report does not prove it
// answers our message. The daemon's implementation also satisfies
// BounceJudge, which is preferred: a report counts only when it carries a
// verified VERP address naming the delivery to the bounced recipient.
type Bounces interface {
	RecordBounce(ctx context.Context, originalMessageID string, rcpts []parse.BounceRecipient) (matched bool, err error)
}

// Options configure a Service. Zero values mean the defaults noted.
type Options struct {
	DB *mongo.Database // required
	// Directory identifies senders; nil treats every sender as unknown.
	Directory Directory
	// Mailer sends acknowledgements and unknown-sender replies; nil sends
	// nothing (and records "no mailer" as the reason).
	Mailer Mailer
	// Bounces matches bounces to outbound mail; nil keeps every bounce as
	// unmatched in the bounces collection.
	Bounces Bounces
	// MessageIDKey is the HMAC key of the Message-IDs Turno generates
	// (package msgid). Empty: no reference counts as Turno's own.
	MessageIDKey []byte
	// TrustedAuthservID is the receiving server whose Authentication-Results
	// are believed (parse.Authenticate); empty: none, every From is taken
	// as written (and no automatic reply repeats the sender's words).
	TrustedAuthservID string
	// NumberStart is the first ticket number; default 100000.
	NumberStart int64
	// ReopenWindow: a reply to a ticket closed at most this long ago reopens
	// it; default 30 days.
	ReopenWindow time.Duration
	// UnknownSenderReplyWindow: at most one unknown-sender reply per
	// address per window; default 7 days.
	UnknownSenderReplyWindow time.Duration
	// ProviderKind is what the provider sells ("hosting" or "isp"): the
	// unknown-sender reply asks for the proof of identity that fits it.
	ProviderKind string
	// AutoReplyBudget is the most automatic replies per address per clock
	// hour; default 5. Negative means none at all.
	AutoReplyBudget int
	// Weights of the priority score; zero value: DefaultWeights().
	Weights *Weights
	// Agents resolves assignees; nil: assignment to another agent fails.
	Agents Agents
	// Linker registers contacts for Link; nil: Link fails.
	Linker Linker
	// Departments are the known departments (Move refuses others); empty:
	// any name.
	Departments []string
	// Senders gives each department's From for agents' replies; a
	// department without one uses DefaultSender.
	Senders       map[string]Sender
	DefaultSender Sender
	// MailDomain is the right-hand side of the Message-IDs of replies.
	MailDomain string
	// CloseAfter: a solved ticket is closed this long after; default 4 days.
	CloseAfter time.Duration
	// QuoteReplies quotes the answered message below an agent's reply;
	// default true (set NoQuote to turn it off).
	NoQuote bool
	// SLA is the service-level policy (sla.FromConfig): due times, overdue
	// marks and breaches (sla.go); nil: none are kept.
	SLA *sla.Policy
	// Location is the business time zone: the days of the dashboard's
	// daily counters (stats.go); default UTC.
	Location *time.Location
	Clock    clock.Clock  // default the wall clock
	Logger   *slog.Logger // default slog.Default()
}

// Sender is the From of agents' replies for a department: Name is the
// team's ("Soporte Mi Proveedor"); a reply shows "Agent — Name".
type Sender struct {
	Name    string
	Address string
}

// Service ingests parsed mail into tickets and answers queue queries. It
// holds no state besides its options and a cache of the open queue kept
// current from the database (queuecache.go): several Services (in several
// processes) may share one database.
type Service struct {
	opts Options
	log  *slog.Logger
	clk  clock.Clock
	w    Weights
	c    colls
	pay  payWiring       // payreport.go: billing, the payments department
	qc   queueCache      // queuecache.go: the open queue in memory
	ci   clientIndexDone // clientindex_upgrade.go: every client indexed
}

// New checks the options and fills in defaults. It writes nothing.
func New(opts Options) (*Service, error) {
	if opts.DB == nil {
		return nil, errors.New("tickets: Options.DB is required")
	}
	if opts.NumberStart <= 0 {
		opts.NumberStart = 100000
	}
	if opts.ReopenWindow <= 0 {
		opts.ReopenWindow = 30 * 24 * time.Hour
	}
	if opts.UnknownSenderReplyWindow <= 0 {
		opts.UnknownSenderReplyWindow = 7 * 24 * time.Hour
	}
	if opts.AutoReplyBudget == 0 {
		opts.AutoReplyBudget = 5
	}
	if opts.CloseAfter <= 0 {
		opts.CloseAfter = 4 * 24 * time.Hour
	}
	if opts.Clock == nil {
		opts.Clock = clock.Real{}
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	w := DefaultWeights()
	if opts.Weights != nil {
		w = *opts.Weights
	}
	if w.High <= w.Medium {
		return nil, fmt.Errorf("tickets: priority threshold high (%d) must exceed medium (%d)", w.High, w.Medium)
	}
	return &Service{opts: opts, log: opts.Logger, clk: opts.Clock, w: w, c: newColls(opts.DB)}, nil
}

// TransientError is a failure worth retrying (the database or a dependency
// did not answer). Ingest wraps every store and dependency error in it
// except those a retry cannot change, which are Permanent like bad input.
type TransientError struct{ Err error }

func (e *TransientError) Error() string { return e.Err.Error() }
func (e *TransientError) Unwrap() error { return e.Err }

// PermanentError is input Ingest can never accept (no parsed message, an
// unknown policy, a document the store refuses); retrying changes nothing.
type PermanentError struct{ Err error }

func (e *PermanentError) Error() string { return e.Err.Error() }
func (e *PermanentError) Unwrap() error { return e.Err }

// failed wraps a store or dependency error of step: permanent when a retry
// cannot change it (store.IsPermanent: a document the driver cannot marshal
// or the server refuses), else transient.
func failed(step string, err error) error {
	err = fmt.Errorf("%s: %w", step, err)
	if store.IsPermanent(err) {
		return &PermanentError{Err: err}
	}
	return &TransientError{Err: err}
}

// IsTransient reports whether err (from Ingest) is worth retrying.
func IsTransient(err error) bool {
	var t *TransientError
	return errors.As(err, &t)
}
