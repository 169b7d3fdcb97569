package tickets

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"

	"turno/clients"
	"turno/mailin/parse"
)

// Policy is what a mailbox does with mail from an unknown sender.
type Policy string

const (
	PolicyTicket Policy = "ticket" // open an unverified, lowest-priority ticket (default)
	PolicyReject Policy = "reject" // open nothing
)

// Incoming is one stored message handed over by the intake.
type Incoming struct {
	Msg *parse.Message // required
	// RawHash is parse.RawHash of the raw bytes: the dedup key when the
	// message has no Message-ID. Required then.
	RawHash string
	// RawRef points at the stored raw message (opaque to this package).
	RawRef     string
	Mailbox    string
	Department string
	// UnknownSender is the mailbox's policy; "" means PolicyTicket.
	UnknownSender Policy
	// Channel the ticket arrives by; "" means ChannelEmail.
	Channel string
	// ArrivedAt is when the mail reached the mailbox (INTERNALDATE); zero
	// means now.
	ArrivedAt time.Time
	// Oversize is set when the intake dropped the attachments of a message
	// over its size limit: the message carries a note and the sender is
	// told once (template ticket_attachment_too_large).
	Oversize *Oversize
}

// Oversize says why a message's attachments were dropped.
type Oversize struct {
	Size  int64 `bson:"size" json:"size"`   // the raw message size
	Limit int64 `bson:"limit" json:"limit"` // the intake's limit
}

// Outcome is what Ingest did with a message.
type Outcome string

const (
	OutcomeOpened    Outcome = "opened"    // a new ticket
	OutcomeAppended  Outcome = "appended"  // added to an existing ticket
	OutcomeDuplicate Outcome = "duplicate" // seen before: nothing new
	OutcomeBounce    Outcome = "bounce"    // a delivery report, recorded
	OutcomeOwn       Outcome = "own"       // Turno's own mail, ignored
	OutcomeRejected  Outcome = "rejected"  // unknown sender, policy reject
)

// Result says what happened, for logs and metrics.
type Result struct {
	Outcome Outcome
	Key     string // dedup key
	Ticket  int64  // 0 when no ticket is involved
	// Thread is how the message found its ticket (see threading).
	Thread   string
	Reopened bool
	// AutoReply is the automatic reply sent ("ack", "unknown_sender") or
	// why none was ("suppressed: …"); "" when none applies.
	AutoReply     string
	BounceMatched bool
}

// DedupKey is the key that makes one incoming mail one ticket message: the
// normalised Message-ID, or raw:<sha256 of the raw bytes> without one.
func DedupKey(m *parse.Message, rawHash string) (string, error) {
	if id := parse.NormalizeMessageID(m.MessageID); id != "" {
		return id, nil
	}
	if rawHash == "" {
		return "", &PermanentError{Err: errors.New("message has no Message-ID and no raw hash")}
	}
	return "raw:" + rawHash, nil
}

