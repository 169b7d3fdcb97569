package billing

import (
	"context"
	"errors"
	"fmt"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// Work markers: what the cycle's repair steps read instead of scanning
// the invoices.
//
//	invoice_unnumbered {_id: invoice _id, at}
//	invoice_unmailed   {_id: invoice _id, at}
//
// Each set is a superset of the invoices that need that work: both markers
// are upserted (at = now) before the invoice is inserted (markInvoices), an
// unnumbered marker is deleted only after the invoice's number is written,
// an unmailed one only after mailed: true is written. A number and mailed
// are never taken back, so a marker whose invoice has them is stale and is
// deleted whoever sees it; a crash between any two steps leaves a marker
// the next run reads. Readers (repairNumbering, mailPending) read the small
// marker collection, then each invoice by exact _id, and do the work the
// invoice itself says it needs.
//
// A marker whose invoice does not exist is a crash between the marker and
// the insert (or a writer about to insert). It is deleted once it is
// markerGrace old, conditionally on its at: a writer refreshes at before
// every insert, so a marker being written again is never deleted under it.
const (
	UnnumberedCollection = "invoice_unnumbered"
	UnmailedCollection   = "invoice_unmailed"
)

// markerGrace is how old a marker pointing at no invoice must be before it
// is dropped.
const markerGrace = 24 * time.Hour

type invoiceMarker struct {
	ID string    `bson:"_id"`
	At time.Time `bson:"at"`
}

func (s *Service) unnumbered() *mongo.Collection { return s.opts.DB.Collection(UnnumberedCollection) }
func (s *Service) unmailed() *mongo.Collection   { return s.opts.DB.Collection(UnmailedCollection) }

// markInvoices records, before invs are inserted, that they need numbering
// and mailing, and indexes them under their clients.
func (s *Service) markInvoices(ctx context.Context, invs []*Invoice) error {
	byClient := map[string][]string{}
	var order []string
	ids := make([]string, 0, len(invs))
	for _, inv := range invs {
		if _, ok := byClient[inv.ClientID]; !ok {
			order = append(order, inv.ClientID)
		}
		byClient[inv.ClientID] = append(byClient[inv.ClientID], inv.ID)
		ids = append(ids, inv.ID)
	}
	for _, cl := range order {
		if err := s.indexUnder(ctx, cl, "invoices", byClient[cl]); err != nil {
			return err
		}
	}
	for _, coll := range []*mongo.Collection{s.unnumbered(), s.unmailed()} {
		if err := s.putMarkers(ctx, coll, ids); err != nil {
			return err
		}
	}
	return nil
}

// putMarkers upserts a marker per id, at = now. Unordered bulks of exact-_id
// upserts; the store caps each command at 99 statements.
func (s *Service) putMarkers(ctx context.Context, coll *mongo.Collection, ids []string) error {
	if len(ids) == 0 {
		return nil
	}
	now := s.opts.Clock.Now().UTC()
	models := make([]mongo.WriteModel, 0, len(ids))
	for _, id := range ids {
		models = append(models, mongo.NewUpdateOneModel().SetFilter(bson.D{{Key: "_id", Value: id}}).
			SetUpdate(bson.D{{Key: "$set", Value: bson.D{{Key: "at", Value: now}}}}).SetUpsert(true))
	}
	if _, err := coll.BulkWrite(ctx, models, options.BulkWrite().SetOrdered(false)); err != nil {
		return fmt.Errorf("write %s markers: %w", coll.Name(), err)
	}
	return nil
}

// clearMarkers deletes the markers of ids, whose work is durably done.
func (s *Service) clearMarkers(ctx context.Context, coll *mongo.Collection, ids []string) error {
	if len(ids) == 0 {
		return nil
	}
	models := make([]mongo.WriteModel, 0, len(ids))
	for _, id := range ids {
		models = append(models, mongo.NewDeleteOneModel().SetFilter(bson.D{{Key: "_id", Value: id}}))
	}
	if _, err := coll.BulkWrite(ctx, models, options.BulkWrite().SetOrdered(false)); err != nil {
		return fmt.Errorf("clear %s markers: %w", coll.Name(), err)
	}
	return nil
}

// readMarkers reads a whole marker collection (small: the work left).
func (s *Service) readMarkers(ctx context.Context, coll *mongo.Collection) ([]invoiceMarker, error) {
	cur, err := coll.Find(ctx, bson.D{})
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", coll.Name(), err)
	}
	var out []invoiceMarker
	if err := cur.All(ctx, &out); err != nil {
		return nil, fmt.Errorf("read %s: %w", coll.Name(), err)
	}
	return out, nil
}

// markedInvoices reads the invoices a marker collection names, by _id one
// at a time (proj nil: whole documents), and drops the markers that point
// at no invoice and are markerGrace old.
func (s *Service) markedInvoices(ctx context.Context, coll *mongo.Collection, proj bson.D) ([]Invoice, error) {
	ms, err := s.readMarkers(ctx, coll)
	if err != nil {
		return nil, err
	}
	opts := options.FindOne()
	if proj != nil {
		opts.SetProjection(proj)
	}
	out := make([]Invoice, 0, len(ms))
	for _, m := range ms {
		var inv Invoice
		err := s.invoices.FindOne(ctx, bson.D{{Key: "_id", Value: m.ID}}, opts).Decode(&inv)
		if errors.Is(err, mongo.ErrNoDocuments) {
			if err := s.dropOrphan(ctx, coll, m); err != nil {
				return nil, err
			}
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("read invoice %s: %w", m.ID, err)
		}
		out = append(out, inv)
	}
	return out, nil
}

// dropOrphan deletes a marker whose invoice does not exist once it is
// markerGrace old, only if nobody rewrote it since it was read (a filter
// beyond _id scans, but only this small collection, and only for orphans).
func (s *Service) dropOrphan(ctx context.Context, coll *mongo.Collection, m invoiceMarker) error {
	if s.opts.Clock.Now().Sub(m.At) < markerGrace {
		return nil
	}
	if _, err := coll.DeleteOne(ctx, bson.D{{Key: "_id", Value: m.ID}, {Key: "at", Value: m.At}}); err != nil {
		return fmt.Errorf("drop %s marker %s: %w", coll.Name(), m.ID, err)
	}
	s.opts.Logger.Info("dropped a marker of an invoice never inserted", "collection", coll.Name(), "invoice_id", m.ID)
	return nil
}
