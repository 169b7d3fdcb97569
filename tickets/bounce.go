package tickets

import (
	"context"
	"errors"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"turno/mailin/parse"
	"turno/msgid"
)

// BounceRecord is one document of the bounces collection: every delivery
// report received, whether it proved which outbound message and recipient
// it answers (matched), and why not (reason).
type BounceRecord struct {
	Key               string                  `bson:"_id" json:"key"`
	OriginalMessageID string                  `bson:"original_message_id" json:"original_message_id"`
	Status            string                  `bson:"status" json:"status"`
	Recipients        []parse.BounceRecipient `bson:"recipients" json:"recipients"`
	// Addressed are where the report was delivered or addressed, and the
	// subaddressed addresses it quotes (parse.Bounce.Addressed).
	Addressed  []string  `bson:"addressed,omitempty" json:"addressed,omitempty"`
	From       string    `bson:"from" json:"from"`
	Subject    string    `bson:"subject" json:"subject"`
	Ticket     int64     `bson:"ticket,omitempty" json:"ticket,omitempty"` // from a Turno Message-ID
	Mailbox    string    `bson:"mailbox" json:"mailbox"`
	RawRef     string    `bson:"raw_ref" json:"raw_ref"`
	ReceivedAt time.Time `bson:"received_at" json:"received_at"`
	Matched    bool      `bson:"matched" json:"matched"`
	// Reason says why an unmatched report was refused (mailout's Refused*
	// reasons, or "no outbox").
	Reason string `bson:"reason,omitempty" json:"reason,omitempty"`
	// Entry is the outbox entry the report proved it answers.
	Entry string `bson:"entry,omitempty" json:"entry,omitempty"`
	// Sensitive: the report names an outbox entry that carried a secret;
	// its raw copy was stripped to the header (BounceJudge.PurgeRaw).
	Sensitive bool `bson:"sensitive,omitempty" json:"sensitive,omitempty"`
	Done      bool `bson:"done" json:"-"`
}

// BounceReport is a delivery report as the outbox judges it.
type BounceReport struct {
	OriginalMessageID string
	Recipients        []parse.BounceRecipient
	Addressed         []string
	RawRef            string
}

// BounceVerdict is the outbox's judgement of a BounceReport.
type BounceVerdict struct {
	Matched bool
	Reason  string // why not matched
	Entry   string // the outbox entry it proved it answers
	// Sensitive: the entry it names carried a secret, which a
	// full-content bounce quotes: its raw copy must be purged.
	Sensitive bool
}

// BounceJudge is a Bounces that authenticates bounces: the daemon's, over
// mailout's VERP check. When Options.Bounces is one, JudgeBounce replaces
// RecordBounce, which has no evidence to judge by. PurgeRaw strips the raw
// copy with that hash to its header; it is idempotent. Both must be safe
// to repeat, as a retried Ingest repeats them.
type BounceJudge interface {
	JudgeBounce(ctx context.Context, r BounceReport) (BounceVerdict, error)
	PurgeRaw(ctx context.Context, rawRef string) error
}

// recordBounce keeps a delivery report, keyed like a ticket message, and
// hands it to the outbox (Bounces). It never opens a ticket. A report that
// names a sensitive entry has its raw copy stripped before the record is
// done, and so has every later copy of it (another mailbox, another
// fetch), which arrives as a duplicate.
func (s *Service) recordBounce(ctx context.Context, key string, in Incoming) (Result, error) {
	res := Result{Outcome: OutcomeBounce, Key: key}
	judge, _ := s.opts.Bounces.(BounceJudge)
	var old BounceRecord
	err := s.c.bounces.FindOne(ctx, bson.D{{Key: "_id", Value: key}}).Decode(&old)
	switch {
	case err == nil && old.Done:
		if old.Sensitive && judge != nil && in.RawRef != "" {
			if err := judge.PurgeRaw(ctx, in.RawRef); err != nil {
				return res, failed("purge raw bounce", err)
			}
		}
		res.Outcome, res.BounceMatched, res.Ticket = OutcomeDuplicate, old.Matched, old.Ticket
		return res, nil
	case err != nil && !errors.Is(err, mongo.ErrNoDocuments):
		return res, failed("read bounce", err)
	}
	rec := BounceRecord{Key: key, Mailbox: in.Mailbox, RawRef: in.RawRef, ReceivedAt: in.ArrivedAt, Subject: in.Msg.Subject}
	if in.Msg.From != nil {
		rec.From = in.Msg.From.Address
	}
	if b := in.Msg.Bounce; b != nil {
		rec.OriginalMessageID, rec.Status, rec.Recipients, rec.Addressed = b.OriginalMessageID, b.Status, b.Recipients, b.Addressed
	}
	if n, ok := msgid.Ticket(rec.OriginalMessageID, s.opts.MessageIDKey); ok && len(s.opts.MessageIDKey) > 0 {
		rec.Ticket = n
	}
	res.Ticket = rec.Ticket
	_, err = s.c.bounces.UpdateOne(ctx, bson.D{{Key: "_id", Value: key}},
		bson.D{{Key: "$setOnInsert", Value: rec}}, options.UpdateOne().SetUpsert(true))
	if err != nil && !mongo.IsDuplicateKeyError(err) {
		return res, failed("store bounce", err)
	}
	v := BounceVerdict{Reason: "no outbox"}
	if s.opts.Bounces != nil {
		v.Reason = "no original message or failed recipient"
	}
	switch {
	case judge != nil:
		v, err = judge.JudgeBounce(ctx, BounceReport{OriginalMessageID: rec.OriginalMessageID,
			Recipients: rec.Recipients, Addressed: rec.Addressed, RawRef: in.RawRef})
		if err != nil {
			return res, failed("judge bounce", err)
		}
		if v.Sensitive && in.RawRef != "" {
			if err := judge.PurgeRaw(ctx, in.RawRef); err != nil {
				return res, failed("purge raw bounce", err)
			}
		}
	case s.opts.Bounces != nil && rec.OriginalMessageID != "" && len(rec.Recipients) > 0:
		v.Reason = "not matched"
		v.Matched, err = s.opts.Bounces.RecordBounce(ctx, rec.OriginalMessageID, rec.Recipients)
		if err != nil {
			return res, failed("record bounce in outbox", err)
		}
	}
	if v.Matched {
		v.Reason = ""
	}
	_, err = s.c.bounces.UpdateOne(ctx, bson.D{{Key: "_id", Value: key}},
		bson.D{{Key: "$set", Value: bson.D{{Key: "matched", Value: v.Matched}, {Key: "reason", Value: v.Reason},
			{Key: "entry", Value: v.Entry}, {Key: "sensitive", Value: v.Sensitive}, {Key: "done", Value: true}}}})
	if err != nil {
		return res, failed("mark bounce done", err)
	}
	res.BounceMatched = v.Matched
	s.log.Info("bounce recorded", "key", key, "original", rec.OriginalMessageID, "status", rec.Status,
		"matched", v.Matched, "reason", v.Reason, "entry", v.Entry, "sensitive", v.Sensitive, "mailbox", in.Mailbox)
	return res, nil
}
