package agents

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"turno/clients"
)

// Agents log in to the console (package console) with their address and
// a password. The password is hashed as the portal's are (argon2id,
// clients.HashPassword): one implementation for both.
//
// # Collection
//
//   - agent_passwords: _id is the agent's primary address → salt, hash,
//     set_at. Kept apart from the agents document so that no listing of
//     agents (API, CLI) ever carries a hash. Written by one replace by
//     _id; read by _id at login.

// CollPasswords holds the agents' console password hashes.
const CollPasswords = "agent_passwords"

// Password length limits: the portal's.
const (
	MinPasswordLen = clients.MinPasswordLen
	MaxPasswordLen = clients.MaxPasswordLen
)

// ErrBadLogin is every failed login alike: unknown address, deactivated
// agent, no password set, or a wrong one.
var ErrBadLogin = errors.New("wrong address or password")

type passwordDoc struct {
	Agent string    `bson:"_id"`
	Salt  []byte    `bson:"salt"`
	Hash  []byte    `bson:"hash"`
	SetAt time.Time `bson:"set_at"`
}

// SetPassword stores a new console password for the agent with that
// address (primary or alternate). A password of the wrong length or an
// unknown agent changes nothing.
func (s *Service) SetPassword(ctx context.Context, email, password string) (*Agent, error) {
	if n := utf8.RuneCountInString(password); n < MinPasswordLen || n > MaxPasswordLen {
		return nil, &InputError{Field: "password", Msg: fmt.Sprintf("must be %d to %d characters long", MinPasswordLen, MaxPasswordLen)}
	}
	a, err := s.Get(ctx, email)
	if err != nil {
		return nil, err
	}
	salt := clients.NewPasswordSalt()
	doc := passwordDoc{Agent: a.Email, Salt: salt, Hash: clients.HashPassword(password, salt), SetAt: s.now()}
	_, err = s.opts.DB.Collection(CollPasswords).ReplaceOne(ctx, bson.D{{Key: "_id", Value: a.Email}}, doc,
		options.Replace().SetUpsert(true))
	if err != nil {
		return nil, fmt.Errorf("store password of %s: %w", a.Email, err)
	}
	s.log().Info("agents: console password set", "agent", a.Email)
	return a, nil
}

// PasswordSetAt is when the agent's password was last set (zero: never);
// a console session older than it is refused.
func (s *Service) PasswordSetAt(ctx context.Context, primary string) (time.Time, error) {
	d, err := s.passwordOf(ctx, primary)
	if err != nil || d == nil {
		return time.Time{}, err
	}
	return d.SetAt, nil
}

func (s *Service) passwordOf(ctx context.Context, primary string) (*passwordDoc, error) {
	var d passwordDoc
	err := s.opts.DB.Collection(CollPasswords).FindOne(ctx, bson.D{{Key: "_id", Value: primary}}).Decode(&d)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read password of %s: %w", primary, err)
	}
	return &d, nil
}

// Login checks an agent's address (primary or alternate) and password and
// returns the active agent; ErrBadLogin for every kind of failure, each
// costing one hash.
func (s *Service) Login(ctx context.Context, email, password string) (*Agent, error) {
	if len(password) > MaxPasswordLen*4 {
		return nil, ErrBadLogin
	}
	a, err := s.Get(ctx, email)
	if err != nil && !errors.Is(err, ErrNotFound) {
		return nil, err
	}
	var d *passwordDoc
	if a != nil && a.Active {
		if d, err = s.passwordOf(ctx, a.Email); err != nil {
			return nil, err
		}
	}
	if d == nil {
		clients.PasswordMatches(password, nil, nil) // the cost of a real check
		return nil, ErrBadLogin
	}
	if !clients.PasswordMatches(password, d.Salt, d.Hash) {
		return nil, ErrBadLogin
	}
	return a, nil
}

// NewPassword is a random password for an agent (the dev agent's, or one
// an admin hands over): 20 characters of base64url.
func NewPassword() string {
	b := make([]byte, 15)
	_, _ = rand.Read(b) // never fails (Go 1.24+)
	return strings.TrimRight(base64.RawURLEncoding.EncodeToString(b), "=")
}
