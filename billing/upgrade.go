package billing

import (
	"context"
	"errors"
	"fmt"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// The one-time upgrade to markers and the client index.
//
// Invoices and contracts written before markers.go and clientindex.go have
// no markers and no index entries. The first time anything needs them
// (the cycle's repair steps, a client's reads, or UpgradeIndexes at start)
// the whole invoices and contracts collections are scanned once: a marker
// for every invoice still unnumbered or unmailed, every invoice and
// contract indexed under its client, every contract under its anchor day
// (dueindex.go). Only then is the flag
// {_id: "markers_v2", done_at} written to billing_flags, so a crash midway
// leaves no flag and the next call scans again (every write is an
// idempotent upsert). After the flag, every run is marker-only: one _id
// read of the flag per process, then nothing.
//
// Every writer of this version writes markers and index entries before
// its inserts, so the scan needs to catch only older data. A process of an
// older version still running beside this one after the flag is set would
// write invoices without them: upgrade every instance together.
const (
	FlagsCollection = "billing_flags"
	upgradeFlag     = "markers_v2" // v2: and billing_due_index
)

// UpgradeIndexes runs the one-time upgrade now if it has not run (the
// daemon may call it at start so the first cycle or portal page does not
// pay for the scan); otherwise it costs one _id read, once per process.
func (s *Service) UpgradeIndexes(ctx context.Context) error { return s.ensureUpgraded(ctx) }

func (s *Service) ensureUpgraded(ctx context.Context) error {
	if s.upgraded.Load() {
		return nil
	}
	s.upgradeMu.Lock()
	defer s.upgradeMu.Unlock()
	if s.upgraded.Load() {
		return nil
	}
	flags := s.opts.DB.Collection(FlagsCollection)
	err := flags.FindOne(ctx, bson.D{{Key: "_id", Value: upgradeFlag}}).Err()
	if err == nil {
		s.upgraded.Store(true)
		return nil
	}
	if !errors.Is(err, mongo.ErrNoDocuments) {
		return fmt.Errorf("read billing upgrade flag: %w", err)
	}
	n, err := s.reconcileIndexes(ctx)
	if err != nil {
		return err
	}
	if _, err := flags.UpdateOne(ctx, bson.D{{Key: "_id", Value: upgradeFlag}},
		bson.D{{Key: "$set", Value: bson.D{{Key: "done_at", Value: s.opts.Clock.Now().UTC()}}}},
		options.UpdateOne().SetUpsert(true)); err != nil {
		return fmt.Errorf("write billing upgrade flag: %w", err)
	}
	s.upgraded.Store(true)
	s.opts.Logger.Info("billing markers and client index built from existing data",
		"invoices", n["invoices"], "unnumbered", n["unnumbered"], "unmailed", n["unmailed"], "contracts", n["contracts"])
	return nil
}

// reconcileIndexes scans invoices and contracts once and writes the
// markers and index entries they need. Results are read whole before
// writing (an open cursor holds one of the embedded store's connections).
func (s *Service) reconcileIndexes(ctx context.Context) (counts, error) {
	n := counts{}
	cur, err := s.invoices.Find(ctx, bson.D{}, options.Find().SetProjection(bson.D{
		{Key: "client_id", Value: 1}, {Key: "number", Value: 1}, {Key: "mailed", Value: 1}}))
	if err != nil {
		return n, fmt.Errorf("upgrade: scan invoices: %w", err)
	}
	var invs []Invoice
	if err := cur.All(ctx, &invs); err != nil {
		return n, fmt.Errorf("upgrade: scan invoices: %w", err)
	}
	var unnumbered, unmailed []string
	byClient := map[string][]string{}
	for _, inv := range invs {
		if inv.Number == 0 {
			unnumbered = append(unnumbered, inv.ID)
		}
		if !inv.Mailed {
			unmailed = append(unmailed, inv.ID)
		}
		byClient[inv.ClientID] = append(byClient[inv.ClientID], inv.ID)
	}
	n["invoices"], n["unnumbered"], n["unmailed"] = len(invs), len(unnumbered), len(unmailed)
	if err := s.putMarkers(ctx, s.unnumbered(), unnumbered); err != nil {
		return n, err
	}
	if err := s.putMarkers(ctx, s.unmailed(), unmailed); err != nil {
		return n, err
	}
	for cl, ids := range byClient {
		if err := s.indexUnder(ctx, cl, "invoices", ids); err != nil {
			return n, err
		}
	}
	cur, err = s.contracts.Find(ctx, bson.D{}, options.Find().SetProjection(bson.D{{Key: "client_id", Value: 1}, {Key: "anchor_day", Value: 1}}))
	if err != nil {
		return n, fmt.Errorf("upgrade: scan contracts: %w", err)
	}
	var cs []Contract
	if err := cur.All(ctx, &cs); err != nil {
		return n, fmt.Errorf("upgrade: scan contracts: %w", err)
	}
	n["contracts"] = len(cs)
	contractsOf := map[string][]string{}
	byDay := map[int][]string{}
	for _, c := range cs {
		contractsOf[c.ClientID] = append(contractsOf[c.ClientID], c.ID)
		byDay[c.AnchorDay] = append(byDay[c.AnchorDay], c.ID)
	}
	for day, ids := range byDay {
		if err := s.indexDue(ctx, day, ids); err != nil {
			return n, err
		}
	}
	for cl, ids := range contractsOf {
		if err := s.indexUnder(ctx, cl, "contracts", ids); err != nil {
			return n, err
		}
	}
	return n, nil
}
