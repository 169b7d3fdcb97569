package billing

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"turno/scheduler"
)

// DueIndexCollection lists the contracts of each anchor day, so the
// cycle's dueContracts reads at most four documents by _id and then each
// listed contract by _id, instead of filtering every contract ever made on
// anchor_day (a scan on the embedded store that grows with the years:
// contracts end, they are not deleted).
//
//	billing_due_index {_id: "d07" (anchor day), contracts: [contract _ids]}
//
// A superset, like billing_client_index: a contract is added before it is
// inserted (AddContract) and again before its end moves (EndContract), and
// the cycle checks each contract it reads. A contract whose end is more
// than dueKeepAfterEnd before the cycle's date can bill no more (the
// scheduler catches up far less than that), so the cycle pulls it from its
// day; moving its end again adds it back. An id naming no contract (a
// crash between the add and the insert) is skipped, never pulled: its
// insert may still be on its way. Contracts from before the index are
// added by the one-time upgrade (upgrade.go). Anchor days never change.
const DueIndexCollection = "billing_due_index"

// dueKeepAfterEnd is how long after its end a contract stays listed.
const dueKeepAfterEnd = 92 // days

type dueIndexDoc struct {
	ID        string   `bson:"_id"`
	Contracts []string `bson:"contracts"`
}

func (s *Service) dueIndex() *mongo.Collection { return s.opts.DB.Collection(DueIndexCollection) }

func dueKey(anchorDay int) string { return "d" + fmt.Sprintf("%02d", anchorDay) }

// indexDue adds contract ids to their anchor day.
func (s *Service) indexDue(ctx context.Context, anchorDay int, ids []string) error {
	if len(ids) == 0 {
		return nil
	}
	_, err := s.dueIndex().UpdateOne(ctx, bson.D{{Key: "_id", Value: dueKey(anchorDay)}},
		bson.D{{Key: "$addToSet", Value: bson.D{{Key: "contracts", Value: bson.D{{Key: "$each", Value: ids}}}}}},
		options.UpdateOne().SetUpsert(true))
	if err != nil {
		return fmt.Errorf("index contracts of anchor day %d: %w", anchorDay, err)
	}
	return nil
}

// dueCandidates reads the contracts listed under d's anchor days, by _id
// and in _id order, pulling those long ended; those a run on d's period
// already finished with (cycledone.go) are only counted, not read. It
// returns, by anchor day, the contracts read that ended before d: nothing
// of d's period is theirs to bill, so the caller may record them done.
func (s *Service) dueCandidates(ctx context.Context, d scheduler.Date) (out []Contract, ended map[int][]string, skipped int, err error) {
	if err := s.ensureUpgraded(ctx); err != nil {
		return nil, nil, 0, err
	}
	cutoff := d.AddDays(-dueKeepAfterEnd).String()
	for _, a := range AnchorsFor(d) {
		var doc dueIndexDoc
		err := s.dueIndex().FindOne(ctx, bson.D{{Key: "_id", Value: dueKey(a)}}).Decode(&doc)
		if errors.Is(err, mongo.ErrNoDocuments) {
			continue
		}
		if err != nil {
			return nil, nil, 0, fmt.Errorf("read contracts of anchor day %d: %w", a, err)
		}
		done, err := s.doneFor(ctx, a, PeriodOf(d))
		if err != nil {
			return nil, nil, 0, err
		}
		var gone []string
		for _, id := range doc.Contracts {
			if done[id] {
				skipped++
				continue
			}
			var c Contract
			err := s.contracts.FindOne(ctx, bson.D{{Key: "_id", Value: id}}).Decode(&c)
			if errors.Is(err, mongo.ErrNoDocuments) {
				continue // its insert may be on its way: never pulled
			}
			if err != nil {
				return nil, nil, 0, fmt.Errorf("read contract %s: %w", id, err)
			}
			if c.AnchorDay != a {
				continue
			}
			if c.End != "" && c.End < cutoff {
				gone = append(gone, id)
				continue
			}
			if c.End != "" && c.End < d.String() {
				if ended == nil {
					ended = map[int][]string{}
				}
				ended[a] = append(ended[a], id)
				continue
			}
			out = append(out, c)
		}
		if err := s.pullEnded(ctx, a, gone, cutoff); err != nil {
			return nil, nil, 0, err
		}
	}
	slices.SortFunc(out, func(x, y Contract) int { return strings.Compare(x.ID, y.ID) })
	return out, ended, skipped, nil
}

// pullEnded drops long-ended contracts from anchor day a, then reads each
// again and adds back any whose end moved meanwhile: EndContract adds the
// contract before and after it moves the end, so whichever of the two
// runs last leaves it listed.
func (s *Service) pullEnded(ctx context.Context, a int, ids []string, cutoff string) error {
	if len(ids) == 0 {
		return nil
	}
	if _, err := s.dueIndex().UpdateOne(ctx, bson.D{{Key: "_id", Value: dueKey(a)}},
		bson.D{{Key: "$pullAll", Value: bson.D{{Key: "contracts", Value: ids}}}}); err != nil {
		return fmt.Errorf("drop ended contracts of anchor day %d: %w", a, err)
	}
	var back []string
	for _, id := range ids {
		var c Contract
		if err := s.contracts.FindOne(ctx, bson.D{{Key: "_id", Value: id}}).Decode(&c); err != nil {
			return fmt.Errorf("read contract %s again: %w", id, err)
		}
		if c.End == "" || c.End >= cutoff {
			back = append(back, id)
		}
	}
	return s.indexDue(ctx, a, back)
}
