package clients

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
)

// Contacts as the customer manages them (the portal's Contactos): each
// technical or billing contact has a stable opaque ID (ContactID) that
// names it only within its client, and editing one (address, name, role)
// is one write through mutate, so a crash never leaves it half-changed.
// The principal contact is the client's login and is not edited here.

// ErrContactNotFound says the client has no contact with that ID.
var ErrContactNotFound = errors.New("no such contact")

// ContactID names a contact within its client: a hash of its address and
// role, so it is stable across reads and reveals neither.
func ContactID(c Contact) string {
	h := sha256.Sum256([]byte(c.ClientID + "\x00" + c.Address + "\x00" + string(c.Role)))
	return hex.EncodeToString(h[:8])
}

// checkContact validates a contact as AddContact does, each problem in both
// languages, named by the form field (address, name, role).
func checkContact(c Contact) []Problem {
	var ps []Problem
	if err := checkAddress(c.Address); err != nil {
		p := Problem{Field: "address", Code: "invalid", Message: "The address " + err.Error() + ".",
			MessageES: "Escriba una dirección de correo válida, como nombre@empresa.cl."}
		if c.Address == "" {
			p.Code, p.Message, p.MessageES = "missing", "The address is required.", "Falta la dirección de correo."
		}
		ps = append(ps, p)
	}
	if err := checkText(c.Name, false); err != nil {
		ps = append(ps, Problem{Field: "name", Code: "invalid", Message: "The name " + err.Error() + ".",
			MessageES: "Escriba el nombre en una sola línea, sin caracteres de control."})
	}
	if !validRole(c.Role) {
		ps = append(ps, Problem{Field: "role", Code: "invalid", Message: "Choose technical or billing.",
			MessageES: "Elija contacto técnico o de facturación."})
	}
	return ps
}

// SaveCustomerContact adds a contact (id "") or replaces the one named id
// with c, in one write. Problems (nothing saved) are returned with a nil
// error; an unknown id is ErrContactNotFound. The client's own principal
// address cannot become one of its other contacts (it already is the
// principal), and an address may hold each role once.
func (r *Registry) SaveCustomerContact(ctx context.Context, clientID, id string, c Contact, by string) ([]Problem, error) {
	c.Address = NormalizeAddress(c.Address)
	c.Name = strings.TrimSpace(c.Name)
	if ps := checkContact(c); len(ps) > 0 {
		return ps, nil
	}
	var problems []Problem
	action := "contact_add"
	if id != "" {
		action = "contact_edit"
	}
	_, err := r.mutate(ctx, clientID, by, action, func(d *clientDoc) error {
		problems = nil
		if c.Address == d.Email {
			problems = []Problem{{Field: "address", Code: "invalid",
				Message:   "This is the account's main address (the login); it receives everything already.",
				MessageES: "Esta es la dirección principal de la cuenta (con la que ingresa); ya recibe todo."}}
			return errNoChange
		}
		at := -1
		for i, x := range d.Contacts {
			x.ClientID = d.ID
			if id != "" && ContactID(x) == id {
				at = i
			}
		}
		if id != "" && at < 0 {
			return ErrContactNotFound
		}
		for i, x := range d.Contacts {
			if i != at && x.Address == c.Address && x.Role == c.Role {
				problems = []Problem{{Field: "address", Code: "duplicate",
					Message:   "This address is already a contact with that role.",
					MessageES: "Esta dirección ya es un contacto con ese rol."}}
				return errNoChange
			}
		}
		c.ClientID = d.ID
		if at >= 0 {
			c.AddedAt = d.Contacts[at].AddedAt
			d.Contacts[at] = c
			return nil
		}
		c.AddedAt = r.clock.Now().UTC()
		d.Contacts = append(d.Contacts, c)
		return nil
	})
	if errors.Is(err, errNoChange) {
		return problems, nil
	}
	var ve *ValidationError
	if errors.As(err, &ve) {
		return nil, fmt.Errorf("save contact of %s: %w", clientID, err)
	}
	return nil, err
}

// RemoveCustomerContact removes the contact named id; ErrContactNotFound
// when the client has none by that ID.
func (r *Registry) RemoveCustomerContact(ctx context.Context, clientID, id, by string) error {
	_, err := r.mutate(ctx, clientID, by, "contact_remove", func(d *clientDoc) error {
		kept := d.Contacts[:0:0]
		found := false
		for _, x := range d.Contacts {
			x.ClientID = d.ID
			if ContactID(x) == id {
				found = true
				continue
			}
			kept = append(kept, x)
		}
		if !found {
			return ErrContactNotFound
		}
		d.Contacts = kept
		return nil
	})
	return err
}

// errNoChange stops a mutate whose input turned out to be refused.
var errNoChange = errors.New("refused; nothing to change")
