package billing

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

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
	if err := s.addToList(ctx, dueKey(anchorDay), ids); err != nil {
		return fmt.Errorf("index contracts of anchor day %d: %w", anchorDay, err)
	}
	return nil
}

// addToList adds entries to the due index's list key (a day's, or a
// month's of ended contracts), creating it.
func (s *Service) addToList(ctx context.Context, key string, entries []string) error {
	if len(entries) == 0 {
		return nil
	}
	_, err := s.dueIndex().UpdateOne(ctx, bson.D{{Key: "_id", Value: key}},
		bson.D{{Key: "$addToSet", Value: bson.D{{Key: "contracts", Value: bson.D{{Key: "$each", Value: entries}}}}}},
		options.UpdateOne().SetUpsert(true))
	return err
}

// dueCandidates reads the contracts listed under d's anchor days, by _id
// and in _id order, pulling those long ended; those a run on d's period
// already finished with (cycledone.go) are only counted, not read. With
// move (a run that writes, for a day not after today), the contracts it
// reads that ended before d leave the day's list for their end month's
// (endedKey): nothing of d's period or later is theirs to bill, and the
// day's list stays as short as its live contracts, which a rerun reads
// whole. A run for an earlier day reads back those that ended on or after
// it from the months' lists.
func (s *Service) dueCandidates(ctx context.Context, d scheduler.Date, move bool) (out []Contract, skipped int, err error) {
	if err := s.ensureUpgraded(ctx); err != nil {
		return nil, 0, err
	}
	today := scheduler.DateOf(s.opts.Clock.Now(), s.opts.Location)
	move = move && !today.Before(d)
	cutoff := d.AddDays(-dueKeepAfterEnd).String()
	for _, a := range AnchorsFor(d) {
		var doc dueIndexDoc
		err := s.dueIndex().FindOne(ctx, bson.D{{Key: "_id", Value: dueKey(a)}}).Decode(&doc)
		if err != nil && !errors.Is(err, mongo.ErrNoDocuments) {
			return nil, 0, fmt.Errorf("read contracts of anchor day %d: %w", a, err)
		}
		live := len(doc.Contracts)
		ids, err := s.endedSince(ctx, a, d, today, doc.Contracts)
		if err != nil {
			return nil, 0, err
		}
		if len(ids) == 0 {
			continue
		}
		done, err := s.doneFor(ctx, a, PeriodOf(d))
		if err != nil {
			return nil, 0, err
		}
		var gone []string
		ended := map[string]string{} // id -> the end read, moving to its month's list
		for i, id := range ids {
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
				return nil, 0, fmt.Errorf("read contract %s: %w", id, err)
			}
			if c.AnchorDay != a {
				continue
			}
			if c.End != "" && c.End < cutoff {
				if i < live {
					gone = append(gone, id)
				}
				continue
			}
			if c.End != "" && c.End < d.String() {
				if i < live && move {
					ended[id] = c.End
				}
				continue
			}
			out = append(out, c)
		}
		if err := s.unlist(ctx, a, gone, func(c Contract) bool { return c.End == "" || c.End >= cutoff }); err != nil {
			return nil, 0, err
		}
		if move {
			if err := s.moveEnded(ctx, a, d, ended); err != nil {
				return nil, 0, err
			}
		}
	}
	slices.SortFunc(out, func(x, y Contract) int { return strings.Compare(x.ID, y.ID) })
	return out, skipped, nil
}

// endedKey names the list of anchor day a's contracts that left the day's
// list having ended in month ("2026-10"):
//
//	billing_due_index {_id: "d07e2026-10", contracts: ["2026-10-03|contract _id", …]}
//
// Each entry carries the end the cycle read, so a run skips those that
// ended before its day without reading them. An end moved later is listed
// on the day again (EndContract); an entry left behind only costs a read.
func endedKey(a int, month string) string { return dueKey(a) + "e" + month }

