package mailin

import (
	"context"
	"errors"
	"time"

	"turno/mailin/parse"
)

// Incoming is one stored, parsed message handed to the Sink. Its raw bytes are
// already in the raw store under RawID when the Sink sees it.
type Incoming struct {
	// Key is the dedup key: "mid:" + normalised Message-ID (followed by
	// "#" and the start of parse.Fingerprint when a different mail took
	// the Message-ID first), or "raw:" + the SHA-256 of the raw bytes when
	// there is no Message-ID. One Key must yield one ticket message,
	// whichever mailbox or retry delivers it.
	Key string
	// Mailbox is the configured name of the mailbox it came from (the first
	// one, when several receive it), Department and UnknownSender its
	// settings.
	Mailbox       string
	Department    string
	UnknownSender string // "ticket" or "reject"
	// RawID is the hex SHA-256 of the raw message, its id in the raw store.
	RawID   string
	RawSize int64
	// ReceivedAt is when intake first stored it.
	ReceivedAt time.Time
	Message    *parse.Message
	// Oversize is set when the message exceeded intake.max_message_size: its
	// attachments were not kept (Message.Attachments lists them with size
	// and hash), the ticket should carry a note, and the sender should be
	// told once (template ticket_attachment_too_large).
	Oversize *Oversize
}

// Oversize says why a message's attachments were dropped.
type Oversize struct {
	Size  int64 // the raw message size
	Limit int64 // intake.max_message_size
}

// Result is what the Sink did with a message.
type Result struct {
	// Ticket is the ticket number the message joined or opened; 0 when none
	// (a bounce, a rejected unknown sender).
	Ticket int64
	// Duplicate: the Key had already been ingested; nothing new was made.
	Duplicate bool
}

// Sink turns a stored message into a ticket message. It is implemented by
// package tickets; mailin only needs this method.
//
// Contract: Ingest is idempotent by in.Key — calling it again after a crash,
// a retry or from another mailbox creates nothing new and returns the same
// Ticket with Duplicate set. A returned error wrapped in Permanent counts
// towards quarantine at once; any other error is retried.
type Sink interface {
	Ingest(ctx context.Context, in Incoming) (Result, error)
}

// Notice is a message just quarantined, for its sender to be told.
type Notice struct {
	// ID is the quarantine id ("mailbox/uidvalidity/uid"): the same message
	// quarantined again (after a crash) has the same ID.
	ID      string
	Mailbox string
	// Message is the parsed message; nil when parsing was what failed
	// (then nobody can be told).
	Message *parse.Message
	// ReceivedAt is when intake first saw it.
	ReceivedAt time.Time
}

// Notifier tells a quarantined message's sender, once, that a person is
// reviewing it. Implemented by package tickets (budgeted, never to automatic
// mail). NotifyQuarantined must be idempotent by Notice.ID: it is called
// again when a crash interrupts the quarantine. An error is retried.
type Notifier interface {
	NotifyQuarantined(ctx context.Context, n Notice) error
}

// SinkFunc adapts a function to Sink.
type SinkFunc func(ctx context.Context, in Incoming) (Result, error)

// Ingest calls f.
func (f SinkFunc) Ingest(ctx context.Context, in Incoming) (Result, error) { return f(ctx, in) }

// PermanentError marks a failure that retrying will not fix.
type PermanentError struct{ Err error }

func (e *PermanentError) Error() string { return e.Err.Error() }
func (e *PermanentError) Unwrap() error { return e.Err }

// Permanent wraps err as a PermanentError.
func Permanent(err error) error { return &PermanentError{Err: err} }

// IsPermanent reports whether err is, or wraps, a PermanentError.
func IsPermanent(err error) bool {
	var p *PermanentError
	return errors.As(err, &p)
}
