package clients

import (
	"context"
	"errors"
	"slices"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
)

// addressDoc is the address index: _id is the normalised address, M the
// clients it is a contact of. It is a superset of the truth: entries are
// added before the client document names the address and removed after it
// stops naming it, so a crash leaves at most an extra entry, which Lookup
// checks against the client document and ignores.
type addressDoc struct {
	Address string       `bson:"_id"`
	M       []addrMember `bson:"m"`
}

type addrMember struct {
	ClientID string `bson:"c"`
	Role     Role   `bson:"r"`
}

type addrRole struct {
	addr string
	role Role
}

func (d *clientDoc) addrRoles() map[addrRole]bool {
	out := map[addrRole]bool{}
	if d.Email != "" {
		out[addrRole{d.Email, RolePrincipal}] = true
	}
	for _, c := range d.Contacts {
		out[addrRole{c.Address, c.Role}] = true
	}
	return out
}

// indexAdd records that addr is a contact of client id with role. It
// updates by _id and inserts only when the address is new: an upsert is a
// scan on the embedded store.
func (r *Registry) indexAdd(ctx context.Context, addr, id string, role Role) error {
	entry := addrMember{ClientID: id, Role: role}
	for range 3 {
		res, err := r.addresses.UpdateOne(ctx, bson.D{{Key: "_id", Value: addr}},
			bson.D{{Key: "$addToSet", Value: bson.D{{Key: "m", Value: entry}}}})
		if err != nil {
			return dbErr("index address "+addr, err)
		}
		if res.MatchedCount == 1 {
			return nil
		}
		_, err = r.addresses.InsertOne(ctx, addressDoc{Address: addr, M: []addrMember{entry}})
		if err == nil {
			return nil
		}
		if !mongo.IsDuplicateKeyError(err) {
			return dbErr("index address "+addr, err)
		}
	}
	return &TransientError{Err: errors.New("index address " + addr + ": contended, try again")}
}

// indexRemove removes the entry (the document stays, possibly empty).
func (r *Registry) indexRemove(ctx context.Context, addr, id string, role Role) error {
	_, err := r.addresses.UpdateOne(ctx, bson.D{{Key: "_id", Value: addr}},
		bson.D{{Key: "$pull", Value: bson.D{{Key: "m", Value: addrMember{ClientID: id, Role: role}}}}})
	return dbErr("unindex address "+addr, err)
}

// Lookup returns the clients addr is a contact of, ordered by role rank
// (principal, billing, technical), then client age (oldest first), then ID:
// the first is the ticket owner. An unknown address returns no memberships
// and no error. It costs one _id read for the address and one per client.
func (r *Registry) Lookup(ctx context.Context, addr string) ([]Membership, error) {
	addr = NormalizeAddress(addr)
	var a addressDoc
	err := r.addresses.FindOne(ctx, bson.D{{Key: "_id", Value: addr}}).Decode(&a)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return nil, nil
	}
	if err != nil {
		return nil, dbErr("look up "+addr, err)
	}
	var out []Membership
	docs := map[string]*clientDoc{}
	for _, m := range a.M {
		d, ok := docs[m.ClientID]
		if !ok {
			d, err = r.load(ctx, m.ClientID)
			var nf *NotFoundError
			if errors.As(err, &nf) {
				docs[m.ClientID] = nil
				continue
			}
			if err != nil {
				return nil, err
			}
			docs[m.ClientID] = d
		}
		if d == nil || !d.addrRoles()[addrRole{addr, m.Role}] {
			continue // an entry left by an unfinished write
		}
		out = append(out, Membership{ClientID: d.ID, Role: m.Role, ClientActive: d.Active, SupportTier: d.SupportTier,
			ClientCreatedAt: d.CreatedAt, Lang: d.Lang})
	}
	slices.SortFunc(out, compareMembership)
	return slices.CompactFunc(out, func(a, b Membership) bool { return a.ClientID == b.ClientID && a.Role == b.Role }), nil
}

func compareMembership(a, b Membership) int {
	if ra, rb := roleRank(a.Role), roleRank(b.Role); ra != rb {
		return ra - rb
	}
	if c := a.ClientCreatedAt.Compare(b.ClientCreatedAt); c != 0 {
		return c
	}
	switch {
	case a.ClientID < b.ClientID:
		return -1
	case a.ClientID > b.ClientID:
		return 1
	}
	return 0
}
