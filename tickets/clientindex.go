package tickets

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// CollClientIndex lists each client's tickets, so that a customer's ticket
// list (the portal) reads one document by _id and then each ticket by _id
// instead of filtering the whole tickets collection on client_id (a scan
// on the embedded store).
//
//	ticket_client_index {_id: client ID, tickets: [numbers], complete: bool}
//
// It is a superset of the truth, like the clients' address index: a number
// is added (an upsert by _id with $addToSet) before the ticket naming the
// client is written (createTicket, Link), and readers check each ticket's
// client_id, so a crash between the two, or a number left behind, shows
// nothing that is not the client's. complete says every ticket of the
// client from before the index existed was added: the first read of a
// client without it runs the one filtered query (a scan, once per client)
// and sets it, unless UpgradeClientIndex has indexed every client at
// once (clientindex_upgrade.go), which the daemon runs at start.
const CollClientIndex = "ticket_client_index"

type clientIndexDoc struct {
	ID       string  `bson:"_id"`
	Tickets  []int64 `bson:"tickets"`
	Complete bool    `bson:"complete"`
}

// indexClientTicket records ticket n under its client (nothing without one).
func (s *Service) indexClientTicket(ctx context.Context, clientID string, n int64) error {
	if clientID == "" {
		return nil
	}
	_, err := s.opts.DB.Collection(CollClientIndex).UpdateOne(ctx, bson.D{{Key: "_id", Value: clientID}},
		bson.D{{Key: "$addToSet", Value: bson.D{{Key: "tickets", Value: n}}}}, options.UpdateOne().SetUpsert(true))
	if err != nil {
		return failed(fmt.Sprintf("index ticket %d under client %s", n, clientID), err)
	}
	return nil
}

// clientTicketNumbers are the numbers indexed under clientID, newest first,
// backfilling the index once for a client indexed before it existed.
func (s *Service) clientTicketNumbers(ctx context.Context, clientID string) ([]int64, error) {
	coll := s.opts.DB.Collection(CollClientIndex)
	var d clientIndexDoc
	err := coll.FindOne(ctx, bson.D{{Key: "_id", Value: clientID}}).Decode(&d)
	if err != nil && !errors.Is(err, mongo.ErrNoDocuments) {
		return nil, fmt.Errorf("read ticket index of %s: %w", clientID, err)
	}
	if !d.Complete {
		done, err := s.clientIndexComplete(ctx)
		if err != nil {
			return nil, err
		}
		if !done {
			if d.Tickets, err = s.backfillClientIndex(ctx, clientID, d.Tickets); err != nil {
				return nil, err
			}
		}
	}
	slices.Sort(d.Tickets)
	slices.Reverse(d.Tickets)
	return slices.Compact(d.Tickets), nil
}

// backfillClientIndex indexes clientID's tickets from before the index
// existed (the one filtered query: a scan) and returns have with them,
// for a store UpgradeClientIndex has not yet run on.
func (s *Service) backfillClientIndex(ctx context.Context, clientID string, have []int64) ([]int64, error) {
	cur, err := s.c.tickets.Find(ctx, bson.D{{Key: "client_id", Value: clientID}},
		options.Find().SetProjection(bson.D{{Key: "number", Value: 1}}))
	if err != nil {
		return nil, fmt.Errorf("backfill ticket index of %s: %w", clientID, err)
	}
	var ts []struct {
		Number int64 `bson:"number"`
	}
	if err := cur.All(ctx, &ts); err != nil {
		return nil, fmt.Errorf("backfill ticket index of %s: %w", clientID, err)
	}
	nums := make([]int64, 0, len(ts))
	for _, t := range ts {
		nums = append(nums, t.Number)
	}
	if err := s.addClientTickets(ctx, clientID, nums); err != nil {
		return nil, fmt.Errorf("backfill: %w", err)
	}
	for _, n := range nums {
		if !slices.Contains(have, n) {
			have = append(have, n)
		}
	}
	return have, nil
}
