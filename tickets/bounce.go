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
// report received, with whether the outbox knew the message it reports.
type BounceRecord struct {
	Key               string                  `bson:"_id" json:"key"`
	OriginalMessageID string                  `bson:"original_message_id" json:"original_message_id"`
	Status            string                  `bson:"status" json:"status"`
	Recipients        []parse.BounceRecipient `bson:"recipients" json:"recipients"`
	From              string                  `bson:"from" json:"from"`
	Subject           string                  `bson:"subject" json:"subject"`
	Ticket            int64                   `bson:"ticket,omitempty" json:"ticket,omitempty"` // from a Turno Message-ID
	Mailbox           string                  `bson:"mailbox" json:"mailbox"`
	RawRef            string                  `bson:"raw_ref" json:"raw_ref"`
	ReceivedAt        time.Time               `bson:"received_at" json:"received_at"`
	Matched           bool                    `bson:"matched" json:"matched"`
	Done              bool                    `bson:"done" json:"-"`
}

// recordBounce keeps a delivery report, keyed like a ticket message, and
// hands it to the outbox (Bounces). It never opens a ticket.
func (s *Service) recordBounce(ctx context.Context, key string, in Incoming) (Result, error) {
	res := Result{Outcome: OutcomeBounce, Key: key}
	var old BounceRecord
	err := s.c.bounces.FindOne(ctx, bson.D{{Key: "_id", Value: key}}).Decode(&old)
	switch {
	case err == nil && old.Done:
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
		rec.OriginalMessageID, rec.Status, rec.Recipients = b.OriginalMessageID, b.Status, b.Recipients
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
	matched := false
	if s.opts.Bounces != nil && rec.OriginalMessageID != "" && len(rec.Recipients) > 0 {
		matched, err = s.opts.Bounces.RecordBounce(ctx, rec.OriginalMessageID, rec.Recipients)
		if err != nil {
			return res, failed("record bounce in outbox", err)
		}
	}
	_, err = s.c.bounces.UpdateOne(ctx, bson.D{{Key: "_id", Value: key}},
		bson.D{{Key: "$set", Value: bson.D{{Key: "matched", Value: matched}, {Key: "done", Value: true}}}})
	if err != nil {
		return res, failed("mark bounce done", err)
	}
	res.BounceMatched = matched
	s.log.Info("bounce recorded", "key", key, "original", rec.OriginalMessageID, "status", rec.Status,
		"matched", matched, "mailbox", in.Mailbox)
	return res, nil
}
