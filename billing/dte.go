package billing

import (
	"context"
	"errors"
	"fmt"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"turno/config"
)

// The DTE issuer hook (billing.dte): Turno does not sign tax documents; the
// provider's DTE system does, and Turno hands it each invoice once and
// carries its answer to the customer.
//
//   - dte_requests {_id: invoice _id, key, trigger on_issue|on_payment,
//     payments, attempts, next_at, last_error, claimed_by, claimed_until,
//     created_at}: a request written before the issuer is called and
//     deleted once its outcome is on the invoice, so the collection holds
//     only the requests still to do (its scans stay small). The key is
//     "turno:<invoice _id>:<generation>": after a crash the issuer is asked
//     again with the same key and must answer the same folio.
//   - dte_documents {_id: invoice _id, folio, type, pdf, size, created_at}:
//     the tax document's PDF as the issuer answered it.
//   - invoices.dte {status ok|refused|failed, key, type, folio, message,
//     at, attempts}: the outcome, written by _id.
//
// One pass (ProcessDTE) reads the requests due, claims each one (a
// conditional update of its own document), calls the issuer, and records
// the outcome: ok stores the PDF then the outcome on the invoice; refused
// records the refusal; a transient failure (retry, exit status, timeout,
// unreadable answer) puts next_at off with backoff, and after
// maxDTEAttempts the request is recorded failed. Then the mail that waited
// for the outcome is enqueued: invoice_issued (on_issue) with the tax
// document attached, or payment_received (on_payment) with the tax
// documents of the invoices the payment paid off. A refused or failed
// document is never mailed as issued: on_issue leaves the invoice unmailed;
// on_payment confirms the payment without it. Operators see refusals in
// `turno invoices show`, the log and turno_dte_requests_total{result}.
//
// The cycle runs a pass at its end (it is leader-only); RunDTE is the
// leader-only loop (lease "billing-dte") that retries between cycles and
// serves payments.
const (
	DTERequestsCollection  = "dte_requests"
	DTEDocumentsCollection = "dte_documents"
)

// DTE outcomes recorded on an invoice.
const (
	DTEOK      = "ok"
	DTERefused = "refused"
	DTEFailed  = "failed" // transient failures until maxDTEAttempts
)

// SII document types.
const (
	DTETypeFactura       = 33 // factura electrónica
	DTETypeFacturaExenta = 34 // factura no afecta o exenta electrónica
)

// maxDTEAttempts bounds the retries of one request: with the backoff
// below, about a day.
const maxDTEAttempts = 30

// dteBackoff is the wait after the n-th failed attempt: 30 s doubling, at
// most an hour.
func dteBackoff(n int) time.Duration {
	d := 30 * time.Second
	for i := 1; i < n && d < time.Hour; i++ {
		d *= 2
	}
	return min(d, time.Hour)
}

// dteClaimTTL is how long a claimed request is left to its claimer: longer
// than a call may take.
func (s *Service) dteClaimTTL() time.Duration { return s.opts.Billing.DTE.Timeout.D() + time.Minute }

// InvoiceDTE is an invoice's tax document as the issuer answered.
type InvoiceDTE struct {
	Status   string    `bson:"status" json:"status"`
	Key      string    `bson:"key" json:"key"`
	Type     int       `bson:"type,omitempty" json:"type,omitempty"`
	Folio    int64     `bson:"folio,omitempty" json:"folio,omitempty"`
	Message  string    `bson:"message,omitempty" json:"message,omitempty"`
	Attempts int       `bson:"attempts" json:"attempts"`
	At       time.Time `bson:"at" json:"at"`
}

// DTERequest is a tax document still to obtain for an invoice.
type DTERequest struct {
	ID           string    `bson:"_id" json:"invoice_id"`
	Key          string    `bson:"key" json:"key"`
	Trigger      string    `bson:"trigger" json:"trigger"`
	Payments     []string  `bson:"payments,omitempty" json:"payments,omitempty"`
	Attempts     int       `bson:"attempts" json:"attempts"`
	NextAt       time.Time `bson:"next_at" json:"next_at"`
	LastError    string    `bson:"last_error,omitempty" json:"last_error,omitempty"`
	ClaimedBy    string    `bson:"claimed_by,omitempty" json:"-"`
	ClaimedUntil time.Time `bson:"claimed_until" json:"-"`
	CreatedAt    time.Time `bson:"created_at" json:"created_at"`
}

// DTEDocument is a stored tax document.
type DTEDocument struct {
	ID        string    `bson:"_id"`
	Type      int       `bson:"type"`
	Folio     int64     `bson:"folio"`
	PDF       []byte    `bson:"pdf"`
	CreatedAt time.Time `bson:"created_at"`
}

// DTEEnabled reports whether a DTE issuer is configured.
func (s *Service) DTEEnabled() bool { return s.opts.Billing.DTE.Enabled() }

func (s *Service) dteOnIssue() bool {
	return s.DTEEnabled() && s.opts.Billing.DTE.When == config.DTEOnIssue
}

