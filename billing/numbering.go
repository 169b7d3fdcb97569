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

// counterID is the document that owns a document type's number series.
// Each type has its own: a nota de cobro does not use up a factura's
// number. The nota de cobro series keeps the name the one series had
// before document types, so an installation's numbering goes on unbroken.
func counterID(doc string) string {
	if doc == DocNotaDeCobro || doc == "" {
		return "invoice_number"
	}
	return "invoice_number:" + doc
}

// counter is {_id, last, first, block, document, issuer}: numbers
// first..last of the series were handed to the invoices in block, in
// order, issued as document by issuer (the snapshot taken when the block
// was claimed, so completing a block again writes the same snapshot).
// Before the counter moves past a block, every invoice in it carries its
// number (see assignNumbers). A block claimed before document types has no
// document and no issuer: completing it writes the number only.
type counter struct {
	ID       string   `bson:"_id"`
	Last     int64    `bson:"last"`
	First    int64    `bson:"first"`
	Block    []string `bson:"block"`
	Document string   `bson:"document,omitempty"`
	Issuer   *Issuer  `bson:"issuer,omitempty"`
}

// assignNumbers gives the next numbers of the configured document type's
// series, in the given order, to those of ids that have none yet (number 0:
// inserted, not issued), and with the number the document type and the
// issuer snapshot. Without transactions it keeps the sequence free of gaps
// and repeats:
//
//  0. complete the last block of every other series (a block left
//     incomplete before the document type was switched keeps its numbers);
//  1. read the counter;
//  2. complete its current block: set number first+i on block[i] — a
//     claimer that crashed after moving the counter is finished here by
//     whoever comes next;
//  3. re-read ids and keep those still without a number (one that was in
//     the block just completed drops out);
//  4. move the counter with a compare-and-set on last: {last: L} →
//     {last: L+k, first: L+1, block: remaining}; if someone moved it
//     first, start again at 1;
//  5. complete the new block.
//
// Every number the counter ever passed belongs to exactly one invoice that
// exists (invoices are inserted before they are numbered), and it is written
// on that invoice before the counter moves again, so numbers are issued
// without holes even when a process dies between any two steps.
func (s *Service) assignNumbers(ctx context.Context, ids []string) (int, error) {
	assigned := 0
	doc := s.document()
	for attempt := 0; ; attempt++ {
		if attempt > 1000 {
			return assigned, errors.New("assign invoice numbers: too much contention on the counter")
		}
		if err := s.completeOthers(ctx, doc); err != nil {
			return assigned, err
		}
		c, err := s.readCounter(ctx, doc)
		if err != nil {
			return assigned, err
		}
		if err := s.completeBlock(ctx, c); err != nil {
			return assigned, err
		}
		remaining, err := s.stillNumbering(ctx, ids)
		if err != nil || len(remaining) == 0 {
			return assigned, err
		}
		next := counter{ID: c.ID, Last: c.Last + int64(len(remaining)), First: c.Last + 1, Block: remaining,
			Document: doc, Issuer: s.issuer()}
		res, err := s.counters.UpdateOne(ctx, bson.D{{Key: "_id", Value: c.ID}, {Key: "last", Value: c.Last}},
			bson.D{{Key: "$set", Value: bson.D{{Key: "last", Value: next.Last}, {Key: "first", Value: next.First},
				{Key: "block", Value: next.Block}, {Key: "document", Value: next.Document}, {Key: "issuer", Value: next.Issuer}}}})
		if err != nil {
			return assigned, fmt.Errorf("claim invoice numbers: %w", err)
		}
		if res.MatchedCount == 0 {
			continue // another process moved the counter: complete its block, retry
		}
		if err := s.completeBlock(ctx, next); err != nil {
			return assigned, err
		}
		return assigned + len(remaining), nil
	}
}

// readCounter reads a series' counter, creating it at 0.
func (s *Service) readCounter(ctx context.Context, doc string) (counter, error) {
	c, found, err := s.peekCounter(ctx, doc)
	if err != nil || found {
		return c, err
	}
	c = counter{ID: counterID(doc), Block: []string{}}
	if _, err := s.counters.InsertOne(ctx, c); err != nil && !mongo.IsDuplicateKeyError(err) {
		return c, fmt.Errorf("create %s counter: %w", doc, err)
	}
	return s.readCounter(ctx, doc)
}

// peekCounter reads a series' counter, if it exists.
func (s *Service) peekCounter(ctx context.Context, doc string) (counter, bool, error) {
	var c counter
	err := s.counters.FindOne(ctx, bson.D{{Key: "_id", Value: counterID(doc)}}).Decode(&c)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return c, false, nil
	}
	if err != nil {
		return c, false, fmt.Errorf("read %s counter: %w", doc, err)
	}
	return c, true, nil
}