// Ingest turns one parsed message into a ticket message, a bounce record or
// nothing, and sends the acknowledgement or unknown-sender reply it is owed.
//
// It is idempotent: any number of calls for one message, sequential or
// concurrent, converge on one ticket message (the insert by dedup key
// decides) and at most one automatic reply (the outbox key decides). A call
// that fails part-way is completed by the next call for the same message.
func (s *Service) Ingest(ctx context.Context, in Incoming) (Result, error) {
	if in.Msg == nil {
		return Result{}, &PermanentError{Err: errors.New("ingest: no parsed message")}
	}
	switch in.UnknownSender {
	case "":
		in.UnknownSender = PolicyTicket
	case PolicyTicket, PolicyReject:
	default:
		return Result{}, &PermanentError{Err: fmt.Errorf("ingest: unknown sender policy %q", in.UnknownSender)}
	}
	if in.Channel == "" {
		in.Channel = ChannelEmail
	}
	if in.ArrivedAt.IsZero() {
		in.ArrivedAt = s.clk.Now()
	}
	in.ArrivedAt = in.ArrivedAt.UTC().Truncate(time.Millisecond)
	key, err := DedupKey(in.Msg, in.RawHash)
	if err != nil {
		return Result{}, err
	}
	if in.Msg.Own {
		return Result{Outcome: OutcomeOwn, Key: key}, nil
	}
	if in.Msg.Kind == parse.KindBounce {
		return s.recordBounce(ctx, key, in)
	}

	var fp string
	if !strings.HasPrefix(key, "raw:") {
		fp = parse.Fingerprint(in.Msg)
	}
	res, known, collided, err := s.probe(ctx, key, fp)
	if collided {
		// A different mail under a Message-ID already taken (web forms,
		// broken mailers): it is a new mail under a key of its own, which
		// every copy and retry of it computes alike.
		s.log.Warn("message ID reused by a different mail", "key", key, "mailbox", in.Mailbox)
		key = collisionKey(key, fp)
		res, known, _, err = s.probe(ctx, key, fp)
	}
	if err != nil || known {
		return res, err
	}

	sender := senderAddress(in.Msg)
	mem, err := s.lookup(ctx, sender)
	if err != nil {
		return Result{}, err
	}
	// A From the receiving server could not authenticate is anybody's:
	// the sender is unverified whatever the directory says (no contact
	// bonus, no tier, no client, no subject-tag join, no automatic reply).
	auth := parse.Authenticate(in.Msg, s.opts.TrustedAuthservID)
	failedAuth := auth != nil && auth.Verdict == parse.AuthFail
	if failedAuth {
		mem = nil
	}
	d, err := s.thread(ctx, in, sender, mem, failedAuth)
	if err != nil {
		return Result{}, err
	}
	doc := newMessage(key, in, sender, mem, s.clk.Now())
	doc.Fingerprint = fp
	doc.Thread, doc.Reopens = d.how, d.reopen
	doc.Notes = append(d.notes, doc.Notes...)
	if auth != nil {
		doc.Auth = auth.Verdict
		if failedAuth {
			doc.Notes = append([]string{"sender authentication failed: " + auth.Reason}, doc.Notes...)
		}
	}
	switch {
	case d.ticket != nil:
		doc.Ticket = d.ticket.Number
	case len(mem) == 0 && in.UnknownSender == PolicyReject:
		doc.Disposition = DispRejected
		doc.Thread = "rejected"
	default:
		n, err := s.allocate(ctx, key)
		if err != nil {
			return Result{}, err
		}
		doc.Ticket, doc.Opened = n, true
		doc.Seed = s.seed(n, key, in, doc, mem, d)
	}
	if _, err := s.c.messages.InsertOne(ctx, doc); err != nil {
		if !mongo.IsDuplicateKeyError(err) {
			return Result{}, failed("store message", err)
		}
		// Another call stored it first (concurrent delivery from a second
		// mailbox, or a retry racing us): its decision stands.
		old, err := s.findMessage(ctx, key)
		if err != nil {
			return Result{}, err
		}
		if old == nil {
			return Result{}, failed("store message", errors.New("duplicate key but no document"))
		}
		return s.complete(ctx, old, true)
	}
	return s.complete(ctx, doc, false)
}

// complete runs every step after the message insert; each is idempotent,
// so it also finishes what a crashed or concurrent call left undone.
func (s *Service) complete(ctx context.Context, m *Message, dup bool) (Result, error) {
	res := Result{Key: m.Key, Ticket: m.Ticket, Thread: m.Thread, Reopened: m.Reopens}
	switch {
	case dup:
		res.Outcome = OutcomeDuplicate
	case m.Disposition == DispRejected:
		res.Outcome = OutcomeRejected
	case m.Opened:
		res.Outcome = OutcomeOpened
	default:
		res.Outcome = OutcomeAppended
	}
	switch {
	case m.Opened:
		if err := s.createTicket(ctx, m.Seed); err != nil {
			return res, err
		}
		if err := s.proposeFromMail(ctx, m); err != nil { // payreport.go
			return res, err
		}
	default:
		if err := s.joinTicket(ctx, m); err != nil {
			return res, err
		}
	}
	reply, err := s.autoReply(ctx, m)
	if err != nil {
		return res, err
	}
	res.AutoReply = reply
	_, err = s.c.done.InsertOne(ctx, doneDoc{Key: m.Key, Ticket: m.Ticket, Thread: m.Thread, AutoReply: reply,
		At: s.clk.Now().UTC()})
	if err != nil && !mongo.IsDuplicateKeyError(err) {
		return res, failed("mark message done", err)
	}
	s.log.Info("ticket message stored", "key", m.Key, "ticket", m.Ticket, "outcome", string(res.Outcome),
		"thread", m.Thread, "mailbox", m.Mailbox, "auto_reply", reply)
	return res, nil
}