func (s *Service) dteOnPayment() bool {
	return s.DTEEnabled() && s.opts.Billing.DTE.When != config.DTEOnIssue
}

// dteType is the SII type for the invoice: exempt (34) when nothing on it
// bears IVA, else 33.
func dteType(inv *Invoice) int {
	if inv.Net > 0 && inv.ExemptPart() == inv.Net {
		return DTETypeFacturaExenta
	}
	return DTETypeFactura
}

// ensureDTE writes the request for inv unless its outcome is recorded,
// adding payment (when not "") to the payments waiting for it. It reports
// whether the outcome is there (done).
func (s *Service) ensureDTE(ctx context.Context, inv *Invoice, trigger, payment string) (bool, error) {
	if inv.DTE != nil {
		return true, nil
	}
	now := s.opts.Clock.Now().UTC()
	update := bson.D{{Key: "$setOnInsert", Value: bson.D{
		{Key: "key", Value: "turno:" + inv.ID + ":1"}, {Key: "trigger", Value: trigger},
		{Key: "attempts", Value: 0}, {Key: "next_at", Value: now}, {Key: "claimed_until", Value: time.Time{}},
		{Key: "created_at", Value: now},
	}}}
	if payment != "" {
		update = append(update, bson.E{Key: "$addToSet", Value: bson.D{{Key: "payments", Value: payment}}})
	}
	_, err := s.dteRequests.UpdateOne(ctx, bson.D{{Key: "_id", Value: inv.ID}}, update, options.UpdateOne().SetUpsert(true))
	if err != nil && !mongo.IsDuplicateKeyError(err) {
		return false, fmt.Errorf("request the tax document of invoice %d: %w", inv.Number, err)
	}
	s.pokeDTE()
	return false, nil
}

// DTERequestOf is the pending request of an invoice, nil when there is none.
func (s *Service) DTERequestOf(ctx context.Context, invoiceID string) (*DTERequest, error) {
	var r DTERequest
	err := s.dteRequests.FindOne(ctx, bson.D{{Key: "_id", Value: invoiceID}}).Decode(&r)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read tax document request %s: %w", invoiceID, err)
	}
	return &r, nil
}

// DTEDocumentOf is the stored tax document of an invoice.
func (s *Service) DTEDocumentOf(ctx context.Context, invoiceID string) (*DTEDocument, error) {
	var d DTEDocument
	err := s.dteDocs.FindOne(ctx, bson.D{{Key: "_id", Value: invoiceID}}).Decode(&d)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return nil, fmt.Errorf("tax document of invoice %s: %w", invoiceID, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("read tax document of invoice %s: %w", invoiceID, err)
	}
	return &d, nil
}

// pokeDTE wakes this process's RunDTE loop, if it runs.
func (s *Service) pokeDTE() {
	select {
	case s.dteKick <- struct{}{}:
	default:
	}
}

// ProcessDTE does every request that is due: it calls the issuer, records
// the outcome and enqueues the mail that waited for it. Returned counts:
// ok, refused, failed, retry, skipped (claimed elsewhere or not due).
func (s *Service) ProcessDTE(ctx context.Context) (map[string]int, error) {
	n := counts{}
	if !s.DTEEnabled() {
		return n, nil
	}
	if err := s.wired(); err != nil {
		return n, err
	}
	cur, err := s.dteRequests.Find(ctx, bson.D{})
	if err != nil {
		return n, fmt.Errorf("find tax document requests: %w", err)
	}
	var reqs []DTERequest
	if err := cur.All(ctx, &reqs); err != nil {
		return n, fmt.Errorf("read tax document requests: %w", err)
	}
	var errs []error
	for i := range reqs {
		if err := s.processDTE(ctx, &reqs[i], n); err != nil {
			errs = append(errs, err)
			if ctx.Err() != nil {
				break
			}
		}
	}
	return n, errors.Join(errs...)
}

