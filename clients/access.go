package clients

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
	"golang.org/x/crypto/argon2"

	"turno/mailout"
	"turno/templates"
)

// Mailer is the outbox as the registry uses it (mailout.Message contract):
// Enqueue is idempotent by Key.
type Mailer interface {
	Enqueue(ctx context.Context, m mailout.Message) (string, error)
}

// AccessOptions configure password and welcome mail.
type AccessOptions struct {
	// Mode "link" (default) mails a single-use set-password link; "password"
	// mails a generated password.
	Mode string
	// PortalURL is where clients sign in; links are PortalURL/set-password.
	PortalURL string
	// TokenTTL is how long the link or password works; default 24h.
	TokenTTL time.Duration
}

func (o AccessOptions) withDefaults() AccessOptions {
	if o.Mode == "" {
		o.Mode = "link"
	}
	if o.TokenTTL <= 0 {
		o.TokenTTL = 24 * time.Hour
	}
	return o
}

// accessDoc is a client's current portal access (_id = client ID). Only an
// argon2id hash of the secret is kept; Generation counts regenerations and
// makes each one's idempotency key.
type accessDoc struct {
	ClientID   string     `bson:"_id"`
	Mode       string     `bson:"mode"`
	Salt       []byte     `bson:"salt"`
	Hash       []byte     `bson:"hash"`
	ExpiresAt  time.Time  `bson:"expires_at"`
	UsedAt     *time.Time `bson:"used_at,omitempty"`
	Generation int64      `bson:"generation"`
	WelcomeAt  *time.Time `bson:"welcome_at,omitempty"`
	// RevokedAt is when a cancelled access mail revoked the secret (used_at
	// is set then too, so it no longer works).
	RevokedAt *time.Time `bson:"revoked_at,omitempty"`
}

// ErrAccessDenied is returned for a wrong, used or expired secret.
var ErrAccessDenied = errors.New("access denied: wrong, used or expired secret")

// ErrNoMailer says the registry was built without an outbox.
var ErrNoMailer = errors.New("no outbox configured for access mail")

func hashSecret(secret string, salt []byte) []byte {
	return argon2.IDKey([]byte(secret), salt, 1, 64*1024, 2, 32)
}

func randomString(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b) // crypto/rand.Read never fails (Go 1.24+)
	return base64.RawURLEncoding.EncodeToString(b)
}

// Password regenerates the client's portal access and mails it to the
// principal address only (template password_reset). It returns the outbox
// entry's id. The secret exists only in that (sensitive) outbox entry; the
// registry keeps its hash.
func (r *Registry) Password(ctx context.Context, clientID, by string) (string, error) {
	return r.sendAccess(ctx, clientID, by, false)
}

// Welcome mails a new client's first access (template welcome), once: a
// client that was welcomed already is not mailed again and "" is returned.
func (r *Registry) Welcome(ctx context.Context, clientID, by string) (string, error) {
	return r.sendAccess(ctx, clientID, by, true)
}

// sendAccess: (1) bump the generation and store the new hash, (2) enqueue
// with key welcome:<client> or password:<client>:<generation>, (3) for a
// welcome, mark it done. A crash after (1) leaves a hash nobody knows the
// secret of: harmless, the operator reruns. A crash between (2) and (3)
// makes a rerun store a new hash while the outbox keeps the first mail (same
// key), whose secret then no longer works; `turno clients password` fixes
// that. Nothing secret is logged.
func (r *Registry) sendAccess(ctx context.Context, clientID, by string, welcome bool) (string, error) {
	if r.mailer == nil {
		return "", ErrNoMailer
	}
	c, err := r.Get(ctx, clientID)
	if err != nil {
		return "", err
	}
	if !c.Mail.Account {
		return "", fmt.Errorf("client %s has account mail switched off (mail.account)", clientID)
	}
	if welcome {
		var cur accessDoc
		err := r.accessColl.FindOne(ctx, bson.D{{Key: "_id", Value: clientID}}).Decode(&cur)
		if err == nil && cur.WelcomeAt != nil {
			return "", nil
		}
		if err != nil && !errors.Is(err, mongo.ErrNoDocuments) {
			return "", dbErr("read access of "+clientID, err)
		}
	}
	now := r.clock.Now().UTC()
	var secret string
	acc := templates.Access{Login: c.Email, ExpiresAt: now.Add(r.access.TokenTTL), PortalURL: r.access.PortalURL}
	if r.access.Mode == "password" {
		secret = randomString(12) // 16 characters, 96 bits
		acc.Password = secret
	} else {
		secret = randomString(32)
		acc.Link = setPasswordLink(r.access.PortalURL, clientID, secret)
	}
	salt := []byte(randomString(12))
	var saved accessDoc
	err = r.accessColl.FindOneAndUpdate(ctx, bson.D{{Key: "_id", Value: clientID}},
		bson.D{
			{Key: "$set", Value: bson.D{{Key: "mode", Value: r.access.Mode}, {Key: "salt", Value: salt},
				{Key: "hash", Value: hashSecret(secret, salt)}, {Key: "expires_at", Value: acc.ExpiresAt}}},
			{Key: "$unset", Value: bson.D{{Key: "used_at", Value: ""}}},
			{Key: "$inc", Value: bson.D{{Key: "generation", Value: 1}}},
		},
		options.FindOneAndUpdate().SetUpsert(true).SetReturnDocument(options.After)).Decode(&saved)
	if err != nil {
		return "", dbErr("store access hash of "+clientID, err)
	}
	m := mailout.Message{
		Template: "password_reset", Lang: c.Lang, To: []string{c.Email},
		Priority: mailout.PriorityAccount, Sensitive: true, AutoSubmitted: "auto-generated",
		ClientID: clientID, Kind: "account",
	}
	if welcome {
		m.Key, m.Template, m.Data = "welcome:"+clientID, "welcome", templates.Welcome{ClientName: c.Name, Access: acc}
	} else {
		m.Key, m.Data = fmt.Sprintf("password:%s:%d", clientID, saved.Generation), templates.PasswordReset{ClientName: c.Name, Access: acc}
	}
	id, err := r.mailer.Enqueue(ctx, m)
	if err != nil {
		return "", fmt.Errorf("enqueue %s mail for %s: %w", m.Template, clientID, err)
	}
	if welcome {
		if _, err := r.accessColl.UpdateOne(ctx, bson.D{{Key: "_id", Value: clientID}},
			bson.D{{Key: "$set", Value: bson.D{{Key: "welcome_at", Value: now}}}}); err != nil {
			return id, dbErr("mark welcome sent for "+clientID, err)
		}
	}
	r.log.Info("access mail enqueued", "client", clientID, "template", m.Template, "outbox_id", id, "mode", r.access.Mode, "by", by)
	return id, nil
}

