package clients

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"
	"unicode/utf8"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"turno/mailout"
	"turno/templates"
)

// Portal access for contacts. A client may give one of its technical or
// billing contacts a login of their own: the contact's address, with a
// password the contact chooses through their own set-password link. The
// session acts for the client; the contact is the writer of what they
// send. The principal address stays the client's one login and unique:
// an address that is any client's login cannot get contact access, and
// one address has contact access at one client at most.
//
// Collection client_contact_access: _id = ContactAccessID(address) (a
// hash of the normalised address, so lookups at login are by _id and a
// link names no address) → the address, the client, the set-password
// token's argon2id hash (salt, hash, expires_at, used_at, generation),
// the chosen password's (password_salt, password_hash, password_set_at),
// granted_at/by and locked_mail_until. Removing the access deletes the
// document. A document whose client no longer lists the address as a
// contact (removed through another path) grants nothing: every check
// reads the client too.

// CollContactAccess holds contacts' portal access.
const CollContactAccess = "client_contact_access"

// ErrContactAccessTaken says the address already has portal access: it is
// a client's login, or a contact with access at another client.
var ErrContactAccessTaken = errors.New("this address already signs in to the portal elsewhere")

type contactAccessDoc struct {
	ID            string     `bson:"_id"`
	Address       string     `bson:"address"`
	ClientID      string     `bson:"client_id"`
	Salt          []byte     `bson:"salt,omitempty"`
	Hash          []byte     `bson:"hash,omitempty"`
	ExpiresAt     time.Time  `bson:"expires_at"`
	UsedAt        *time.Time `bson:"used_at,omitempty"`
	Generation    int64      `bson:"generation"`
	PasswordSalt  []byte     `bson:"password_salt,omitempty"`
	PasswordHash  []byte     `bson:"password_hash,omitempty"`
	PasswordSetAt *time.Time `bson:"password_set_at,omitempty"`
	GrantedAt     time.Time  `bson:"granted_at"`
	GrantedBy     string     `bson:"granted_by,omitempty"`
	LockedMail    time.Time  `bson:"locked_mail_until,omitempty"`
}

// ContactAccessID is the _id of an address's contact access (and the
// contact= of its set-password link).
func ContactAccessID(addr string) string {
	h := sha256.Sum256([]byte("contact-access\x00" + NormalizeAddress(addr)))
	return hex.EncodeToString(h[:16])
}

// ContactLogin is a contact signed in to the portal: the client the
// session acts for and the contact who writes.
type ContactLogin struct {
	AccessID, ClientID, Address, Name string
}

func (r *Registry) contactAccess() *mongo.Collection {
	return r.accessColl.Database().Collection(CollContactAccess)
}

func (r *Registry) readContactAccess(ctx context.Context, id string) (*contactAccessDoc, error) {
	var d contactAccessDoc
	err := r.contactAccess().FindOne(ctx, bson.D{{Key: "_id", Value: id}}).Decode(&d)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return nil, nil
	}
	if err != nil {
		return nil, dbErr("read contact access", err)
	}
	return &d, nil
}

// contactOf is the contact named addr among cs (not the principal), or nil.
func contactOf(cs []Contact, addr string) *Contact {
	for i := range cs {
		if cs[i].Address == addr {
			return &cs[i]
		}
	}
	return nil
}

// HasContactAccess reports, per address, whether the client's contact
// has portal access (one read by _id each).
func (r *Registry) HasContactAccess(ctx context.Context, clientID string, addrs []string) (map[string]bool, error) {
	out := map[string]bool{}
	for _, a := range addrs {
		a = NormalizeAddress(a)
		if _, seen := out[a]; seen {
			continue
		}
		d, err := r.readContactAccess(ctx, ContactAccessID(a))
		if err != nil {
			return nil, err
		}
		out[a] = d != nil && d.ClientID == clientID
	}
	return out, nil
}

// GrantContactAccess gives the client's contact addr portal access and
// mails them their set-password link (template password_reset, to the
// contact only). A contact who has access already is left alone ("" and
// nil). The address must be one of the client's contacts, not a login,
// and without access at another client (ErrContactAccessTaken).
func (r *Registry) GrantContactAccess(ctx context.Context, clientID, addr, by string) (string, error) {
	addr = NormalizeAddress(addr)
	doc, err := r.load(ctx, clientID)
	if err != nil {
		return "", err
	}
	c := &doc.Client
	if addr == c.Email || contactOf(doc.Contacts, addr) == nil {
		return "", ErrContactNotFound
	}
	if err := r.CheckContactAccess(ctx, clientID, addr); err != nil {
		return "", err
	}
	id := ContactAccessID(addr)
	d := contactAccessDoc{ID: id, Address: addr, ClientID: clientID, GrantedAt: r.clock.Now().UTC(), GrantedBy: by}
	if _, err := r.contactAccess().InsertOne(ctx, d); err != nil {
		if !mongo.IsDuplicateKeyError(err) {
			return "", dbErr("grant contact access", err)
		}
		old, err := r.readContactAccess(ctx, id)
		if err != nil {
			return "", err
		}
		if old != nil && old.ClientID != clientID {
			return "", ErrContactAccessTaken
		}
		return "", nil
	}
	r.log.Info("contact portal access granted", "client", clientID, "by", by)
	return r.sendContactLink(ctx, c, addr, by)
}

