package billing

import (
	"context"
	"errors"
	"fmt"
	"sort"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"turno/clients"
	"turno/scheduler"
)

// CycleJob is the billing cycle's name in the scheduler.
const CycleJob = "billing-cycle"

// counts are a run's tallies, recorded with the run.
type counts map[string]int

// Cycle is the daily billing job for r.Date: a plain loop that can stop at
// any point and be rerun, every step idempotent.
//
//  1. repair: number invoices a crash left unnumbered;
//  2. holds: bill held periods whose client's data are now complete;
//  3. due contracts, in batches: skip clients that are inactive or not
//     billed, hold contracts of clients with incomplete billing data,
//     insert one invoice per contract and period (_id contract|period:
//     a rerun inserts nothing new), number the batch, mail it;
//  4. mail whatever earlier runs numbered but did not mail;
//  5. with a DTE issuer, do the tax document requests that are due
//     (dte.go): on_issue mails wait for them.
func (s *Service) Cycle(ctx context.Context, r scheduler.Run) (map[string]int, error) {
	if err := s.wired(); err != nil {
		return nil, err
	}
	n := counts{}
	if !r.DryRun {
		k, err := s.repairNumbering(ctx)
		n["repaired"] = k
		if err != nil {
			return n, err
		}
		if err := s.retryHolds(ctx, r.Date, "", n); err != nil {
			return n, err
		}
	}
	var errs []error
	cache := map[string]*clients.Client{}
	err := s.dueContracts(ctx, r.Date, r.DryRun, func(batch []Contract) error {
		n["due"] += len(batch)
		if r.DryRun {
			return s.describe(ctx, r, batch, cache, n)
		}
		done, berrs := s.issueBatch(ctx, r.Date, batch, cache, n)
		errs = append(errs, berrs...)
		if err := s.markDone(ctx, PeriodOf(r.Date), byAnchor(batch, done)); err != nil {
			errs = append(errs, err)
		}
		return ctx.Err()
	}, n)
	if err != nil {
		return n, err
	}
	if !r.DryRun {
		if err := s.mailPending(ctx, n); err != nil {
			return n, err
		}
		// The tax documents due (the cycle is leader-only): on_issue
		// mails each invoice as soon as its document is there.
		k, err := s.ProcessDTE(ctx)
		for key, v := range k {
			n["dte_"+key] += v
		}
		if err != nil {
			errs = append(errs, err)
		}
	}
	if len(errs) > 0 {
		return n, fmt.Errorf("billing cycle %s: %d contracts failed, first: %w", r.Date, len(errs), errs[0])
	}
	return n, nil
}

// dueContracts reads the contracts that bill on d and hands them to fn in
// batches. It reads them all first: on the embedded store an open cursor
// holds one of SQLite's few connections, and batches write while they run.
// Contracts a run on d's period already finished with are counted in
// n["already_done"] and skipped; unless dry, those it reads that ended
// before d leave the day's list (dueindex.go), so a rerun does not read
// them again.
func (s *Service) dueContracts(ctx context.Context, d scheduler.Date, dry bool, fn func([]Contract) error, n counts) error {
	all, skipped, err := s.dueCandidates(ctx, d, !dry) // dueindex.go: by _id, not a scan
	if err != nil {
		return fmt.Errorf("find contracts due %s: %w", d, err)
	}
	if skipped > 0 {
		n["already_done"] += skipped
	}
	batch := make([]Contract, 0, s.opts.BatchSize)
	for _, c := range all {
		if !c.billsOn(d) {
			continue
		}
		batch = append(batch, c)
		if len(batch) == s.opts.BatchSize {
			if err := fn(batch); err != nil {
				return err
			}
			batch = make([]Contract, 0, s.opts.BatchSize)
		}
	}
	if len(batch) > 0 {
		return fn(batch)
	}
	return nil
}

// client reads a client once per cycle.
func (s *Service) client(ctx context.Context, id string, cache map[string]*clients.Client) (*clients.Client, error) {
	if c, ok := cache[id]; ok {
		return c, nil
	}
	c, err := s.opts.Clients.Get(ctx, id)
	if err != nil {
		return nil, fmt.Errorf("read client %s: %w", id, err)
	}
	cache[id] = c
	return c, nil
}

// issueBatch issues, numbers and mails one batch; it returns the contracts
// whose invoice is now complete and per-contract errors (the loop goes on),
// and stops only on ctx's end.
func (s *Service) issueBatch(ctx context.Context, d scheduler.Date, batch []Contract, cache map[string]*clients.Client, n counts) (done []string, errs []error) {
	var docs []*Invoice
	var ids, invoiced []string
	for _, c := range batch {
		cl, err := s.client(ctx, c.ClientID, cache)
		if err != nil {
			errs = append(errs, err)
			n["errors"]++
			continue
		}
		if !cl.Active || !cl.BillingEnabled {
			n["skipped_client"]++
			continue
		}
		if ps := cl.Billing.Check(); len(ps) > 0 {
			if err := s.hold(ctx, c, PeriodOf(d), d, cl, ps); err != nil {
				errs = append(errs, err)
			}
			n["held"]++
			continue
		}
		inv, err := s.newInvoice(ctx, c, cl, PeriodOf(d), d)
		if err != nil {
			errs = append(errs, err)
			n["errors"]++
			continue
		}
		docs = append(docs, inv)
		ids = append(ids, inv.ID)
		invoiced = append(invoiced, c.ID)
	}
	if len(docs) == 0 {
		return nil, errs
	}
	inserted, err := s.insertInvoices(ctx, docs)
	n["invoiced"] += inserted
	if err != nil {
		return nil, append(errs, err)
	}
	unsettled := map[string]bool{}
	for _, c := range batch {
		if err := s.settleCharges(ctx, c, InvoiceID(c.ID, PeriodOf(d))); err != nil {
			errs = append(errs, err)
			unsettled[c.ID] = true
		}
	}
	k, err := s.assignNumbers(ctx, ids)
	n["numbered"] += k
	if err != nil {
		return nil, append(errs, err)
	}
	// Every invoice of ids exists and is numbered now.
	if err := s.clearMarkers(ctx, s.unnumbered(), ids); err != nil {
		return nil, append(errs, err)
	}
	if err := s.mailInvoices(ctx, ids, n); err != nil {
		return nil, append(errs, err)
	}
	for _, id := range invoiced {
		if !unsettled[id] {
			done = append(done, id)
		}
	}
	return done, errs
}

