package clients

import (
	"context"
	"errors"
	"fmt"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"turno/mailout"
	"turno/templates"
)

// The portal's lockout mail: after web.Lockout failed logins the owner of
// the address is told (template login_locked) until when sign-in is
// locked, with a fresh set-password link that also lifts the lock. One
// mail per lock window: the window's end is recorded on the access
// document (locked_mail_until) and makes the outbox key, so a second call
// for the same window sends nothing and spends no new token.

// LoginLocked mails the client's principal address that its portal
// sign-in is locked until until, with a fresh set-password link (in access
// mode "password" none: the mail says to wait). It returns the outbox
// entry's id, or "" when this window's mail was sent already.
func (r *Registry) LoginLocked(ctx context.Context, clientID string, until time.Time) (string, error) {
	if r.mailer == nil {
		return "", ErrNoMailer
	}
	c, err := r.Get(ctx, clientID)
	if err != nil {
		return "", err
	}
	if !c.Mail.Account {
		return "", fmt.Errorf("client %s has account mail switched off (mail.account)", c.ID)
	}
	until = until.UTC().Truncate(time.Second)
	var cur struct {
		Mark time.Time `bson:"locked_mail_until"`
	}
	err = r.accessColl.FindOne(ctx, bson.D{{Key: "_id", Value: clientID}}).Decode(&cur)
	if err != nil && !errors.Is(err, mongo.ErrNoDocuments) {
		return "", dbErr("read access of "+clientID, err)
	}
	if cur.Mark.Equal(until) {
		return "", nil
	}
	d := templates.LoginLocked{Name: c.Name, Login: c.Email, Until: until, Where: "portal", SignInURL: r.access.PortalURL}
	if r.access.Mode != "password" {
		secret := randomString(32)
		salt := []byte(randomString(12))
		if _, err := r.accessColl.UpdateOne(ctx, bson.D{{Key: "_id", Value: clientID}},
			bson.D{
				{Key: "$set", Value: bson.D{{Key: "mode", Value: "link"}, {Key: "salt", Value: salt},
					{Key: "hash", Value: hashSecret(secret, salt)}, {Key: "expires_at", Value: r.clock.Now().UTC().Add(r.access.TokenTTL)}}},
				{Key: "$unset", Value: bson.D{{Key: "used_at", Value: ""}}},
				{Key: "$inc", Value: bson.D{{Key: "generation", Value: 1}}},
			}, options.UpdateOne().SetUpsert(true)); err != nil {
			return "", dbErr("store access hash of "+clientID, err)
		}
		d.Link = setPasswordLink(r.access.PortalURL, clientID, secret)
	}
	id, err := r.enqueueLocked(ctx, "login-locked:"+clientID, c, c.Email, d)
	if err != nil {
		return "", err
	}
	if _, err := r.accessColl.UpdateOne(ctx, bson.D{{Key: "_id", Value: clientID}},
		bson.D{{Key: "$set", Value: bson.D{{Key: "locked_mail_until", Value: until}}}}, options.UpdateOne().SetUpsert(true)); err != nil {
		return id, dbErr("mark lockout mail of "+clientID, err)
	}
	return id, nil
}

// enqueueLocked sends d to addr (key: base + the window's end). The mail
// is account mail and sensitive when it carries a link.
func (r *Registry) enqueueLocked(ctx context.Context, base string, c *Client, addr string, d templates.LoginLocked) (string, error) {
	id, err := r.mailer.Enqueue(ctx, mailout.Message{
		Key: fmt.Sprintf("%s:%d", base, d.Until.Unix()), Template: "login_locked", Lang: c.Lang, Data: d,
		To: []string{addr}, Priority: mailout.PriorityAccount, Sensitive: d.Link != "", AutoSubmitted: "auto-generated",
		ClientID: c.ID, Kind: "account",
	})
	if err != nil {
		return "", fmt.Errorf("enqueue login_locked mail for %s: %w", c.ID, err)
	}
	r.log.Warn("portal login locked, owner mailed", "client", c.ID, "until", d.Until, "outbox_id", id)
	return id, nil
}

// ContactLoginLocked is LoginLocked for a contact with portal access
// (ErrAccessDenied when addr has none): the link is the contact's own.
func (r *Registry) ContactLoginLocked(ctx context.Context, addr string, until time.Time) (string, error) {
	if r.mailer == nil {
		return "", ErrNoMailer
	}
	l, err := r.LoginContact(ctx, addr)
	if err != nil {
		return "", err
	}
	c, err := r.Get(ctx, l.ClientID)
	if err != nil {
		return "", err
	}
	if !c.Mail.Account {
		return "", fmt.Errorf("client %s has account mail switched off (mail.account)", c.ID)
	}
	until = until.UTC().Truncate(time.Second)
	d, err := r.readContactAccess(ctx, l.AccessID)
	if err != nil || d == nil {
		return "", err
	}
	if d.LockedMail.Equal(until) {
		return "", nil
	}
	link, _, err := r.newContactToken(ctx, l.AccessID)
	if err != nil {
		return "", err
	}
	name := l.Name
	if name == "" {
		name = c.Name
	}
	id, err := r.enqueueLocked(ctx, "login-locked:contact:"+l.AccessID, c, l.Address, templates.LoginLocked{Name: name,
		Login: l.Address, Until: until, Where: "portal", Link: link, SignInURL: r.access.PortalURL})
	if err != nil {
		return "", err
	}
	if _, err := r.contactAccess().UpdateOne(ctx, bson.D{{Key: "_id", Value: l.AccessID}},
		bson.D{{Key: "$set", Value: bson.D{{Key: "locked_mail_until", Value: until}}}}); err != nil {
		return id, dbErr("mark lockout mail", err)
	}
	return id, nil
}