// CheckContactAccess reports whether addr may have portal access as a
// contact of the client: ErrContactAccessTaken when it is a client's
// login or has contact access at another client. Two reads by _id.
func (r *Registry) CheckContactAccess(ctx context.Context, clientID, addr string) error {
	addr = NormalizeAddress(addr)
	var l loginDoc
	err := r.logins.FindOne(ctx, bson.D{{Key: "_id", Value: addr}}).Decode(&l)
	if err == nil {
		return ErrContactAccessTaken
	}
	if !errors.Is(err, mongo.ErrNoDocuments) {
		return dbErr("read login "+addr, err)
	}
	d, err := r.readContactAccess(ctx, ContactAccessID(addr))
	if err != nil {
		return err
	}
	if d != nil && d.ClientID != clientID {
		return ErrContactAccessTaken
	}
	return nil
}

// ContactPassword mails the contact with access a new set-password link
// (the portal's forgot password).
func (r *Registry) ContactPassword(ctx context.Context, addr, by string) (string, error) {
	l, err := r.LoginContact(ctx, addr)
	if err != nil {
		return "", err
	}
	c, err := r.Get(ctx, l.ClientID)
	if err != nil {
		return "", err
	}
	return r.sendContactLink(ctx, c, l.Address, by)
}

// sendContactLink stores a new token's hash (generation + 1) and mails its
// link to the contact; key contact-password:<access id>:<granted at
// ms>:<generation> (a grant after a revocation starts a new count).
func (r *Registry) sendContactLink(ctx context.Context, c *Client, addr, by string) (string, error) {
	if r.mailer == nil {
		return "", ErrNoMailer
	}
	if !c.Mail.Account {
		return "", fmt.Errorf("client %s has account mail switched off (mail.account)", c.ID)
	}
	id := ContactAccessID(addr)
	link, d, err := r.newContactToken(ctx, id)
	if err != nil {
		return "", err
	}
	expires := d.ExpiresAt
	acc := templates.Access{Login: addr, Link: link, ExpiresAt: expires, PortalURL: r.access.PortalURL}
	out, err := r.mailer.Enqueue(ctx, mailout.Message{
		Key: fmt.Sprintf("contact-password:%s:%d:%d", id, d.GrantedAt.UnixMilli(), d.Generation), Template: "password_reset", Lang: c.Lang,
		Data: templates.PasswordReset{ClientName: c.Name, Access: acc}, To: []string{addr},
		Priority: mailout.PriorityAccount, Sensitive: true, AutoSubmitted: "auto-generated", ClientID: c.ID, Kind: "account",
	})
	if err != nil {
		return "", fmt.Errorf("enqueue contact access mail for %s: %w", c.ID, err)
	}
	r.log.Info("contact access mail enqueued", "client", c.ID, "outbox_id", out, "by", by)
	return out, nil
}

// newContactToken replaces the contact's set-password token (by _id) and
// returns its link.
func (r *Registry) newContactToken(ctx context.Context, id string) (string, *contactAccessDoc, error) {
	secret, salt := randomString(32), []byte(randomString(12))
	expires := r.clock.Now().UTC().Add(r.access.TokenTTL)
	var d contactAccessDoc
	err := r.contactAccess().FindOneAndUpdate(ctx, bson.D{{Key: "_id", Value: id}}, bson.D{
		{Key: "$set", Value: bson.D{{Key: "salt", Value: salt}, {Key: "hash", Value: hashSecret(secret, salt)},
			{Key: "expires_at", Value: expires}}},
		{Key: "$unset", Value: bson.D{{Key: "used_at", Value: ""}}},
		{Key: "$inc", Value: bson.D{{Key: "generation", Value: 1}}},
	}, options.FindOneAndUpdate().SetReturnDocument(options.After)).Decode(&d)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return "", nil, ErrAccessDenied // revoked meanwhile
	}
	if err != nil {
		return "", nil, dbErr("store contact token", err)
	}
	q := url.Values{"contact": {id}, "token": {secret}}
	return strings.TrimRight(r.access.PortalURL, "/") + "/set-password?" + q.Encode(), &d, nil
}

// revokeContactSecret is RevokeSecret for a contact's set-password link
// (access id contact): the token stops working if it is still the
// contact's current, unused one, by a write conditional on the generation
// read; the access itself (and a password already set) stays.
func (r *Registry) revokeContactSecret(ctx context.Context, e *mailout.Entry, contact, token string) error {
	d, err := r.readContactAccess(ctx, contact)
	if err != nil || d == nil || d.ClientID != e.ClientID || d.UsedAt != nil || len(d.Hash) == 0 ||
		subtle.ConstantTimeCompare(hashSecret(token, d.Salt), d.Hash) != 1 {
		return err // gone, another client's, spent, or replaced by a newer link
	}
	now := r.clock.Now().UTC()
	if _, err := r.contactAccess().UpdateOne(ctx, bson.D{{Key: "_id", Value: contact}, {Key: "generation", Value: d.Generation}},
		bson.D{{Key: "$set", Value: bson.D{{Key: "used_at", Value: now}, {Key: "revoked_at", Value: now}}}}); err != nil {
		return dbErr("revoke contact access link", err)
	}
	r.log.Info("contact access link revoked: its mail was cancelled", "client", e.ClientID, "outbox_id", e.ID, "generation", d.Generation)
	return nil
}

