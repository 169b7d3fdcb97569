package billing

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"turno/clients"
	"turno/mailout"
)

// Undeliverable markers: what the turno_billing_undeliverable_clients
// gauge counts.
//
// The full report (Undeliverable) reads every suppression and looks each
// address up, a cost that grows with every address that ever bounced. The
// gauge instead counts billing_undeliverable, one small document per
// client the report names, so a scrape costs the number of undeliverable
// clients, not history. A marker is decided for one client at a time
// (recheckClient: the client, its billing address and two suppression
// reads, all by _id) and written by _id: inserted (replaced) when the
// client's billing address or principal address is suppressed, deleted
// when neither is.
//
// Who calls what (the hooks the daemon and the CLI wire):
//   - AddressChanged(addr) after a suppression of addr is recorded (the
//     outbox's 5.x.x reply, a matched bounce) or cleared (turno outbox
//     unsuppress): it re-decides every client addr is a contact of.
//   - ClientChanged(id) after a client's principal address or contacts
//     change (clients.Registry writes, the portal, an import).
//   - ReconcileUndeliverable at start, and every full report (each
//     collection run makes one): it re-decides every client the full
//     report names and every client with a marker, so a hook that was
//     missed (a crash between the change and the marker, a writer that is
//     not wired) is repaired then.
//
// Two decisions for one client racing each other may write in the wrong
// order; the next change of that client or the next reconcile fixes it.
// The gauge caches its count for markerCacheTTL, so a change made by
// another process shows within that time; this process's own marker
// writes show at once.

// UndeliverableCollection holds one marker per undeliverable client:
// {_id: client, addresses: the suppressed ones, updated_at}.
const UndeliverableCollection = "billing_undeliverable"

type undeliverableMarker struct {
	ClientID  string    `bson:"_id"`
	Addresses []string  `bson:"addresses"`
	UpdatedAt time.Time `bson:"updated_at"`
}

func (s *Service) markers() *mongo.Collection { return s.opts.DB.Collection(UndeliverableCollection) }

// AddressChanged re-decides the marker of every client addr is a
// principal or billing contact of: call it after addr is suppressed or
// its suppression is cleared.
func (s *Service) AddressChanged(ctx context.Context, addr string) error {
	lookup, ok := s.opts.Clients.(ContactLookup)
	if !ok {
		return ErrNoLookup
	}
	ms, err := lookup.Lookup(ctx, addr)
	if err != nil {
		return fmt.Errorf("look up %s: %w", addr, err)
	}
	done := map[string]bool{}
	for _, m := range ms {
		if done[m.ClientID] || (m.Role != clients.RolePrincipal && m.Role != clients.RoleBilling) {
			continue
		}
		done[m.ClientID] = true
		if err := s.recheckClient(ctx, m.ClientID); err != nil {
			return err
		}
	}
	return nil
}

// ClientChanged re-decides one client's marker: call it after the
// client's principal address or contacts change.
func (s *Service) ClientChanged(ctx context.Context, clientID string) error {
	if s.opts.Clients == nil {
		return ErrNotWired
	}
	return s.recheckClient(ctx, clientID)
}

// ReconcileUndeliverable makes the markers agree with the full report and
// returns how many clients are undeliverable. The daemon calls it at
// start; it costs what the report does.
func (s *Service) ReconcileUndeliverable(ctx context.Context) (int, error) {
	if _, err := s.Undeliverable(ctx); err != nil {
		return 0, err
	}
	return s.metrics.undeliverable.count(ctx)
}

// reconcileMarkers re-decides every client the full report named and
// every client with a marker.
func (s *Service) reconcileMarkers(ctx context.Context, named map[string]bool) error {
	have, err := readByID(ctx, s.markers(), "undeliverable markers", func(m undeliverableMarker) string { return m.ClientID })
	if err != nil {
		return err
	}
	for id := range have {
		if !named[id] {
			named[id] = true
		}
	}
	for id := range named {
		if err := s.recheckClient(ctx, id); err != nil {
			return err
		}
	}
	return nil
}

// recheckClient decides whether the client is undeliverable now (its
// billing address or its principal address is suppressed; an unknown
// client is not) and writes or deletes its marker by _id.
func (s *Service) recheckClient(ctx context.Context, clientID string) error {
	bad, err := s.suppressedAddresses(ctx, clientID)
	if err != nil {
		return err
	}
	s.metrics.undeliverable.bind(s.countMarkers)
	defer s.metrics.undeliverable.invalidate()
	if len(bad) == 0 {
		if _, err := s.markers().DeleteOne(ctx, bson.D{{Key: "_id", Value: clientID}}); err != nil {
			return fmt.Errorf("drop undeliverable marker of %s: %w", clientID, err)
		}
		return nil
	}
	m := undeliverableMarker{ClientID: clientID, Addresses: bad, UpdatedAt: s.opts.Clock.Now().UTC()}
	if _, err := s.markers().ReplaceOne(ctx, bson.D{{Key: "_id", Value: clientID}}, m, options.Replace().SetUpsert(true)); err != nil {
		return fmt.Errorf("record undeliverable marker of %s: %w", clientID, err)
	}
	return nil
}

// suppressedAddresses returns the client's suppressed billing and
// principal addresses (none for an unknown client).
func (s *Service) suppressedAddresses(ctx context.Context, clientID string) ([]string, error) {
	c, err := s.opts.Clients.Get(ctx, clientID)
	var nf *clients.NotFoundError
	if errors.As(err, &nf) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read client %s: %w", clientID, err)
	}
	billingAddr, err := s.opts.Clients.BillingAddress(ctx, clientID)
	if err != nil {
		return nil, fmt.Errorf("billing address of %s: %w", clientID, err)
	}
	var bad []string
	for _, a := range []string{billingAddr, c.Email} {
		a = strings.ToLower(strings.TrimSpace(a))
		if a == "" || (len(bad) > 0 && bad[0] == a) {
			continue
		}
		ok, err := mailout.Suppressed(ctx, s.opts.DB, a)
		if err != nil {
			return nil, err
		}
		if ok {
			bad = append(bad, a)
		}
	}
	return bad, nil
}

// countMarkers counts the markers: one read of a collection as large as
// the number of undeliverable clients.
func (s *Service) countMarkers(ctx context.Context) (int, error) {
	n, err := s.markers().CountDocuments(ctx, bson.D{})
	if err != nil {
		return 0, fmt.Errorf("count undeliverable markers: %w", err)
	}
	return int(n), nil
}
