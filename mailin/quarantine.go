package mailin

import (
	"context"
	"errors"
	"fmt"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// Failed messages. AttemptCollection counts failures per server copy
// (_id = "mailbox/uidvalidity/uid"); once intake.retry_limit is reached the
// message goes to QuarantineCollection under the same _id, with the error
// and its raw bytes (by RawID in the raw store, or inline when storing them
// was what failed), and the cursor moves past it.
const (
	AttemptCollection    = "mail_attempts"
	QuarantineCollection = "mail_quarantine"
)

// Quarantine states.
const (
	QuarantineHeld  = "held"  // waiting for an operator
	QuarantineRetry = "retry" // an operator asked for a retry; the watcher will pick it up
	QuarantineDone  = "done"  // a retry succeeded
)

// Quarantined is one quarantined message.
type Quarantined struct {
	ID          string    `bson:"_id" json:"id"`
	Mailbox     string    `bson:"mailbox" json:"mailbox"`
	UIDValidity uint32    `bson:"uidvalidity" json:"uidvalidity"`
	UID         uint32    `bson:"uid" json:"uid"`
	RawID       string    `bson:"raw_id,omitempty" json:"raw_id,omitempty"`
	Raw         []byte    `bson:"raw,omitempty" json:"-"`
	Size        int64     `bson:"size" json:"size"`
	Reason      string    `bson:"reason" json:"reason"`
	Error       string    `bson:"error" json:"error"`
	Attempts    int       `bson:"attempts" json:"attempts"`
	At          time.Time `bson:"at" json:"at"`
	State       string    `bson:"state" json:"state"`
	Ticket      int64     `bson:"ticket,omitempty" json:"ticket,omitempty"`
}

// maxInlineRaw bounds raw bytes kept inside a quarantine document (the
// document limit is 16 MiB).
const maxInlineRaw = 12 << 20

func sourceID(mailbox string, uidValidity, uid uint32) string {
	return fmt.Sprintf("%s/%d/%d", mailbox, uidValidity, uid)
}

// failure records one failed attempt and returns the count so far.
func failure(ctx context.Context, db *mongo.Database, id string, err error) (int, error) {
	var after struct {
		Attempts int `bson:"attempts"`
	}
	e := db.Collection(AttemptCollection).FindOneAndUpdate(ctx, bson.D{{Key: "_id", Value: id}}, bson.D{
		{Key: "$inc", Value: bson.D{{Key: "attempts", Value: 1}}},
		{Key: "$set", Value: bson.D{{Key: "last_error", Value: err.Error()}}},
	}, options.FindOneAndUpdate().SetUpsert(true).SetReturnDocument(options.After)).Decode(&after)
	if e != nil {
		return 0, fmt.Errorf("count failed attempt: %w", e)
	}
	return after.Attempts, nil
}

func clearAttempts(ctx context.Context, db *mongo.Database, id string) error {
	if _, err := db.Collection(AttemptCollection).DeleteOne(ctx, bson.D{{Key: "_id", Value: id}}); err != nil {
		return fmt.Errorf("clear attempts: %w", err)
	}
	return nil
}

// quarantine stores q; storing it twice (after a crash) keeps the first.
func quarantine(ctx context.Context, db *mongo.Database, q Quarantined) error {
	q.State = QuarantineHeld
	if len(q.Raw) > maxInlineRaw {
		q.Raw = nil
	}
	_, err := db.Collection(QuarantineCollection).UpdateOne(ctx, bson.D{{Key: "_id", Value: q.ID}},
		bson.D{{Key: "$setOnInsert", Value: q}}, options.UpdateOne().SetUpsert(true))
	if err != nil {
		return fmt.Errorf("quarantine message: %w", err)
	}
	return nil
}

// ListQuarantine returns quarantined messages, newest first; state "" means
// every state.
func ListQuarantine(ctx context.Context, db *mongo.Database, state string) ([]Quarantined, error) {
	filter := bson.D{}
	if state != "" {
		filter = bson.D{{Key: "state", Value: state}}
	}
	cur, err := db.Collection(QuarantineCollection).Find(ctx, filter,
		options.Find().SetSort(bson.D{{Key: "at", Value: -1}}).SetProjection(bson.D{{Key: "raw", Value: 0}}))
	if err != nil {
		return nil, fmt.Errorf("list quarantine: %w", err)
	}
	var out []Quarantined
	if err := cur.All(ctx, &out); err != nil {
		return nil, fmt.Errorf("list quarantine: %w", err)
	}
	return out, nil
}

// ErrNotQuarantined: no held message has that id.
var ErrNotQuarantined = errors.New("no held quarantined message with that id")

// RequestRetry asks the watcher of the message's mailbox to process it again
// from its stored bytes.
func RequestRetry(ctx context.Context, db *mongo.Database, id string) error {
	res, err := db.Collection(QuarantineCollection).UpdateOne(ctx,
		bson.D{{Key: "_id", Value: id}, {Key: "state", Value: QuarantineHeld}},
		bson.D{{Key: "$set", Value: bson.D{{Key: "state", Value: QuarantineRetry}}}})
	if err != nil {
		return fmt.Errorf("request retry: %w", err)
	}
	if res.MatchedCount == 0 {
		return fmt.Errorf("%s: %w", id, ErrNotQuarantined)
	}
	return nil
}

// QuarantineCount counts held messages of one mailbox.
func QuarantineCount(ctx context.Context, db *mongo.Database, mailbox string) (int64, error) {
	return db.Collection(QuarantineCollection).CountDocuments(ctx,
		bson.D{{Key: "mailbox", Value: mailbox}, {Key: "state", Value: bson.D{{Key: "$ne", Value: QuarantineDone}}}})
}

func setQuarantineState(ctx context.Context, db *mongo.Database, id, state, errMsg string) error {
	set := bson.D{{Key: "state", Value: state}}
	if errMsg != "" {
		set = append(set, bson.E{Key: "error", Value: errMsg})
	}
	if _, err := db.Collection(QuarantineCollection).UpdateOne(ctx, bson.D{{Key: "_id", Value: id}},
		bson.D{{Key: "$set", Value: set}}); err != nil {
		return fmt.Errorf("update quarantine %s: %w", id, err)
	}
	return nil
}
