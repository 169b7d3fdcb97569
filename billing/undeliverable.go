package billing

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"turno/clients"
	"turno/mailout"
)

// Undeliverable billing contacts.
//
// The outbox marks an address undeliverable (mailout's suppressions) on a
// 5.x.x reply or a matched bounce, and from then on drops mail to it. A
// collection note is the client's only bill (DESIGN.md: no manual
// invoicing), so Collect looks before it sends: if the billing contact is
// suppressed, the note goes to the principal address instead, because the
// client still has to learn that it owes money; if that one is suppressed
// too (or is the same address), nothing is sent and the stage is not
// advanced, so the note is not lost: it is held (dunning_held, one
// document per client) and every later run tries again, sending the
// highest stage reached as soon as an operator clears the suppression or
// the client gets a deliverable contact. Both cases count as
// contact_suppressed in the run's counts and log a warning naming the
// client and the address; a held note also counts as notes_held. A note
// that bounces after it was sent is re-sent once to the principal address
// by a later run (bounced.go).
//
// Undeliverable is the standing report (`turno billing undeliverable`): it
// is read from the suppressions and the clients' current contacts each
// time, so clearing the suppression or changing the billing contact takes
// a client off it at once. The turno_billing_undeliverable_clients gauge
// counts billing's markers instead, kept by the hooks and reconciled by
// every full report (undeliverable_markers.go).

// HeldNotesCollection holds the collection notes no address could receive:
// {_id: client, stage, addresses, since, updated_at}.
const HeldNotesCollection = "dunning_held"

type heldNote struct {
	ClientID  string    `bson:"_id"`
	Stage     int       `bson:"stage"`
	Addresses []string  `bson:"addresses"`
	Since     time.Time `bson:"since"`
	UpdatedAt time.Time `bson:"updated_at"`
}

// errNoteHeld tells Collect that the note was held: not sent, not an
// error, and the stage must not advance.
var errNoteHeld = errors.New("collection note held: no deliverable address")

// noteRecipient picks the note's address: billingAddr unless it is
// suppressed, else principal unless it is suppressed too ("" then). It
// returns the suppressions it stepped over.
func (s *Service) noteRecipient(ctx context.Context, billingAddr, principal string) (string, []mailout.Suppression, error) {
	var bad []mailout.Suppression
	for _, a := range []string{billingAddr, principal} {
		a = strings.ToLower(strings.TrimSpace(a))
		if a == "" || (len(bad) > 0 && bad[0].Address == a) {
			continue
		}
		sup, ok, err := mailout.LookupSuppression(ctx, s.opts.DB, a)
		if err != nil {
			return "", nil, err
		}
		if !ok {
			return a, bad, nil
		}
		bad = append(bad, sup)
	}
	return "", bad, nil
}

// contactSuppressed records and logs a note that could not go to the
// billing contact: sent to the principal instead (to != ""), or held.
func (s *Service) contactSuppressed(ctx context.Context, clientID string, stage int, to string, bad []mailout.Suppression, n counts) error {
	n["contact_suppressed"]++
	addrs := make([]string, len(bad))
	for i, b := range bad {
		addrs[i] = b.Address
	}
	if to != "" {
		s.opts.Logger.Warn("collection note sent to the principal address: billing contact undeliverable",
			"client", clientID, "address", bad[0].Address, "reason", bad[0].Reason, "since", bad[0].CreatedAt, "sent_to", to, "stage", stage)
		return nil
	}
	s.opts.Logger.Warn("collection note held: no deliverable address",
		"client", clientID, "address", strings.Join(addrs, ","), "reason", bad[0].Reason, "since", bad[0].CreatedAt, "stage", stage)
	now := s.opts.Clock.Now().UTC()
	_, err := s.held().UpdateOne(ctx, bson.D{{Key: "_id", Value: clientID}},
		bson.D{{Key: "$set", Value: bson.D{{Key: "stage", Value: stage}, {Key: "addresses", Value: addrs}, {Key: "updated_at", Value: now}}},
			{Key: "$setOnInsert", Value: bson.D{{Key: "since", Value: now}}}},
		options.UpdateOne().SetUpsert(true))
	if err != nil {
		return fmt.Errorf("record held collection note of %s: %w", clientID, err)
	}
	n["notes_held"]++
	return errNoteHeld
}

func (s *Service) held() *mongo.Collection { return s.opts.DB.Collection(HeldNotesCollection) }

// heldNotes reads every held note (a small collection: only clients no
// address can reach).
func (s *Service) heldNotes(ctx context.Context) (map[string]heldNote, error) {
	return readByID(ctx, s.held(), "held collection notes", func(h heldNote) string { return h.ClientID })
}

