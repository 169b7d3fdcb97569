package clients

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
)

// Add creates a client. by names who does it (for the audit trail). The
// client is validated first; on any error nothing visible has changed.
//
// Order of writes, each idempotent: claim the login (client_logins), index
// the principal address (client_addresses), insert the client document (the
// commit point), copy the audit entry. A crash before the insert leaves a
// claim that expires after the grace period and an index entry Lookup
// ignores; retrying the same Add reuses both.
func (r *Registry) Add(ctx context.Context, c Client, by string) (Client, error) {
	c, ps := normalize(c, nil)
	if len(ps) > 0 {
		return Client{}, &ValidationError{Problems: ps}
	}
	if _, err := r.load(ctx, c.ID); err == nil {
		return Client{}, &ExistsError{ClientID: c.ID}
	} else if !errors.As(err, new(*NotFoundError)) {
		return Client{}, err
	}
	now := r.clock.Now().UTC()
	c.CreatedAt, c.UpdatedAt = now, now
	d := &clientDoc{Client: c, Version: 1, Contacts: []Contact{}}
	d.refresh()
	d.LastChange = &change{Version: 1, At: now, By: by, Action: "create"}
	if err := r.claimLogin(ctx, c.Email, c.ID); err != nil {
		return Client{}, err
	}
	if err := r.indexAdd(ctx, c.Email, c.ID, RolePrincipal); err != nil {
		return Client{}, err
	}
	if _, err := r.clients.InsertOne(ctx, d); err != nil {
		if mongo.IsDuplicateKeyError(err) {
			return Client{}, &ExistsError{ClientID: c.ID}
		}
		return Client{}, dbErr("insert client "+c.ID, err)
	}
	r.log.Info("client added", "client", c.ID, "by", by)
	r.changed(ctx, c.ID)
	if err := r.flushAudit(ctx, c.ID, d.LastChange); err != nil {
		r.log.Warn("audit copy failed; the next write retries it", "client", c.ID, "err", err)
	}
	return d.Client, nil
}

// Edit applies fn to the client and saves the result if it is valid and
// differs; every changed field is audited under action "edit". fn may run
// more than once when another writer changed the client meanwhile.
func (r *Registry) Edit(ctx context.Context, id, by string, fn func(*Client) error) (Client, error) {
	d, err := r.mutate(ctx, id, by, "edit", func(d *clientDoc) error { return fn(&d.Client) })
	if err != nil {
		return Client{}, err
	}
	return d.Client, nil
}

// SetActive deactivates or reactivates a client. Clients are never deleted;
// a deactivated client keeps its login reserved.
func (r *Registry) SetActive(ctx context.Context, id, by string, active bool) (Client, error) {
	action := "deactivate"
	if active {
		action = "reactivate"
	}
	d, err := r.mutate(ctx, id, by, action, func(d *clientDoc) error { d.Active = active; return nil })
	if err != nil {
		return Client{}, err
	}
	return d.Client, nil
}

// AddContact adds a technical or billing contact. An address may be a
// contact of several clients; adding the same address and role twice
// changes nothing.
func (r *Registry) AddContact(ctx context.Context, id string, c Contact, by string) error {
	c.Address = NormalizeAddress(c.Address)
	c.Name = strings.TrimSpace(c.Name)
	var ps []FieldError
	if err := checkAddress(c.Address); err != nil {
		ps = append(ps, FieldError{Field: "contact.address", Msg: err.Error()})
	}
	if err := checkText(c.Name, false); err != nil {
		ps = append(ps, FieldError{Field: "contact.name", Msg: err.Error()})
	}
	if !validRole(c.Role) {
		ps = append(ps, FieldError{Field: "contact.role", Msg: fmt.Sprintf("must be technical or billing (got %q); the principal contact is the client's email", c.Role)})
	}
	if len(ps) > 0 {
		return &ValidationError{Problems: ps}
	}
	_, err := r.mutate(ctx, id, by, "contact_add", func(d *clientDoc) error {
		for _, x := range d.Contacts {
			if x.Address == c.Address && x.Role == c.Role {
				return nil
			}
		}
		c.ClientID, c.AddedAt = d.ID, r.clock.Now().UTC()
		d.Contacts = append(d.Contacts, c)
		return nil
	})
	return err
}

