package agents

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
)

// TokenPrefix starts every printed token, so a leaked one is recognisable
// (secret scanners) and a mistyped argument is told from a token.
const TokenPrefix = "turno_"

// DevLabel is the label of the development agent's tokens (EnsureDev).
const DevLabel = "dev"

// ErrNoToken: no token has that id or prefix.
var ErrNoToken = errors.New("no such token")

// minPrefix is the shortest id prefix RevokeToken accepts.
const minPrefix = 8

// usedEvery is how often a token's last_used is written at most: a busy
// client does not write on every request.
const usedEvery = time.Minute

// tokenLen is the printed length: the prefix and 32 bytes in base64url.
var tokenLen = len(TokenPrefix) + base64.RawURLEncoding.EncodedLen(32)

// TokenID is the stored id of a printed token: the hex SHA-256 of it.
func TokenID(token string) string {
	h := sha256.Sum256([]byte(token))
	return hex.EncodeToString(h[:])
}

func newToken() (string, error) {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("token: %w", err)
	}
	return TokenPrefix + base64.RawURLEncoding.EncodeToString(b[:]), nil
}

func (s *Service) tokens() *mongo.Collection { return s.opts.DB.Collection(CollTokens) }

// CreateToken makes a new token acting as the agent; the token is
// returned once and stored only as its hash.
func (s *Service) CreateToken(ctx context.Context, email, label string) (string, Token, error) {
	a, err := s.Get(ctx, email)
	if err != nil {
		return "", Token{}, err
	}
	if !a.Active {
		return "", Token{}, badInput("email", "%s is deactivated", a.Email)
	}
	return s.insertToken(ctx, Token{Agent: a.Email, Scope: ScopeAgent, Label: label})
}

// CreateGatewayToken makes a token that may only record payments.
func (s *Service) CreateGatewayToken(ctx context.Context, label string) (string, Token, error) {
	return s.insertToken(ctx, Token{Scope: ScopeGateway, Label: label})
}

// ScopePortal tokens act for one client (Token.Client) on
// /api/v1/portal and nowhere else.
const ScopePortal = "portal"

// CreatePortalToken makes a token acting for the client clientID on the
// portal routes of the API only. The caller checks the client exists.
func (s *Service) CreatePortalToken(ctx context.Context, clientID, label string) (string, Token, error) {
	clientID = strings.TrimSpace(clientID)
	if clientID == "" || len(clientID) > 200 {
		return "", Token{}, badInput("client", "a portal token needs a client ID")
	}
	return s.insertToken(ctx, Token{Client: clientID, Scope: ScopePortal, Label: label})
}

// AuthenticatePortal returns the client a portal token acts for, recording
// its use; ErrBadToken for any other token.
func (s *Service) AuthenticatePortal(ctx context.Context, token string) (string, error) {
	t, err := s.lookup(ctx, token, ScopePortal)
	if err != nil {
		return "", err
	}
	s.used(ctx, t)
	return t.Client, nil
}

func (s *Service) insertToken(ctx context.Context, t Token) (string, Token, error) {
	if t.Label != "" {
		var err error
		if t.Label, err = plainText("label", t.Label, maxLabel); err != nil {
			return "", Token{}, err
		}
	}
	tok, err := newToken()
	if err != nil {
		return "", Token{}, err
	}
	t.ID = TokenID(tok)
	t.CreatedAt = s.now()
	if _, err := s.tokens().InsertOne(ctx, t); err != nil {
		return "", Token{}, fmt.Errorf("store token: %w", err)
	}
	s.log().Info("agents: token created", "id", t.ID[:12], "agent", t.Agent, "client", t.Client, "scope", t.Scope, "label", t.Label)
	return tok, t, nil
}

// Tokens lists an agent's tokens ("" lists gateway tokens).
func (s *Service) Tokens(ctx context.Context, email string) ([]Token, error) {
	filter := bson.D{{Key: "scope", Value: ScopeGateway}}
	if email != "" {
		a, err := s.Get(ctx, email)
		if err != nil {
			return nil, err
		}
		filter = bson.D{{Key: "agent", Value: a.Email}}
	}
	return s.findTokens(ctx, filter)
}

// AllTokens lists every token, agents' and gateway's (an admin listing:
// it reads the whole collection).
func (s *Service) AllTokens(ctx context.Context) ([]Token, error) {
	return s.findTokens(ctx, bson.D{})
}

