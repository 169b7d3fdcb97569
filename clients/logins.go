package clients

import (
	"context"
	"errors"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
)

// loginDoc reserves an address as one client's login: _id is the
// normalised address, so a second claim fails with E11000 on any MongoDB.
type loginDoc struct {
	Address   string    `bson:"_id"`
	ClientID  string    `bson:"client_id"`
	ClaimedAt time.Time `bson:"claimed_at"`
}

// claimLogin reserves addr for client id. Claiming an address the client
// already holds succeeds (a retried write). A claim is written before the
// client document names the address; if the writer crashed in between, the
// claim points at a client whose Email is not addr. Such a claim is honoured
// for the grace period (the registration may still be running), then taken
// over by a compare-and-swap on the old holder.
func (r *Registry) claimLogin(ctx context.Context, addr, id string) error {
	for range 3 {
		now := r.clock.Now()
		_, err := r.logins.InsertOne(ctx, loginDoc{Address: addr, ClientID: id, ClaimedAt: now})
		if err == nil {
			return nil
		}
		if !mongo.IsDuplicateKeyError(err) {
			return dbErr("claim login "+addr, err)
		}
		var held loginDoc
		err = r.logins.FindOne(ctx, bson.D{{Key: "_id", Value: addr}}).Decode(&held)
		if errors.Is(err, mongo.ErrNoDocuments) {
			continue // released meanwhile
		}
		if err != nil {
			return dbErr("read login "+addr, err)
		}
		if held.ClientID == id {
			return nil
		}
		owner, err := r.load(ctx, held.ClientID)
		var nf *NotFoundError
		switch {
		case err == nil && owner.Email == addr:
			return &PrincipalTakenError{Address: addr, ClientID: held.ClientID}
		case err != nil && !errors.As(err, &nf):
			return err
		case now.Sub(held.ClaimedAt) < r.grace:
			return &PrincipalTakenError{Address: addr, ClientID: held.ClientID, InProgress: true}
		}
		res, err := r.logins.UpdateOne(ctx,
			bson.D{{Key: "_id", Value: addr}, {Key: "client_id", Value: held.ClientID}, {Key: "claimed_at", Value: held.ClaimedAt}},
			bson.D{{Key: "$set", Value: bson.D{{Key: "client_id", Value: id}, {Key: "claimed_at", Value: now}}}})
		if err != nil {
			return dbErr("take over stale login "+addr, err)
		}
		if res.MatchedCount == 1 {
			r.log.Info("took over a stale login claim", "address", addr, "client", id, "stale_client", held.ClientID)
			return nil
		}
	}
	return &TransientError{Err: errors.New("claim login " + addr + ": contended, try again")}
}

// releaseLogin frees addr if client id holds it.
func (r *Registry) releaseLogin(ctx context.Context, addr, id string) error {
	_, err := r.logins.DeleteOne(ctx, bson.D{{Key: "_id", Value: addr}, {Key: "client_id", Value: id}})
	return dbErr("release login "+addr, err)
}