// byAnchor groups the contracts of batch named in ids by anchor day.
func byAnchor(batch []Contract, ids []string) map[int][]string {
	if len(ids) == 0 {
		return nil
	}
	want := make(map[string]bool, len(ids))
	for _, id := range ids {
		want[id] = true
	}
	out := map[int][]string{}
	for _, c := range batch {
		if want[c.ID] {
			out[c.AnchorDay] = append(out[c.AnchorDay], c.ID)
		}
	}
	return out
}

// newInvoice builds the invoice document, unnumbered, with snapshots.
func (s *Service) newInvoice(ctx context.Context, c Contract, cl *clients.Client, period string, issue scheduler.Date) (*Invoice, error) {
	_, ufCents, err := s.amountsOn(ctx, c, issue)
	if err != nil {
		return nil, err
	}
	lines, a, err := s.linesFor(c, period, ufCents)
	if err != nil {
		return nil, err
	}
	bd, _ := cl.Billing.Normalized() // Check passed: cannot fail
	inv := &Invoice{
		ID: InvoiceID(c.ID, period), Status: StatusUnpaid, ClientID: c.ClientID, ContractID: c.ID,
		Period: period, IssueDate: issue.String(), DueDate: issue.AddDays(s.opts.Billing.DueDays).String(),
		Billing: bd, Contract: c, Lang: cl.Lang, Amounts: a, Lines: lines, CreatedAt: s.opts.Clock.Now().UTC(),
	}
	if c.Currency == UF {
		inv.UFRate = float64(ufCents) / 100
	}
	return inv, nil
}

// insertInvoices inserts unordered; existing ones (a rerun) are not errors.
// Their markers and client index entries are written first (markers.go):
// a crash after that leaves markers the next run repairs or drops.
func (s *Service) insertInvoices(ctx context.Context, invs []*Invoice) (int, error) {
	if err := s.markInvoices(ctx, invs); err != nil {
		return 0, err
	}
	docs := make([]any, len(invs))
	for i, inv := range invs {
		docs[i] = inv
	}
	res, err := s.invoices.InsertMany(ctx, docs, options.InsertMany().SetOrdered(false))
	inserted := 0
	if res != nil {
		inserted = len(res.InsertedIDs)
	}
	var bwe mongo.BulkWriteException
	if errors.As(err, &bwe) && bwe.WriteConcernError == nil {
		for _, we := range bwe.WriteErrors {
			if we.Code != 11000 {
				return inserted, fmt.Errorf("insert invoices: %w", err)
			}
		}
		return len(docs) - len(bwe.WriteErrors), nil
	}
	if err != nil {
		return inserted, fmt.Errorf("insert invoices: %w", err)
	}
	return inserted, nil
}

// describe prints what a real run would do with batch, changing nothing.
func (s *Service) describe(ctx context.Context, r scheduler.Run, batch []Contract, cache map[string]*clients.Client, n counts) error {
	sort.Slice(batch, func(i, j int) bool { return batch[i].ID < batch[j].ID })
	for _, c := range batch {
		id := InvoiceID(c.ID, PeriodOf(r.Date))
		cl, err := s.client(ctx, c.ClientID, cache)
		switch {
		case err != nil:
			fmt.Fprintf(r.Out, "%s: error: %v\n", c.ID, err)
		case !cl.Active && !cl.BillingEnabled:
			fmt.Fprintf(r.Out, "%s: skip: client %s is inactive (and its billing is off)\n", c.ID, cl.ID)
		case !cl.Active:
			fmt.Fprintf(r.Out, "%s: skip: client %s is inactive\n", c.ID, cl.ID)
		case !cl.BillingEnabled: // the default for a new client: say how to turn it on
			fmt.Fprintf(r.Out, "%s: skip: billing is off for client %s (billing_enabled=false; turno clients edit %s --set billing_enabled=true)\n",
				c.ID, cl.ID, cl.ID)
		case len(cl.Billing.Check()) > 0:
			fmt.Fprintf(r.Out, "%s: hold: client %s has incomplete billing data\n", c.ID, cl.ID)
			n["held"]++
		default:
			if err := s.invoices.FindOne(ctx, bson.D{{Key: "_id", Value: id}}).Err(); err == nil {
				fmt.Fprintf(r.Out, "%s: already invoiced (%s)\n", c.ID, id)
				continue
			}
			a, _, err := s.amountsOn(ctx, c, r.Date)
			if err != nil {
				fmt.Fprintf(r.Out, "%s: error: %v\n", c.ID, err)
				continue
			}
			fmt.Fprintf(r.Out, "%s: invoice %s net %d tax %d total %d\n", c.ID, id, a.Net, a.Tax, a.Total)
			n["invoiced"]++
		}
	}
	return nil
}