func (s *Service) findTokens(ctx context.Context, filter bson.D) ([]Token, error) {
	cur, err := s.tokens().Find(ctx, filter)
	if err != nil {
		return nil, fmt.Errorf("list tokens: %w", err)
	}
	var out []Token
	if err := cur.All(ctx, &out); err != nil {
		return nil, fmt.Errorf("list tokens: %w", err)
	}
	slices.SortFunc(out, func(a, b Token) int {
		if c := a.CreatedAt.Compare(b.CreatedAt); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
	return out, nil
}

// RevokeToken revokes the token whose id (or a unique prefix of it, at
// least 8 characters) is given.
func (s *Service) RevokeToken(ctx context.Context, id string) error {
	id = strings.ToLower(strings.TrimSpace(id))
	if len(id) < minPrefix || len(id) > sha256.Size*2 || strings.Trim(id, "0123456789abcdef") != "" {
		return badInput("id", "%q is not a token id: give the id or at least its first %d hex characters, as token list shows", id, minPrefix)
	}
	if len(id) < sha256.Size*2 {
		all, err := s.AllTokens(ctx)
		if err != nil {
			return err
		}
		var match []string
		for _, t := range all {
			if strings.HasPrefix(t.ID, id) {
				match = append(match, t.ID)
			}
		}
		switch len(match) {
		case 0:
			return fmt.Errorf("%w: %s", ErrNoToken, id)
		case 1:
			id = match[0]
		default:
			return badInput("id", "%s is the start of %d token ids: give more of it", id, len(match))
		}
	}
	res, err := s.tokens().UpdateOne(ctx, bson.D{{Key: "_id", Value: id}, {Key: "revoked", Value: bson.D{{Key: "$exists", Value: false}}}},
		bson.D{{Key: "$set", Value: bson.D{{Key: "revoked", Value: s.now()}}}})
	if err != nil {
		return fmt.Errorf("revoke token: %w", err)
	}
	if res.MatchedCount == 0 {
		n, err := s.tokens().CountDocuments(ctx, bson.D{{Key: "_id", Value: id}})
		if err != nil {
			return fmt.Errorf("revoke token: %w", err)
		}
		if n == 0 {
			return fmt.Errorf("%w: %s", ErrNoToken, id)
		}
		return nil // already revoked
	}
	s.log().Info("agents: token revoked", "id", id[:12])
	return nil
}

// lookup reads the token of a printed token, refusing a malformed,
// unknown or revoked one, or one of another scope.
func (s *Service) lookup(ctx context.Context, token, scope string) (*Token, error) {
	if len(token) != tokenLen || !strings.HasPrefix(token, TokenPrefix) {
		return nil, ErrBadToken
	}
	var t Token
	err := s.tokens().FindOne(ctx, bson.D{{Key: "_id", Value: TokenID(token)}}).Decode(&t)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return nil, ErrBadToken
	}
	if err != nil {
		return nil, fmt.Errorf("read token: %w", err)
	}
	if !t.Revoked.IsZero() || t.Scope != scope {
		return nil, ErrBadToken
	}
	return &t, nil
}

// used records that t was used now, unless that was recorded less than
// usedEvery ago: the conditional update keeps concurrent requests to one
// write a minute. A failure to record is logged, not the caller's.
func (s *Service) used(ctx context.Context, t *Token) {
	now := s.now()
	cutoff := now.Add(-usedEvery)
	if t.LastUsed.After(cutoff) {
		return
	}
	_, err := s.tokens().UpdateOne(ctx, bson.D{{Key: "_id", Value: t.ID}, {Key: "$or", Value: bson.A{
		bson.D{{Key: "last_used", Value: bson.D{{Key: "$exists", Value: false}}}},
		bson.D{{Key: "last_used", Value: bson.D{{Key: "$lte", Value: cutoff}}}},
	}}}, bson.D{{Key: "$set", Value: bson.D{{Key: "last_used", Value: now}}}})
	if err != nil {
		s.log().Warn("agents: record token use", "id", t.ID[:12], "err", err)
	}
}

// Authenticate returns the active agent a token acts as, recording its
// use; ErrBadToken otherwise (including gateway tokens).
func (s *Service) Authenticate(ctx context.Context, token string) (*Agent, error) {
	t, err := s.lookup(ctx, token, ScopeAgent)
	if err != nil {
		return nil, err
	}
	a, err := s.byPrimary(ctx, t.Agent)
	if errors.Is(err, ErrNotFound) || (err == nil && !a.Active) {
		return nil, ErrBadToken
	}
	if err != nil {
		return nil, err
	}
	s.used(ctx, t)
	return a, nil
}

// AuthenticateGateway accepts a gateway token; ErrBadToken otherwise.
func (s *Service) AuthenticateGateway(ctx context.Context, token string) error {
	t, err := s.lookup(ctx, token, ScopeGateway)
	if err != nil {
		return err
	}
	s.used(ctx, t)
	return nil
}

// EnsureDev makes sure the development agent exists (an admin) and returns
// a fresh token for it, revoking the previous development tokens.
func (s *Service) EnsureDev(ctx context.Context, email, name string) (string, error) {
	a, err := s.Get(ctx, email)
	if errors.Is(err, ErrNotFound) {
		a, err = s.Add(ctx, Agent{Email: email, Name: name, Role: RoleAdmin, Lang: "es"})
		if errors.Is(err, ErrExists) { // another process added it meanwhile
			a, err = s.Get(ctx, email)
		}
	}
	if err != nil {
		return "", fmt.Errorf("development agent: %w", err)
	}
	if !a.Active {
		if err := s.setActive(ctx, a.Email, true); err != nil {
			return "", fmt.Errorf("development agent: %w", err)
		}
	}
	tok, t, err := s.CreateToken(ctx, a.Email, DevLabel)
	if err != nil {
		return "", fmt.Errorf("development agent: %w", err)
	}
	old, err := s.Tokens(ctx, a.Email)
	if err != nil {
		return "", fmt.Errorf("development agent: %w", err)
	}
	for _, o := range old {
		if o.Label == DevLabel && o.ID != t.ID && o.Revoked.IsZero() {
			if err := s.RevokeToken(ctx, o.ID); err != nil {
				return "", fmt.Errorf("development agent: %w", err)
			}
		}
	}
	return tok, nil
}