// dropHeld forgets a held note once a note was sent or the client owes
// nothing.
func (s *Service) dropHeld(ctx context.Context, clientID string) error {
	if _, err := s.held().DeleteOne(ctx, bson.D{{Key: "_id", Value: clientID}}); err != nil {
		return fmt.Errorf("drop held collection note of %s: %w", clientID, err)
	}
	return nil
}

// ContactLookup is the clients registry's reverse lookup (address to the
// clients it is a contact of); Undeliverable needs it besides Clients.
// *clients.Registry has it.
type ContactLookup interface {
	Lookup(ctx context.Context, addr string) ([]clients.Membership, error)
}

// UndeliverableContact is one client whose billing contact or principal
// address is suppressed: one row per client and address.
type UndeliverableContact struct {
	ClientID     string `json:"client_id"`
	ClientActive bool   `json:"client_active"`
	// Role is "billing" (the address collection notes go to) or
	// "principal"; a client without a billing contact has only the latter.
	Role    clients.Role `json:"role"`
	Address string       `json:"address"`
	// Reason, Source and Since are the suppression's: the SMTP reply or
	// bounce that decided it, "smtp" or "bounce", and when.
	Reason string    `json:"reason"`
	Source string    `json:"source"`
	Since  time.Time `json:"since"`
	// HeldStage is set when a collection note is held for want of a
	// deliverable address: the stage it will send, held since HeldSince.
	HeldStage *int       `json:"held_stage,omitempty"`
	HeldSince *time.Time `json:"held_since,omitempty"`
}

// ErrNoLookup is returned by Undeliverable when the clients registry
// cannot look up addresses.
var ErrNoLookup = errors.New("billing: the clients registry cannot look up contacts by address")

// Undeliverable lists the clients whose billing contact (the address
// BillingAddress returns) or principal address is suppressed, by client
// and then billing before principal. It reads every suppression and looks
// each address up in the clients registry, so it always reflects the
// current suppressions and contacts: one _id read per suppression and per
// client it names.
func (s *Service) Undeliverable(ctx context.Context) ([]UndeliverableContact, error) {
	lookup, ok := s.opts.Clients.(ContactLookup)
	if !ok {
		return nil, ErrNoLookup
	}
	sups, err := mailout.ListSuppressions(ctx, s.opts.DB)
	if err != nil {
		return nil, err
	}
	held, err := s.heldNotes(ctx)
	if err != nil {
		return nil, err
	}
	var out []UndeliverableContact
	for _, sup := range sups {
		ms, err := lookup.Lookup(ctx, sup.Address)
		if err != nil {
			return nil, fmt.Errorf("look up %s: %w", sup.Address, err)
		}
		for _, m := range ms {
			if m.Role != clients.RolePrincipal && m.Role != clients.RoleBilling {
				continue
			}
			if m.Role == clients.RoleBilling {
				// Only the billing contact that notes go to; another
				// one with the billing role receives nothing from us.
				addr, err := s.opts.Clients.BillingAddress(ctx, m.ClientID)
				if err != nil {
					return nil, fmt.Errorf("billing address of %s: %w", m.ClientID, err)
				}
				if !strings.EqualFold(strings.TrimSpace(addr), sup.Address) {
					continue
				}
			}
			row := UndeliverableContact{ClientID: m.ClientID, ClientActive: m.ClientActive, Role: m.Role,
				Address: sup.Address, Reason: sup.Reason, Source: sup.Source, Since: sup.CreatedAt}
			if h, ok := held[m.ClientID]; ok {
				stage, since := h.Stage, h.Since
				row.HeldStage, row.HeldSince = &stage, &since
			}
			out = append(out, row)
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].ClientID != out[j].ClientID {
			return out[i].ClientID < out[j].ClientID
		}
		return out[i].Role == clients.RoleBilling && out[j].Role != clients.RoleBilling
	})
	named := map[string]bool{}
	for _, row := range out {
		named[row.ClientID] = true
	}
	if err := s.reconcileMarkers(ctx, named); err != nil {
		return out, err
	}
	return out, nil
}

// refreshUndeliverable reconciles the gauge's markers after a collection
// run when metrics are registered (a full report re-decides every client
// it names or that has a marker). A failure is logged: the run's own work
// is done.
func (s *Service) refreshUndeliverable(ctx context.Context) {
	if s.opts.Registry == nil {
		return
	}
	if _, ok := s.opts.Clients.(ContactLookup); !ok {
		return
	}
	if _, err := s.Undeliverable(ctx); err != nil {
		s.opts.Logger.Warn("undeliverable contacts gauge not refreshed", "err", err)
	}
}
