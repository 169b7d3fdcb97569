package tickets

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// clientIndexFlag, a document {_id, seq: 1} in ticket_counters, says every
// client's ticket_client_index entry is complete: UpgradeClientIndex read
// the tickets once and indexed every client's. From then on a client
// without an index document has no tickets, and no reader backfills.
const clientIndexFlag = "client_index_complete"

// clientIndexDone caches the flag once a process has seen it set.
type clientIndexDone struct{ set atomic.Bool }

// UpgradeClientIndex indexes the tickets of every client in one pass over
// the tickets collection (a projection of number and client_id), then
// sets the flag, so that no customer's or agent's first look at a client
// pays the per-client scan that clientTicketNumbers otherwise runs. It is
// idempotent and safe beside writers: a ticket written during the pass is
// indexed before it is written (indexClientTicket), and the pass adds
// with $addToSet. Once the flag is set it costs one _id read per process.
// The daemon runs it at start.
func (s *Service) UpgradeClientIndex(ctx context.Context) (clients int, err error) {
	if done, err := s.clientIndexComplete(ctx); err != nil || done {
		return 0, err
	}
	cur, err := s.c.tickets.Find(ctx, bson.D{}, options.Find().SetBatchSize(1000).
		SetProjection(bson.D{{Key: "number", Value: 1}, {Key: "client_id", Value: 1}}))
	if err != nil {
		return 0, fmt.Errorf("upgrade ticket client index: read tickets: %w", err)
	}
	defer cur.Close(ctx)
	by := map[string][]int64{}
	for cur.Next(ctx) {
		var t struct {
			Number   int64  `bson:"number"`
			ClientID string `bson:"client_id"`
		}
		if err := cur.Decode(&t); err != nil {
			return 0, fmt.Errorf("upgrade ticket client index: decode: %w", err)
		}
		if t.ClientID != "" {
			by[t.ClientID] = append(by[t.ClientID], t.Number)
		}
	}
	if err := cur.Err(); err != nil {
		return 0, fmt.Errorf("upgrade ticket client index: read tickets: %w", err)
	}
	for id, nums := range by {
		if err := s.addClientTickets(ctx, id, nums); err != nil {
			return clients, fmt.Errorf("upgrade ticket client index: %w", err)
		}
		clients++
	}
	if _, err := s.c.counters.UpdateOne(ctx, bson.D{{Key: "_id", Value: clientIndexFlag}},
		bson.D{{Key: "$set", Value: bson.D{{Key: "seq", Value: 1}}}}, options.UpdateOne().SetUpsert(true)); err != nil {
		return clients, fmt.Errorf("upgrade ticket client index: set the flag: %w", err)
	}
	s.ci.set.Store(true)
	s.log.Info("ticket client index upgraded", "clients", clients)
	return clients, nil
}

// clientIndexComplete reports the flag, reading it by _id until this
// process has seen it set.
func (s *Service) clientIndexComplete(ctx context.Context) (bool, error) {
	if s.ci.set.Load() {
		return true, nil
	}
	err := s.c.counters.FindOne(ctx, bson.D{{Key: "_id", Value: clientIndexFlag}}).Err()
	if errors.Is(err, mongo.ErrNoDocuments) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("read the ticket client index flag: %w", err)
	}
	s.ci.set.Store(true)
	return true, nil
}

// addClientTickets adds nums to clientID's index entry and marks it
// complete.
func (s *Service) addClientTickets(ctx context.Context, clientID string, nums []int64) error {
	_, err := s.opts.DB.Collection(CollClientIndex).UpdateOne(ctx, bson.D{{Key: "_id", Value: clientID}},
		bson.D{{Key: "$addToSet", Value: bson.D{{Key: "tickets", Value: bson.D{{Key: "$each", Value: nums}}}}},
			{Key: "$set", Value: bson.D{{Key: "complete", Value: true}}}}, options.UpdateOne().SetUpsert(true))
	if err != nil {
		return fmt.Errorf("index the tickets of %s: %w", clientID, err)
	}
	return nil
}