func (s *Service) processDTE(ctx context.Context, r *DTERequest, n counts) error {
	now := s.opts.Clock.Now().UTC()
	inv, err := s.invoice(ctx, r.ID)
	if err != nil {
		return err
	}
	if inv.DTE != nil { // recorded before a crash, or by a twin: finish
		return s.afterDTE(ctx, inv, r, n)
	}
	if r.NextAt.After(now) || r.ClaimedUntil.After(now) {
		n["skipped"]++
		return nil
	}
	// The claim: only this process calls the issuer for r until it expires.
	res, err := s.dteRequests.UpdateOne(ctx,
		bson.D{{Key: "_id", Value: r.ID}, {Key: "claimed_until", Value: r.ClaimedUntil}},
		bson.D{{Key: "$set", Value: bson.D{{Key: "claimed_until", Value: now.Add(s.dteClaimTTL())}, {Key: "claimed_by", Value: s.owner}}}})
	if err != nil {
		return fmt.Errorf("claim tax document request %s: %w", r.ID, err)
	}
	if res.MatchedCount == 0 {
		n["skipped"]++
		return nil
	}
	ans, callErr := s.callIssuer(ctx, dteRequestBody(inv, r, s.opts.Billing.DTE.When))
	if ctx.Err() != nil {
		return ctx.Err()
	}
	var pdf []byte
	if callErr == nil && ans.Status == "ok" {
		pdf, callErr = ans.document()
	}
	attempts := r.Attempts + 1
	out := &InvoiceDTE{Key: r.Key, Attempts: attempts, At: now}
	switch {
	case callErr == nil && ans.Status == "ok":
		out.Status, out.Type, out.Folio = DTEOK, ans.DTEType, ans.Folio
		if out.Type == 0 {
			out.Type = dteType(inv)
		}
		doc := DTEDocument{ID: inv.ID, Type: out.Type, Folio: out.Folio, PDF: pdf, CreatedAt: now}
		if _, err := s.dteDocs.ReplaceOne(ctx, bson.D{{Key: "_id", Value: inv.ID}}, doc, options.Replace().SetUpsert(true)); err != nil {
			return fmt.Errorf("store the tax document of invoice %d: %w", inv.Number, err)
		}
	case callErr == nil && ans.Status == "refused":
		out.Status, out.Message = DTERefused, orDefault(ans.Message, "refused without a reason")
	default:
		if callErr == nil {
			callErr = fmt.Errorf("the issuer asks to retry: %s", orDefault(ans.Message, "no reason given"))
		}
		if attempts < maxDTEAttempts {
			s.metrics.dte.WithLabelValues("retry").Inc()
			n["retry"]++
			s.opts.Logger.Warn("DTE issuer failed; retrying", "invoice", inv.Number, "invoice_id", inv.ID, "key", r.Key,
				"attempt", attempts, "next_in", dteBackoff(attempts).String(), "err", callErr)
			_, err := s.dteRequests.UpdateOne(ctx, bson.D{{Key: "_id", Value: r.ID}}, bson.D{{Key: "$set", Value: bson.D{
				{Key: "attempts", Value: attempts}, {Key: "next_at", Value: now.Add(dteBackoff(attempts))},
				{Key: "last_error", Value: callErr.Error()}, {Key: "claimed_until", Value: time.Time{}}}}})
			if err != nil {
				return fmt.Errorf("record the retry of tax document request %s: %w", r.ID, err)
			}
			return nil
		}
		out.Status, out.Message = DTEFailed, fmt.Sprintf("gave up after %d attempts: %v", attempts, callErr)
	}
	if _, err := s.invoices.UpdateOne(ctx, bson.D{{Key: "_id", Value: inv.ID}},
		bson.D{{Key: "$set", Value: bson.D{{Key: "dte", Value: out}}}}); err != nil {
		return fmt.Errorf("record the tax document of invoice %d: %w", inv.Number, err)
	}
	s.metrics.dte.WithLabelValues(out.Status).Inc()
	n[out.Status]++
	if out.Status == DTEOK {
		s.opts.Logger.Info("DTE issued", "invoice", inv.Number, "invoice_id", inv.ID, "type", out.Type, "folio", out.Folio, "key", r.Key)
	} else {
		s.opts.Logger.Error("DTE not issued: nothing is mailed as issued; see turno invoices show", "invoice", inv.Number,
			"invoice_id", inv.ID, "status", out.Status, "reason", out.Message, "key", r.Key)
	}
	inv.DTE = out
	return s.afterDTE(ctx, inv, r, n)
}

// afterDTE enqueues what waited for inv's outcome, then deletes the
// request. Each enqueue is idempotent by its key, so a crash between them
// repeats nothing. A payment that joined the request meanwhile (its
// payments grew) is confirmed too before the request goes.
func (s *Service) afterDTE(ctx context.Context, inv *Invoice, r *DTERequest, n counts) error {
	if r.Trigger == config.DTEOnIssue && inv.DTE.Status == DTEOK && !inv.Mailed {
		if err := s.mailEach(ctx, []Invoice{*inv}, n); err != nil {
			return err
		}
	}
	for range 5 {
		cur, err := s.DTERequestOf(ctx, r.ID)
		if err != nil || cur == nil {
			return err
		}
		for _, pid := range cur.Payments {
			p, err := s.payment(ctx, pid)
			if err != nil {
				return err
			}
			if p.Status == PaymentApplied {
				if err := s.confirm(ctx, p); err != nil {
					return err
				}
			}
		}
		same := bson.D{{Key: "$exists", Value: false}}
		if len(cur.Payments) > 0 {
			same = bson.D{{Key: "$size", Value: len(cur.Payments)}}
		}
		res, err := s.dteRequests.DeleteOne(ctx, bson.D{{Key: "_id", Value: r.ID}, {Key: "payments", Value: same}})
		if err != nil {
			return fmt.Errorf("close tax document request %s: %w", r.ID, err)
		}
		if res.DeletedCount == 1 {
			return nil
		}
	}
	return fmt.Errorf("close tax document request %s: it kept changing", r.ID)
}

func orDefault(s, d string) string {
	if s == "" {
		return d
	}
	return s
}