// RemoveContact removes an address's technical or billing role at a client
// (role "" removes both). Removing what is not there changes nothing.
func (r *Registry) RemoveContact(ctx context.Context, id, addr string, role Role, by string) error {
	addr = NormalizeAddress(addr)
	if role != "" && !validRole(role) {
		return &ValidationError{Problems: []FieldError{{Field: "contact.role", Msg: "must be technical or billing; the principal contact is changed by editing the client's email"}}}
	}
	_, err := r.mutate(ctx, id, by, "contact_remove", func(d *clientDoc) error {
		kept := d.Contacts[:0:0]
		for _, x := range d.Contacts {
			if x.Address == addr && (role == "" || x.Role == role) {
				continue
			}
			kept = append(kept, x)
		}
		d.Contacts = kept
		return nil
	})
	return err
}

// mutate is the one edit path: read, apply fn, validate, then write with a
// compare-and-swap on the version. Index entries and a new login are added
// before the write and old ones removed after it, so the address index stays
// a superset of the truth and the login claim precedes the document naming it.
func (r *Registry) mutate(ctx context.Context, id, by, action string, fn func(*clientDoc) error) (*clientDoc, error) {
	for range 5 {
		old, err := r.load(ctx, id)
		if err != nil {
			return nil, err
		}
		if err := r.flushAudit(ctx, id, old.LastChange); err != nil {
			return nil, err
		}
		d := *old
		d.Contacts = append([]Contact(nil), old.Contacts...)
		d.NotifyEmails = append([]string(nil), old.NotifyEmails...)
		if err := fn(&d); err != nil {
			return nil, err
		}
		d.ID = old.ID // the ID is the key; it cannot be edited
		c, ps := normalize(d.Client, &old.Client)
		if len(ps) > 0 {
			return nil, &ValidationError{Problems: ps}
		}
		d.Client = c
		d.refresh()
		fields := diff(old, &d)
		if len(fields) == 0 {
			return old, nil
		}
		if old.Email != d.Email {
			if err := r.claimLogin(ctx, d.Email, id); err != nil {
				return nil, err
			}
		}
		before, after := old.addrRoles(), d.addrRoles()
		for ar := range after {
			if !before[ar] {
				if err := r.indexAdd(ctx, ar.addr, id, ar.role); err != nil {
					return nil, err
				}
			}
		}
		now := r.clock.Now().UTC()
		d.UpdatedAt = now
		d.Version = old.Version + 1
		d.LastChange = &change{Version: d.Version, At: now, By: by, Action: action, Fields: fields}
		res, err := r.clients.ReplaceOne(ctx, bson.D{{Key: "_id", Value: id}, {Key: "version", Value: old.Version}}, &d, replaceOpts)
		if err != nil {
			return nil, dbErr("save client "+id, err)
		}
		if res.MatchedCount == 0 {
			continue // someone else wrote first: start over from their version
		}
		for ar := range before {
			if !after[ar] {
				if err := r.indexRemove(ctx, ar.addr, id, ar.role); err != nil {
					r.log.Warn("stale address index entry left; lookups ignore it", "client", id, "address", ar.addr, "err", err)
				}
			}
		}
		if old.Email != d.Email {
			if err := r.releaseLogin(ctx, old.Email, id); err != nil {
				r.log.Warn("old login left reserved", "client", id, "address", old.Email, "err", err)
			}
		}
		if err := r.flushAudit(ctx, id, d.LastChange); err != nil {
			r.log.Warn("audit copy failed; the next write retries it", "client", id, "err", err)
		}
		r.log.Info("client changed", "client", id, "action", action, "by", by, "fields", len(fields))
		r.changed(ctx, id)
		return &d, nil
	}
	return nil, &TransientError{Err: fmt.Errorf("save client %s: changed concurrently too often, try again", id)}
}