func setPasswordLink(portal, clientID, token string) string {
	q := url.Values{"client": {clientID}, "token": {token}}
	return strings.TrimRight(portal, "/") + "/set-password?" + q.Encode()
}

// RedeemToken checks a set-password link's token and consumes it: it works
// once, before it expires. The portal calls it before letting the client
// choose a password.
func (r *Registry) RedeemToken(ctx context.Context, clientID, token string) error {
	d, err := r.checkSecret(ctx, clientID, token, "link")
	if err != nil {
		return err
	}
	now := r.clock.Now().UTC()
	res, err := r.accessColl.UpdateOne(ctx,
		bson.D{{Key: "_id", Value: clientID}, {Key: "generation", Value: d.Generation}, {Key: "used_at", Value: bson.D{{Key: "$exists", Value: false}}}},
		bson.D{{Key: "$set", Value: bson.D{{Key: "used_at", Value: now}}}})
	if err != nil {
		return dbErr("consume token of "+clientID, err)
	}
	if res.ModifiedCount == 0 {
		return ErrAccessDenied
	}
	return nil
}

// RevokeSecret is the outbox's Revoker (mailout.Cancel): an operator
// cancelled the access mail e before it was sent, so the set-password
// token or generated password it carried must stop working (a contact's
// link, naming its access id, is revoked on the contact's access). It is revoked
// only if it is still the client's current secret (a later regeneration
// already replaced it otherwise, and that one is left alone), by a write
// conditional on the generation that was read. An entry that is not an
// access mail, or whose data is gone, changes nothing.
func (r *Registry) RevokeSecret(ctx context.Context, e *mailout.Entry) error {
	if e == nil || e.Kind != "account" || e.ClientID == "" || e.Data == "" {
		return nil
	}
	var acc templates.Access
	if err := json.Unmarshal([]byte(e.Data), &acc); err != nil {
		return fmt.Errorf("revoke the secret of %s: read its data: %w", e.ID, err)
	}
	secret, mode := acc.Password, "password"
	if acc.Link != "" {
		u, err := url.Parse(acc.Link)
		if err != nil {
			return fmt.Errorf("revoke the secret of %s: read its link: %w", e.ID, err)
		}
		secret, mode = u.Query().Get("token"), "link"
		if contact := u.Query().Get("contact"); contact != "" {
			return r.revokeContactSecret(ctx, e, contact, secret)
		}
	}
	if secret == "" {
		return nil
	}
	var d accessDoc
	err := r.accessColl.FindOne(ctx, bson.D{{Key: "_id", Value: e.ClientID}}).Decode(&d)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return nil
	}
	if err != nil {
		return dbErr("read access of "+e.ClientID, err)
	}
	if d.Mode != mode || d.UsedAt != nil || subtle.ConstantTimeCompare(hashSecret(secret, d.Salt), d.Hash) != 1 {
		return nil // not the current secret, or already used up
	}
	now := r.clock.Now().UTC()
	if _, err := r.accessColl.UpdateOne(ctx, bson.D{{Key: "_id", Value: e.ClientID}, {Key: "generation", Value: d.Generation}},
		bson.D{{Key: "$set", Value: bson.D{{Key: "used_at", Value: now}, {Key: "revoked_at", Value: now}}}}); err != nil {
		return dbErr("revoke access of "+e.ClientID, err)
	}
	r.log.Info("access secret revoked: its mail was cancelled", "client", e.ClientID, "outbox_id", e.ID, "generation", d.Generation)
	return nil
}

// CheckPassword checks a generated password (mode "password").
func (r *Registry) CheckPassword(ctx context.Context, clientID, password string) error {
	_, err := r.checkSecret(ctx, clientID, password, "password")
	return err
}

func (r *Registry) checkSecret(ctx context.Context, clientID, secret, mode string) (*accessDoc, error) {
	var d accessDoc
	err := r.accessColl.FindOne(ctx, bson.D{{Key: "_id", Value: clientID}}).Decode(&d)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return nil, ErrAccessDenied
	}
	if err != nil {
		return nil, dbErr("read access of "+clientID, err)
	}
	if d.Mode != mode || d.UsedAt != nil || !r.clock.Now().Before(d.ExpiresAt) ||
		subtle.ConstantTimeCompare(hashSecret(secret, d.Salt), d.Hash) != 1 {
		return nil, ErrAccessDenied
	}
	return &d, nil
}
