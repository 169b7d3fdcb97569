package mailin

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// MessageCollection is the intake ledger: one document per dedup key
// (_id = Incoming.Key), whichever mailboxes, retries or rescans deliver it.
// The unique _id, not a read-then-write check, is what makes a second
// delivery a duplicate.
const MessageCollection = "mail_messages"

// Entry is one ledger document.
type Entry struct {
	Key   string    `bson:"_id"`
	RawID string    `bson:"raw_id"`
	Size  int64     `bson:"size"`
	First string    `bson:"mailbox"` // the mailbox that stored it first
	At    time.Time `bson:"at"`
	// Sources are "mailbox/uidvalidity/uid" of every server copy seen.
	Sources []string `bson:"sources"`
	// Handlers are the lease holders (process ids) that processed it: more
	// than one only after a takeover in the middle of this message.
	Handlers []string `bson:"handlers"`
	Ingested bool     `bson:"ingested"`
	Ticket   int64    `bson:"ticket,omitempty"`
	// Fingerprint is parse.Fingerprint of the mail that made the entry
	// ("" for raw-hash keys and entries older than fingerprints).
	Fingerprint string `bson:"fp,omitempty"`
}

type ledger struct{ coll *mongo.Collection }

// errReused: the key's entry belongs to a different mail (another
// fingerprint) that reused the Message-ID.
var errReused = errors.New("message ID reused by a different mail")

// claim records that source delivered key. It returns the entry as it was
// before (nil if new) so the caller can tell a new message, a retry of the
// same server copy, and a duplicate from another copy apart. fp is the
// mail's parse.Fingerprint ("" for a raw-hash key): when the entry under key
// was made by a mail with another fingerprint, claim changes nothing and
// returns errReused. Entries written before fingerprints are taken as the
// same mail, as they always were.
func (l ledger) claim(ctx context.Context, key, fp, rawID string, size int64, mailbox, source, owner string, now time.Time) (*Entry, error) {
	// Filters are _id alone: the embedded store scans on any other.
	if fp != "" {
		var e Entry
		err := l.coll.FindOne(ctx, bson.D{{Key: "_id", Value: key}}).Decode(&e)
		if err != nil && !errors.Is(err, mongo.ErrNoDocuments) {
			return nil, fmt.Errorf("record message: %w", err)
		}
		if err == nil && e.Fingerprint != "" && e.Fingerprint != fp {
			return nil, errReused
		}
	}
	var before Entry
	err := l.coll.FindOneAndUpdate(ctx, bson.D{{Key: "_id", Value: key}}, bson.D{
		{Key: "$setOnInsert", Value: bson.D{
			{Key: "raw_id", Value: rawID}, {Key: "size", Value: size}, {Key: "mailbox", Value: mailbox},
			{Key: "at", Value: now}, {Key: "ingested", Value: false}, {Key: "fp", Value: fp},
		}},
		{Key: "$addToSet", Value: bson.D{{Key: "sources", Value: source}, {Key: "handlers", Value: owner}}},
	}, options.FindOneAndUpdate().SetUpsert(true).SetReturnDocument(options.Before)).Decode(&before)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return nil, nil
	}
	if mongo.IsDuplicateKeyError(err) { // two upserts raced; the other inserted
		return l.claim(ctx, key, fp, rawID, size, mailbox, source, owner, now)
	}
	if err != nil {
		return nil, fmt.Errorf("record message: %w", err)
	}
	if fp != "" && before.Fingerprint != "" && before.Fingerprint != fp {
		return nil, errReused // a concurrent different mail won the key
	}
	return &before, nil
}

func (e *Entry) hasSource(s string) bool { return e != nil && slices.Contains(e.Sources, s) }

func (l ledger) ingested(ctx context.Context, key string, ticket int64) error {
	_, err := l.coll.UpdateOne(ctx, bson.D{{Key: "_id", Value: key}},
		bson.D{{Key: "$set", Value: bson.D{{Key: "ingested", Value: true}, {Key: "ticket", Value: ticket}}}})
	if err != nil {
		return fmt.Errorf("mark message ingested: %w", err)
	}
	return nil
}
