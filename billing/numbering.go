package billing

import (
	"context"
	"errors"
	"fmt"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// counterID is the document that owns the invoice number sequence.
const counterID = "invoice_number"

// counter is {_id, last, first, block}: numbers first..last were handed to
// the invoices in block, in order. Before the counter moves past a block,
// every invoice in it carries its number (see assignNumbers).
type counter struct {
	ID    string   `bson:"_id"`
	Last  int64    `bson:"last"`
	First int64    `bson:"first"`
	Block []string `bson:"block"`
}

// assignNumbers gives the next numbers, in the given order, to those of ids
// that have none yet (number 0: inserted, not issued). Without transactions it keeps
// the sequence free of gaps and repeats:
//
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
	for attempt := 0; ; attempt++ {
		if attempt > 1000 {
			return assigned, errors.New("assign invoice numbers: too much contention on the counter")
		}
		c, err := s.readCounter(ctx)
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
		next := counter{ID: counterID, Last: c.Last + int64(len(remaining)), First: c.Last + 1, Block: remaining}
		res, err := s.counters.UpdateOne(ctx, bson.D{{Key: "_id", Value: counterID}, {Key: "last", Value: c.Last}},
			bson.D{{Key: "$set", Value: bson.D{{Key: "last", Value: next.Last}, {Key: "first", Value: next.First}, {Key: "block", Value: next.Block}}}})
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

func (s *Service) readCounter(ctx context.Context) (counter, error) {
	var c counter
	err := s.counters.FindOne(ctx, bson.D{{Key: "_id", Value: counterID}}).Decode(&c)
	if errors.Is(err, mongo.ErrNoDocuments) {
		c = counter{ID: counterID, Block: []string{}}
		if _, err := s.counters.InsertOne(ctx, c); err != nil && !mongo.IsDuplicateKeyError(err) {
			return c, fmt.Errorf("create invoice counter: %w", err)
		}
		return s.readCounter(ctx)
	}
	if err != nil {
		return c, fmt.Errorf("read invoice counter: %w", err)
	}
	return c, nil
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
		_, err := s.invoices.UpdateOne(ctx, bson.D{{Key: "_id", Value: id}},
			bson.D{{Key: "$set", Value: bson.D{{Key: "number", Value: c.First + int64(i)}}}})
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
// first, after completing the counter's last block.
func (s *Service) repairNumbering(ctx context.Context) (int, error) {
	cur, err := s.invoices.Find(ctx, bson.D{{Key: "number", Value: int64(0)}},
		options.Find().SetProjection(bson.D{{Key: "_id", Value: 1}}).SetSort(bson.D{{Key: "created_at", Value: 1}, {Key: "_id", Value: 1}}))
	if err != nil {
		return 0, fmt.Errorf("find invoices left unnumbered: %w", err)
	}
	var docs []struct {
		ID string `bson:"_id"`
	}
	if err := cur.All(ctx, &docs); err != nil {
		return 0, fmt.Errorf("read invoices left unnumbered: %w", err)
	}
	ids := make([]string, len(docs))
	for i, d := range docs {
		ids[i] = d.ID
	}
	if len(ids) == 0 {
		c, err := s.readCounter(ctx)
		if err != nil {
			return 0, err
		}
		return 0, s.completeBlock(ctx, c)
	}
	return s.assignNumbers(ctx, ids)
}