// RevokeContactAccess ends the portal access of the client's contact addr
// (nothing when it has none). The caller ends its sessions.
func (r *Registry) RevokeContactAccess(ctx context.Context, clientID, addr, by string) error {
	id := ContactAccessID(addr)
	d, err := r.readContactAccess(ctx, id)
	if err != nil || d == nil || d.ClientID != clientID {
		return err
	}
	if _, err := r.contactAccess().DeleteOne(ctx, bson.D{{Key: "_id", Value: id}}); err != nil {
		return dbErr("revoke contact access", err)
	}
	r.log.Info("contact portal access revoked", "client", clientID, "by", by)
	return nil
}

// ContactByAccessID resolves a contact's access: the client must be
// active and still list the address as a contact. ErrAccessDenied else.
func (r *Registry) ContactByAccessID(ctx context.Context, id string) (*ContactLogin, error) {
	d, err := r.readContactAccess(ctx, id)
	if err != nil {
		return nil, err
	}
	if d == nil {
		return nil, ErrAccessDenied
	}
	doc, err := r.load(ctx, d.ClientID)
	var nf *NotFoundError
	if errors.As(err, &nf) {
		return nil, ErrAccessDenied
	}
	if err != nil {
		return nil, err
	}
	c := &doc.Client
	ct := contactOf(doc.Contacts, d.Address)
	if !c.Active || ct == nil || c.Email == d.Address {
		return nil, ErrAccessDenied
	}
	return &ContactLogin{AccessID: id, ClientID: c.ID, Address: d.Address, Name: ct.Name}, nil
}

// LoginContact is ContactByAccessID of an address.
func (r *Registry) LoginContact(ctx context.Context, addr string) (*ContactLogin, error) {
	addr = NormalizeAddress(addr)
	if addr == "" {
		return nil, ErrAccessDenied
	}
	return r.ContactByAccessID(ctx, ContactAccessID(addr))
}

// VerifyContactPassword checks the password a contact chose: nil or
// ErrAccessDenied (an unknown contact costs the same hash).
func (r *Registry) VerifyContactPassword(ctx context.Context, addr, password string) error {
	d, err := r.readContactAccess(ctx, ContactAccessID(addr))
	if err != nil {
		return err
	}
	if d == nil || !PasswordMatches(password, d.PasswordSalt, d.PasswordHash) {
		return ErrAccessDenied
	}
	return nil
}

// CheckContactToken reports whether a contact's set-password link is
// still good, without spending it.
func (r *Registry) CheckContactToken(ctx context.Context, id, token string) error {
	_, err := r.checkContactToken(ctx, id, token)
	return err
}

func (r *Registry) checkContactToken(ctx context.Context, id, token string) (*contactAccessDoc, error) {
	if id == "" || token == "" {
		return nil, ErrAccessDenied
	}
	d, err := r.readContactAccess(ctx, id)
	if err != nil {
		return nil, err
	}
	if d == nil || d.UsedAt != nil || len(d.Hash) == 0 || !r.clock.Now().Before(d.ExpiresAt) ||
		subtle.ConstantTimeCompare(hashSecret(token, d.Salt), d.Hash) != 1 {
		return nil, ErrAccessDenied
	}
	return d, nil
}

// SetContactPasswordWithToken spends a contact's set-password token and
// stores the chosen password's hash, in one write conditional on the
// token's generation (as SetPasswordWithToken: the access documents are
// few). It returns the contact's address.
func (r *Registry) SetContactPasswordWithToken(ctx context.Context, id, token, password string) (string, error) {
	if n := utf8.RuneCountInString(password); n < MinPasswordLen || n > MaxPasswordLen {
		return "", ErrPasswordLength
	}
	d, err := r.checkContactToken(ctx, id, token)
	if err != nil {
		return "", err
	}
	now := r.clock.Now().UTC()
	salt := []byte(randomString(12))
	res, err := r.contactAccess().UpdateOne(ctx,
		bson.D{{Key: "_id", Value: id}, {Key: "generation", Value: d.Generation}, {Key: "used_at", Value: bson.D{{Key: "$exists", Value: false}}}},
		bson.D{{Key: "$set", Value: bson.D{{Key: "used_at", Value: now}, {Key: "password_salt", Value: salt},
			{Key: "password_hash", Value: hashSecret(password, salt)}, {Key: "password_set_at", Value: now}}}})
	if err != nil {
		return "", dbErr("store contact password", err)
	}
	if res.ModifiedCount == 0 {
		return "", ErrAccessDenied // spent or replaced meanwhile
	}
	r.log.Info("contact portal password set", "client", d.ClientID)
	return d.Address, nil
}
