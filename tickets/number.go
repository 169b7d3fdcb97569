package tickets

import (
	"context"
	"errors"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

const (
	counterID = "number"
	// maxClaims bounds the search for a free number (a stale hint).
	maxClaims = 10000
)

// allocate claims the next free ticket number for the message with dedup
// key origin. A number is claimed by inserting {_id: number} into
// ticket_numbers: the unique _id makes the claim atomic on every store.
// (An $inc on one counter document would be simpler, but on the embedded
// FerretDB an update is a read-modify-write that scans the collection, and
// without store's write serialisation concurrent ones lost updates —
// measured here: 200 concurrent $inc left the counter at 20, with repeated
// values. An insert is checked against the unique _id index: atomic and
// fast on every store.)
//
// The counter document is only a hint of where to start; it is raised
// after each claim and may lag or even step back under concurrency, which
// costs a few extra inserts, never a duplicate. Numbers start at
// NumberStart; lowering it later has no effect on numbers already claimed.
// A crash between the claim and the message insert leaves a gap.
func (s *Service) allocate(ctx context.Context, origin string) (int64, error) {
	var hint struct {
		Seq int64 `bson:"seq"`
	}
	err := s.c.counters.FindOne(ctx, bson.D{{Key: "_id", Value: counterID}}).Decode(&hint)
	if err != nil && !errors.Is(err, mongo.ErrNoDocuments) {
		return 0, failed("read ticket counter", err)
	}
	n := max(hint.Seq+1, s.opts.NumberStart)
	for range maxClaims {
		_, err := s.c.numbers.InsertOne(ctx, bson.D{{Key: "_id", Value: n}, {Key: "origin", Value: origin},
			{Key: "claimed_at", Value: s.clk.Now().UTC().Truncate(time.Millisecond)}})
		if mongo.IsDuplicateKeyError(err) {
			n++
			continue
		}
		if err != nil {
			return 0, failed("claim ticket number", err)
		}
		_, err = s.c.counters.UpdateOne(ctx, bson.D{{Key: "_id", Value: counterID}},
			bson.D{{Key: "$max", Value: bson.D{{Key: "seq", Value: n}}}}, options.UpdateOne().SetUpsert(true))
		if err != nil && !mongo.IsDuplicateKeyError(err) {
			// The claim stands; a stale hint only slows the next claim.
			s.log.Warn("ticket counter hint not raised", "ticket", n, "err", err)
		}
		return n, nil
	}
	return 0, failed("claim ticket number", errors.New("no free number after many attempts; is ticket_counters far behind?"))
}
