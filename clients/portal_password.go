package clients

import (
	"context"
	"crypto/subtle"
	"errors"
	"time"
	"unicode/utf8"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
)

// The password a client chose in the portal lives in the client's
// client_access document beside the set-password token (fields
// password_salt, password_hash, password_set_at): an argon2id hash, like
// the token's. Regenerating access (Password, Welcome) replaces the token
// and leaves the chosen password alone until the new link is used.

// Password length limits for SetPasswordWithToken.
const (
	MinPasswordLen = 10
	MaxPasswordLen = 128
)

// ErrPasswordLength says a chosen password is too short or too long.
var ErrPasswordLength = errors.New("password must be 10 to 128 characters long")

type portalPassword struct {
	accessDoc     `bson:",inline"`
	PasswordSalt  []byte     `bson:"password_salt,omitempty"`
	PasswordHash  []byte     `bson:"password_hash,omitempty"`
	PasswordSetAt *time.Time `bson:"password_set_at,omitempty"`
}

// dummySalt makes a check of an unknown login cost what a real one does.
var dummySalt = []byte("turno-no-such-client")

// LoginClient returns the ID of the active client whose principal address
// (login) is addr, or ErrAccessDenied: an unknown address, a client that
// no longer names it, or an inactive client look the same.
func (r *Registry) LoginClient(ctx context.Context, addr string) (string, error) {
	addr = NormalizeAddress(addr)
	if addr == "" {
		return "", ErrAccessDenied
	}
	var l loginDoc
	err := r.logins.FindOne(ctx, bson.D{{Key: "_id", Value: addr}}).Decode(&l)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return "", ErrAccessDenied
	}
	if err != nil {
		return "", dbErr("read login "+addr, err)
	}
	c, err := r.Get(ctx, l.ClientID)
	var nf *NotFoundError
	if errors.As(err, &nf) {
		return "", ErrAccessDenied
	}
	if err != nil {
		return "", err
	}
	if c.Email != addr || !c.Active {
		return "", ErrAccessDenied
	}
	return c.ID, nil
}

// CheckSetPasswordToken reports whether a set-password link's token is
// still good, without using it up (a mail scanner opening the link must
// not spend it): nil or ErrAccessDenied.
func (r *Registry) CheckSetPasswordToken(ctx context.Context, clientID, token string) error {
	if clientID == "" || token == "" {
		return ErrAccessDenied
	}
	_, err := r.checkSecret(ctx, clientID, token, "link")
	return err
}

// SetPasswordWithToken spends a set-password link's token and stores the
// client's chosen password (its argon2id hash) in one conditional update
// by _id: the token works once, and a password too short or too long
// changes nothing.
func (r *Registry) SetPasswordWithToken(ctx context.Context, clientID, token, password string) error {
	if n := utf8.RuneCountInString(password); n < MinPasswordLen || n > MaxPasswordLen {
		return ErrPasswordLength
	}
	if clientID == "" || token == "" {
		return ErrAccessDenied
	}
	d, err := r.checkSecret(ctx, clientID, token, "link")
	if err != nil {
		return err
	}
	now := r.clock.Now().UTC()
	salt := []byte(randomString(12))
	res, err := r.accessColl.UpdateOne(ctx,
		bson.D{{Key: "_id", Value: clientID}, {Key: "generation", Value: d.Generation}, {Key: "used_at", Value: bson.D{{Key: "$exists", Value: false}}}},
		bson.D{{Key: "$set", Value: bson.D{{Key: "used_at", Value: now}, {Key: "password_salt", Value: salt},
			{Key: "password_hash", Value: hashSecret(password, salt)}, {Key: "password_set_at", Value: now}}}})
	if err != nil {
		return dbErr("store password of "+clientID, err)
	}
	if res.ModifiedCount == 0 {
		return ErrAccessDenied
	}
	r.log.Info("portal password set", "client", clientID)
	return nil
}

// VerifyPassword checks a portal login's password: the one the client
// chose, or in access mode "password" the generated one while it is
// valid. nil or ErrAccessDenied; an unknown client costs the same hash.
func (r *Registry) VerifyPassword(ctx context.Context, clientID, password string) error {
	var d portalPassword
	err := r.accessColl.FindOne(ctx, bson.D{{Key: "_id", Value: clientID}}).Decode(&d)
	if errors.Is(err, mongo.ErrNoDocuments) || clientID == "" {
		_ = hashSecret(password, dummySalt)
		return ErrAccessDenied
	}
	if err != nil {
		return dbErr("read access of "+clientID, err)
	}
	if len(d.PasswordHash) > 0 && subtle.ConstantTimeCompare(hashSecret(password, d.PasswordSalt), d.PasswordHash) == 1 {
		return nil
	}
	if d.Mode == "password" {
		return r.CheckPassword(ctx, clientID, password)
	}
	if len(d.PasswordHash) == 0 {
		_ = hashSecret(password, dummySalt)
	}
	return ErrAccessDenied
}
