package agents

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
)

// addressClaim is one document of agent_addresses: the address (the _id)
// belongs to the agent whose primary address is Agent.
//
// A claim is written before the agent document that lists the address, so
// a process that stops in between leaves a claim no agent lists. Such a
// claim is stale once it is older than claimGrace, and the next agent to
// want the address takes it over (a conditional update on Nonce, so two
// takers cannot both win). Inside the grace a claim no agent lists yet is
// an Add or Update under way, and is respected.
type addressClaim struct {
	Address   string    `bson:"_id"`
	Agent     string    `bson:"agent"`
	Nonce     string    `bson:"nonce"` // which Add or Update wrote it
	CreatedAt time.Time `bson:"created_at"`
}

const claimGrace = time.Minute

func newNonce() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// claim makes addrs belong to primary, in order. On any failure it
// releases the claims it made and returns ErrExists (wrapped, naming the
// address) or the store's error.
func (s *Service) claim(ctx context.Context, primary, nonce string, addrs []string) error {
	coll := s.opts.DB.Collection(CollAddresses)
	var made []string
	fail := func(err error) error {
		s.release(ctx, nonce, made)
		return err
	}
	for _, addr := range addrs {
		now := s.now()
		_, err := coll.InsertOne(ctx, addressClaim{Address: addr, Agent: primary, Nonce: nonce, CreatedAt: now})
		if err == nil {
			made = append(made, addr)
			continue
		}
		if !mongo.IsDuplicateKeyError(err) {
			return fail(fmt.Errorf("claim %s: %w", addr, err))
		}
		var old addressClaim
		if err := coll.FindOne(ctx, bson.D{{Key: "_id", Value: addr}}).Decode(&old); err != nil {
			if errors.Is(err, mongo.ErrNoDocuments) {
				return fail(fmt.Errorf("%w: %s (being changed; try again)", ErrExists, addr))
			}
			return fail(fmt.Errorf("claim %s: %w", addr, err))
		}
		owner, err := s.byPrimary(ctx, old.Agent)
		if err != nil && !errors.Is(err, ErrNotFound) {
			return fail(err)
		}
		if owner != nil && owner.has(addr) {
			return fail(fmt.Errorf("%w: %s belongs to %s", ErrExists, addr, owner.Email))
		}
		if now.Sub(old.CreatedAt) < claimGrace {
			return fail(fmt.Errorf("%w: %s is being added to %s (try again in a minute if that failed)", ErrExists, addr, old.Agent))
		}
		res, err := coll.UpdateOne(ctx, bson.D{{Key: "_id", Value: addr}, {Key: "nonce", Value: old.Nonce}},
			bson.D{{Key: "$set", Value: bson.D{{Key: "agent", Value: primary}, {Key: "nonce", Value: nonce}, {Key: "created_at", Value: now}}}})
		if err != nil {
			return fail(fmt.Errorf("claim %s: %w", addr, err))
		}
		if res.MatchedCount == 0 {
			return fail(fmt.Errorf("%w: %s (taken meanwhile)", ErrExists, addr))
		}
		s.log().Info("agents: took over a stale address claim", "address", addr, "from", old.Agent, "to", primary)
		made = append(made, addr)
	}
	return nil
}

// release deletes the claims on addrs that nonce made. Failures are
// logged: a claim left behind is stale and taken over later.
func (s *Service) release(ctx context.Context, nonce string, addrs []string) {
	for _, addr := range addrs {
		if _, err := s.opts.DB.Collection(CollAddresses).DeleteOne(ctx,
			bson.D{{Key: "_id", Value: addr}, {Key: "nonce", Value: nonce}}); err != nil {
			s.log().Warn("agents: release address claim", "address", addr, "err", err)
		}
	}
}

// releaseFrom deletes the claims on addrs held by primary (addresses an
// agent no longer lists).
func (s *Service) releaseFrom(ctx context.Context, primary string, addrs []string) {
	for _, addr := range addrs {
		if _, err := s.opts.DB.Collection(CollAddresses).DeleteOne(ctx,
			bson.D{{Key: "_id", Value: addr}, {Key: "agent", Value: primary}}); err != nil {
			s.log().Warn("agents: release address claim", "address", addr, "err", err)
		}
	}
}
