package clients

import (
	"context"
	"regexp"
	"strings"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// Filter selects clients for listings, exports, bulk edits and billing.
// Zero fields select everything.
type Filter struct {
	Active          *bool
	BillingComplete *bool
	Zone            string
	Seller          string
	Collector       string
	Tier            string
	TaxCondition    string
	// Text matches, case-insensitively, part of the ID, name, razón social,
	// email or tax ID (dots ignored, so "12.345.678" finds "12345678-5").
	Text string
}

func (f Filter) query() bson.D {
	q := bson.D{}
	if f.Active != nil {
		q = append(q, bson.E{Key: "active", Value: *f.Active})
	}
	if f.BillingComplete != nil {
		q = append(q, bson.E{Key: "billing_complete", Value: *f.BillingComplete})
	}
	for _, kv := range []struct{ k, v string }{
		{"zone", f.Zone}, {"seller", f.Seller}, {"collector", f.Collector},
		{"support_tier", strings.ToLower(f.Tier)}, {"tax_condition", f.TaxCondition},
	} {
		if kv.v != "" {
			q = append(q, bson.E{Key: kv.k, Value: kv.v})
		}
	}
	if t := strings.TrimSpace(f.Text); t != "" {
		re := bson.Regex{Pattern: regexp.QuoteMeta(t), Options: "i"}
		taxRe := bson.Regex{Pattern: regexp.QuoteMeta(strings.ReplaceAll(t, ".", "")), Options: "i"}
		q = append(q, bson.E{Key: "$or", Value: bson.A{
			bson.D{{Key: "_id", Value: re}}, bson.D{{Key: "name", Value: re}},
			bson.D{{Key: "billing.razon_social", Value: re}}, bson.D{{Key: "email", Value: re}},
			bson.D{{Key: "billing.tax_id", Value: taxRe}},
		}})
	}
	return q
}

// Each calls fn for every client f selects, in client ID order, streaming
// from the database. An error from fn stops the iteration and is returned.
func (r *Registry) Each(ctx context.Context, f Filter, fn func(Client) error) error {
	cur, err := r.clients.Find(ctx, f.query(), options.Find().SetSort(bson.D{{Key: "_id", Value: 1}}))
	if err != nil {
		return dbErr("list clients", err)
	}
	defer cur.Close(ctx)
	for cur.Next(ctx) {
		var d clientDoc
		if err := cur.Decode(&d); err != nil {
			return dbErr("decode client", err)
		}
		if err := fn(d.Client); err != nil {
			return err
		}
	}
	return dbErr("list clients", cur.Err())
}

// List returns every client f selects, in client ID order.
func (r *Registry) List(ctx context.Context, f Filter) ([]Client, error) {
	var out []Client
	err := r.Each(ctx, f, func(c Client) error { out = append(out, c); return nil })
	return out, err
}