// doneDoc marks a message whose every step completed. Small on purpose: it
// is what duplicates and threading read (see probe).
type doneDoc struct {
	Key       string    `bson:"_id"`
	Ticket    int64     `bson:"ticket"`
	Thread    string    `bson:"thread"`
	AutoReply string    `bson:"auto_reply"`
	At        time.Time `bson:"at"`
}

// probe tells a new message from a known one. The embedded store finds a
// document by _id by scanning the collection (FerretDB 1.24's _id index is
// not used by its queries) but checks a unique _id on insert through the
// index, so a new message is recognised by a successful insert into
// ticket_seen rather than by a failed read. Only a known message pays for
// reads: the seen record (whose fingerprint tells another mail under the
// same Message-ID: collided), the small completion record, else the
// message itself (a crash left it unfinished), else nothing (a crash
// before its insert): then it is handled as new.
func (s *Service) probe(ctx context.Context, key, fp string) (res Result, known, collided bool, err error) {
	_, err = s.c.seen.InsertOne(ctx, seenDoc{Key: key, Fingerprint: fp})
	if err == nil {
		return Result{}, false, false, nil
	}
	if !mongo.IsDuplicateKeyError(err) {
		return Result{}, false, false, failed("probe message", err)
	}
	var seen seenDoc
	if err := s.c.seen.FindOne(ctx, bson.D{{Key: "_id", Value: key}}).Decode(&seen); err != nil {
		return Result{}, false, false, failed("read message fingerprint", err)
	}
	// A record without a fingerprint predates them: the same mail, as
	// it was always taken to be.
	if fp != "" && seen.Fingerprint != "" && seen.Fingerprint != fp {
		return Result{}, false, true, nil
	}
	var d doneDoc
	err = s.c.done.FindOne(ctx, bson.D{{Key: "_id", Value: key}}).Decode(&d)
	if err == nil {
		return Result{Outcome: OutcomeDuplicate, Key: key, Ticket: d.Ticket, Thread: d.Thread, AutoReply: d.AutoReply}, true, false, nil
	}
	if !errors.Is(err, mongo.ErrNoDocuments) {
		return Result{}, false, false, failed("read message state", err)
	}
	old, err := s.findMessage(ctx, key)
	if err != nil || old == nil {
		return Result{}, false, false, err
	}
	res, err = s.complete(ctx, old, true)
	return res, true, false, err
}

// seenDoc is a ticket_seen record: the dedup key, and the fingerprint of
// the mail that first took it.
type seenDoc struct {
	Key         string `bson:"_id"`
	Fingerprint string `bson:"fp,omitempty"`
}

// collisionKey is the dedup key of a mail that reuses another mail's
// Message-ID: the key with the start of its own fingerprint.
func collisionKey(key, fp string) string { return key + "#" + fp[:16] }

func (s *Service) findMessage(ctx context.Context, key string) (*Message, error) {
	var m Message
	err := s.c.messages.FindOne(ctx, bson.D{{Key: "_id", Value: key}}).Decode(&m)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return nil, nil
	}
	if err != nil {
		return nil, failed("read message "+key, err)
	}
	return &m, nil
}

// lookup returns the sender's memberships in active clients.
func (s *Service) lookup(ctx context.Context, addr string) ([]clients.Membership, error) {
	if addr == "" || s.opts.Directory == nil {
		return nil, nil
	}
	all, err := s.opts.Directory.Lookup(ctx, addr)
	if err != nil {
		return nil, failed("look up sender", err)
	}
	var active []clients.Membership
	for _, m := range all {
		if m.ClientActive {
			active = append(active, m)
		}
	}
	return active, nil
}

func senderAddress(m *parse.Message) string {
	if m.From == nil {
		return ""
	}
	return strings.ToLower(strings.TrimSpace(m.From.Address))
}
