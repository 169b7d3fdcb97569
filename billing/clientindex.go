package billing

import (
	"context"
	"errors"
	"fmt"
	"sort"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// ClientIndexCollection lists each client's invoices and contracts, so a
// client's reads (the portal's invoices, an agent's glance, the contracts
// of a client) read one document by _id and then each invoice or contract
// by _id, instead of filtering a whole collection on client_id (a scan on
// the embedded store).
//
//	billing_client_index {_id: client ID, invoices: [invoice _ids], contracts: [contract _ids]}
//
// Like tickets' ticket_client_index it is a superset of the truth: an id is
// added ($addToSet, an upsert by _id) before the invoice or contract naming
// the client is inserted (markInvoices, AddContract), and readers check
// each document's client_id, so a crash between the two, or a failed
// insert, leaves an id that points at nothing or at another client's
// document, which readers skip. Invoices and contracts never change client.
// Data from before the index are added once by the upgrade (upgrade.go).
const ClientIndexCollection = "billing_client_index"

type clientIndexDoc struct {
	ID        string   `bson:"_id"`
	Invoices  []string `bson:"invoices,omitempty"`
	Contracts []string `bson:"contracts,omitempty"`
}

func (s *Service) clientIndex() *mongo.Collection { return s.opts.DB.Collection(ClientIndexCollection) }

// indexUnder adds ids to the client's field ("invoices" or "contracts").
func (s *Service) indexUnder(ctx context.Context, clientID, field string, ids []string) error {
	if clientID == "" || len(ids) == 0 {
		return nil
	}
	_, err := s.clientIndex().UpdateOne(ctx, bson.D{{Key: "_id", Value: clientID}},
		bson.D{{Key: "$addToSet", Value: bson.D{{Key: field, Value: bson.D{{Key: "$each", Value: ids}}}}}},
		options.UpdateOne().SetUpsert(true))
	if err != nil {
		return fmt.Errorf("index %s under client %s: %w", field, clientID, err)
	}
	return nil
}

// indexOf reads a client's index entry (empty when it has none), after the
// one-time upgrade.
func (s *Service) indexOf(ctx context.Context, clientID string) (clientIndexDoc, error) {
	var d clientIndexDoc
	if err := s.ensureUpgraded(ctx); err != nil {
		return d, err
	}
	err := s.clientIndex().FindOne(ctx, bson.D{{Key: "_id", Value: clientID}}).Decode(&d)
	if err != nil && !errors.Is(err, mongo.ErrNoDocuments) {
		return d, fmt.Errorf("read billing index of client %s: %w", clientID, err)
	}
	return d, nil
}

// clientInvoices is Invoices for f.ClientID through the index: the
// client's issued invoices (status f.Status when set) by number.
func (s *Service) clientInvoices(ctx context.Context, f InvoiceFilter) ([]Invoice, error) {
	d, err := s.indexOf(ctx, f.ClientID)
	if err != nil {
		return nil, err
	}
	all, err := s.invoicesByID(ctx, d.Invoices, nil)
	if err != nil {
		return nil, fmt.Errorf("list invoices of client %s: %w", f.ClientID, err)
	}
	out := all[:0]
	for _, inv := range all {
		if inv.ClientID == f.ClientID && inv.Number > 0 && (f.Status == "" || inv.Status == f.Status) {
			out = append(out, inv)
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Number != out[j].Number {
			return out[i].Number < out[j].Number
		}
		return out[i].ID < out[j].ID
	})
	if f.Limit > 0 && len(out) > f.Limit {
		out = out[:f.Limit]
	}
	if len(out) == 0 {
		return nil, nil
	}
	return out, nil
}

// clientContracts are a client's contracts through the index, by ID.
func (s *Service) clientContracts(ctx context.Context, clientID string) ([]Contract, error) {
	d, err := s.indexOf(ctx, clientID)
	if err != nil {
		return nil, err
	}
	var out []Contract
	seen := map[string]bool{}
	for _, id := range d.Contracts {
		if seen[id] {
			continue
		}
		seen[id] = true
		var c Contract
		err := s.contracts.FindOne(ctx, bson.D{{Key: "_id", Value: id}}).Decode(&c)
		if errors.Is(err, mongo.ErrNoDocuments) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("read contract %s: %w", id, err)
		}
		if c.ClientID == clientID {
			out = append(out, c)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out, nil
}