// completeOthers completes the last block of every series but doc's.
func (s *Service) completeOthers(ctx context.Context, doc string) error {
	for _, d := range documentTypes {
		if d == doc {
			continue
		}
		c, found, err := s.peekCounter(ctx, d)
		if err != nil {
			return err
		}
		if found {
			if err := s.completeBlock(ctx, c); err != nil {
				return err
			}
		}
	}
	return nil
}

// completeBlock writes each block member's number. The filter is the _id
// alone (the embedded store reads by _id only when the filter is exactly
// that, else it scans): rewriting a number is harmless because a block's
// members get their numbers from that block and no other.
func (s *Service) completeBlock(ctx context.Context, c counter) error {
	if len(c.Block) == 0 {
		return nil
	}
	// One update per invoice, not a bulk write: the embedded store
	// (FerretDB 1.24, SQLite) holds a connection per statement until a bulk
	// command ends and deadlocks at 100 of them.
	for i, id := range c.Block {
		set := bson.D{{Key: "number", Value: c.First + int64(i)}}
		if c.Issuer != nil {
			set = append(set, bson.E{Key: "document", Value: c.Document}, bson.E{Key: "issuer", Value: c.Issuer})
		}
		_, err := s.invoices.UpdateOne(ctx, bson.D{{Key: "_id", Value: id}}, bson.D{{Key: "$set", Value: set}})
		if err != nil {
			return fmt.Errorf("write invoice numbers %d-%d: %w", c.First, c.Last, err)
		}
	}
	return nil
}

// stillNumbering returns those of ids whose invoice has no number yet, in
// the order given.
func (s *Service) stillNumbering(ctx context.Context, ids []string) ([]string, error) {
	invs, err := s.invoicesByID(ctx, ids, bson.D{{Key: "number", Value: 1}})
	if err != nil {
		return nil, fmt.Errorf("find unnumbered invoices: %w", err)
	}
	out := make([]string, 0, len(invs))
	for _, inv := range invs {
		if inv.Number == 0 {
			out = append(out, inv.ID)
		}
	}
	return out, nil
}

// invoicesByID reads the invoices with these _ids, in the order given,
// skipping missing ones, one lookup each. The embedded store uses its _id
// index only for a filter that is exactly {_id: X}; a $in over a batch
// scans the whole collection, which made every batch of the cycle cost
// a pass over all invoices ever issued. proj nil reads whole documents.
func (s *Service) invoicesByID(ctx context.Context, ids []string, proj bson.D) ([]Invoice, error) {
	opts := options.FindOne()
	if proj != nil {
		opts.SetProjection(proj)
	}
	out := make([]Invoice, 0, len(ids))
	seen := make(map[string]bool, len(ids))
	for _, id := range ids {
		if seen[id] {
			continue
		}
		seen[id] = true
		var inv Invoice
		err := s.invoices.FindOne(ctx, bson.D{{Key: "_id", Value: id}}, opts).Decode(&inv)
		if errors.Is(err, mongo.ErrNoDocuments) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("read invoice %s: %w", id, err)
		}
		out = append(out, inv)
	}
	return out, nil
}

// repairNumbering numbers every invoice a crash left without one, oldest
// first, after completing the counter's last block. It reads the
// invoice_unnumbered markers (markers.go) and each marked invoice by _id,
// never the invoices collection by number, and clears the markers of the
// invoices that are numbered.
func (s *Service) repairNumbering(ctx context.Context) (int, error) {
	if err := s.ensureUpgraded(ctx); err != nil {
		return 0, err
	}
	invs, err := s.markedInvoices(ctx, s.unnumbered(),
		bson.D{{Key: "number", Value: 1}, {Key: "created_at", Value: 1}})
	if err != nil {
		return 0, fmt.Errorf("find invoices left unnumbered: %w", err)
	}
	sort.Slice(invs, func(i, j int) bool {
		if !invs[i].CreatedAt.Equal(invs[j].CreatedAt) {
			return invs[i].CreatedAt.Before(invs[j].CreatedAt)
		}
		return invs[i].ID < invs[j].ID
	})
	var ids, numbered []string
	for _, inv := range invs {
		if inv.Number == 0 {
			ids = append(ids, inv.ID)
		} else {
			numbered = append(numbered, inv.ID)
		}
	}
	k := 0
	if len(ids) == 0 {
		doc := s.document()
		if err := s.completeOthers(ctx, doc); err != nil {
			return 0, err
		}
		c, err := s.readCounter(ctx, doc)
		if err != nil {
			return 0, err
		}
		if err := s.completeBlock(ctx, c); err != nil {
			return 0, err
		}
	} else if k, err = s.assignNumbers(ctx, ids); err != nil {
		return k, err
	}
	// Every id is numbered now (assignNumbers numbered those that were not).
	return k, s.clearMarkers(ctx, s.unnumbered(), append(numbered, ids...))
}
