package billing

import (
	"context"
	"errors"
	"fmt"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// CycleDoneCollection remembers, per anchor day, the contracts whose
// invoice for the current period is complete (inserted, its charges
// settled, numbered, its mail enqueued). Another run of the cycle on a day
// already billed (a catch-up, `turno jobs run billing-cycle`, a restart
// after a crash midway) skips them without reading them: with 50,000
// clients about 1,800 contracts are listed under each day, and a rerun
// read every one (and rebuilt the invoiced ones) only to find nothing to
// do (bench/soak: 0.7-1.4 s per run). Contracts that ended before the day
// are not recorded here: they leave the day's list (dueindex.go).
//
//	billing_cycle_done {_id: "d07" (anchor day), period: "2026-12", contracts: [contract _ids]}
//
// One document per anchor day (at most 31): a new period replaces the
// list. A contract is written only after the work it names is done, so a
// lost write (a crash, two writers) costs a rerun its full, idempotent
// work and never skips a contract that still needs it. EndContract takes
// the contract off the list before and after it moves the end (undone):
// the version before this one also listed ended contracts here, and one
// of those whose end moves past the day must be billed this period.
const CycleDoneCollection = "billing_cycle_done"

type cycleDoneDoc struct {
	ID        string   `bson:"_id"`
	Period    string   `bson:"period"`
	Contracts []string `bson:"contracts"`
}

func (s *Service) cycleDone() *mongo.Collection { return s.opts.DB.Collection(CycleDoneCollection) }

// doneFor is the set of anchor day a's contracts whose invoice for period
// is complete (nil when none are known).
func (s *Service) doneFor(ctx context.Context, a int, period string) (map[string]bool, error) {
	var doc cycleDoneDoc
	err := s.cycleDone().FindOne(ctx, bson.D{{Key: "_id", Value: dueKey(a)}}).Decode(&doc)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read contracts billed on anchor day %d: %w", a, err)
	}
	if doc.Period != period {
		return nil, nil
	}
	done := make(map[string]bool, len(doc.Contracts))
	for _, id := range doc.Contracts {
		done[id] = true
	}
	return done, nil
}

// markDone records contracts (by anchor day) as complete for period: added
// to that period's list, or starting it when the day's list is an earlier
// period's (or there is none); a later period's list is left as it is.
func (s *Service) markDone(ctx context.Context, period string, byAnchor map[int][]string) error {
	for a, ids := range byAnchor {
		res, err := s.cycleDone().UpdateOne(ctx, bson.D{{Key: "_id", Value: dueKey(a)}, {Key: "period", Value: period}},
			bson.D{{Key: "$addToSet", Value: bson.D{{Key: "contracts", Value: bson.D{{Key: "$each", Value: ids}}}}}})
		if err != nil {
			return fmt.Errorf("record contracts billed on anchor day %d: %w", a, err)
		}
		if res.MatchedCount > 0 {
			continue
		}
		// A catch-up for an earlier period leaves a later period's list.
		var cur cycleDoneDoc
		err = s.cycleDone().FindOne(ctx, bson.D{{Key: "_id", Value: dueKey(a)}}).Decode(&cur)
		if err != nil && !errors.Is(err, mongo.ErrNoDocuments) {
			return fmt.Errorf("read contracts billed on anchor day %d: %w", a, err)
		}
		if cur.Period > period {
			continue
		}
		if _, err := s.cycleDone().ReplaceOne(ctx, bson.D{{Key: "_id", Value: dueKey(a)}},
			cycleDoneDoc{ID: dueKey(a), Period: period, Contracts: ids}, options.Replace().SetUpsert(true)); err != nil {
			return fmt.Errorf("record contracts billed on anchor day %d: %w", a, err)
		}
	}
	return nil
}

// undone takes contract id off anchor day a's list (whatever the period),
// so the next run reads it again.
func (s *Service) undone(ctx context.Context, a int, id string) error {
	if _, err := s.cycleDone().UpdateOne(ctx, bson.D{{Key: "_id", Value: dueKey(a)}},
		bson.D{{Key: "$pull", Value: bson.D{{Key: "contracts", Value: id}}}}); err != nil {
		return fmt.Errorf("forget contract %s as billed on anchor day %d: %w", id, a, err)
	}
	return nil
}