// endedSince is the day's list followed by the contracts of the months'
// lists, from d's month to today's, that ended on or after d (and are not
// on the day's list). A run for today reads one month's list, usually
// absent or short.
func (s *Service) endedSince(ctx context.Context, a int, d, today scheduler.Date, live []string) ([]string, error) {
	ids := live
	seen := make(map[string]bool, len(live))
	for _, id := range live {
		seen[id] = true
	}
	for m := PeriodOf(d); m <= PeriodOf(today); m = shiftMonth(m, 1) {
		var doc dueIndexDoc
		err := s.dueIndex().FindOne(ctx, bson.D{{Key: "_id", Value: endedKey(a, m)}}).Decode(&doc)
		if errors.Is(err, mongo.ErrNoDocuments) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("read contracts of anchor day %d ended in %s: %w", a, m, err)
		}
		for _, e := range doc.Contracts {
			end, id, ok := strings.Cut(e, "|")
			if ok && end >= d.String() && !seen[id] {
				seen[id] = true
				ids = append(ids, id)
			}
		}
	}
	return ids, nil
}

// shiftMonth is the month k months after m ("2026-12", 1 -> "2027-01").
func shiftMonth(m string, k int) string {
	t, err := time.Parse("2006-01", m)
	if err != nil {
		return "9999-99" // ends the caller's loop
	}
	return t.AddDate(0, k, 0).Format("2006-01")
}

// moveEnded lists the contracts in ended (id -> end) under their end
// months, then takes them off anchor day a's list, then reads each again
// and lists back on the day any whose end moved meanwhile (EndContract
// lists a contract on its day before and after it moves the end, so
// whichever runs last leaves it there). It also drops the month's list
// that ended five months before d's: every end in it is more than
// dueKeepAfterEnd days before d.
func (s *Service) moveEnded(ctx context.Context, a int, d scheduler.Date, ended map[string]string) error {
	if len(ended) > 0 {
		byMonth := map[string][]string{}
		ids := make([]string, 0, len(ended))
		for id, end := range ended {
			byMonth[end[:7]] = append(byMonth[end[:7]], end+"|"+id)
			ids = append(ids, id)
		}
		slices.Sort(ids)
		for m, es := range byMonth {
			slices.Sort(es)
			if err := s.addToList(ctx, endedKey(a, m), es); err != nil {
				return fmt.Errorf("list contracts of anchor day %d ended in %s: %w", a, m, err)
			}
		}
		if err := s.unlist(ctx, a, ids, func(c Contract) bool { return c.End != ended[c.ID] }); err != nil {
			return err
		}
	}
	old := shiftMonth(PeriodOf(d), -5)
	if _, err := s.dueIndex().DeleteOne(ctx, bson.D{{Key: "_id", Value: endedKey(a, old)}}); err != nil {
		return fmt.Errorf("drop contracts of anchor day %d ended in %s: %w", a, old, err)
	}
	return nil
}

// unlist takes ids off anchor day a's list, then reads each again and
// lists back those keep says must stay (their end moved meanwhile):
// EndContract lists a contract before and after it moves the end, so
// whichever of the two runs last leaves it listed.
func (s *Service) unlist(ctx context.Context, a int, ids []string, keep func(Contract) bool) error {
	if len(ids) == 0 {
		return nil
	}
	if _, err := s.dueIndex().UpdateOne(ctx, bson.D{{Key: "_id", Value: dueKey(a)}},
		bson.D{{Key: "$pullAll", Value: bson.D{{Key: "contracts", Value: ids}}}}); err != nil {
		return fmt.Errorf("take contracts off anchor day %d: %w", a, err)
	}
	var back []string
	for _, id := range ids {
		var c Contract
		if err := s.contracts.FindOne(ctx, bson.D{{Key: "_id", Value: id}}).Decode(&c); err != nil {
			return fmt.Errorf("read contract %s again: %w", id, err)
		}
		if keep(c) {
			back = append(back, id)
		}
	}
	return s.indexDue(ctx, a, back)
}
