package billing

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"

	"turno/clients"
	"turno/config"
	"turno/mailout"
	"turno/templates"
)

func isDup(err error) bool { return mongo.IsDuplicateKeyError(err) }

// mailInvoices enqueues invoice_issued for those of ids that are numbered
// and not yet mailed, then marks them mailed. Keys
// "invoice:<id>:issued:<recipient>" make a repeat enqueue nothing new. The
// unmailed markers of those already mailed (a rerun marked them again
// before its insert found them there) are cleared.
func (s *Service) mailInvoices(ctx context.Context, ids []string, n counts) error {
	all, err := s.invoicesByID(ctx, ids, nil)
	if err != nil {
		return fmt.Errorf("find invoices to mail: %w", err)
	}
	return s.mailUnmailed(ctx, all, n)
}

// mailPending mails every numbered invoice an earlier run left unmailed:
// those the invoice_unmailed markers name (markers.go), each read by _id.
func (s *Service) mailPending(ctx context.Context, n counts) error {
	if err := s.ensureUpgraded(ctx); err != nil {
		return err
	}
	all, err := s.markedInvoices(ctx, s.unmailed(), nil)
	if err != nil {
		return fmt.Errorf("find unmailed invoices: %w", err)
	}
	sort.Slice(all, func(i, j int) bool { return all[i].ID < all[j].ID })
	return s.mailUnmailed(ctx, all, n)
}

// mailUnmailed mails those of all that are numbered and not mailed and
// clears the markers of those already mailed; unnumbered ones keep theirs.
func (s *Service) mailUnmailed(ctx context.Context, all []Invoice, n counts) error {
	invs := make([]Invoice, 0, len(all))
	var mailed []string
	for _, inv := range all {
		switch {
		case inv.Number > 0 && !inv.Mailed:
			invs = append(invs, inv)
		case inv.Mailed:
			mailed = append(mailed, inv.ID)
		}
	}
	if err := s.clearMarkers(ctx, s.unmailed(), mailed); err != nil {
		return err
	}
	return s.mailEach(ctx, invs, n)
}

func (s *Service) mailEach(ctx context.Context, invs []Invoice, n counts) error {
	if len(invs) == 0 {
		return nil
	}
	cache := map[string]*clients.Client{}
	done := make([]string, 0, len(invs))
	var firstErr error
	for i := range invs {
		inv := &invs[i]
		if s.dteOnIssue() {
			// The tax document first: the invoice is mailed with it, or
			// not at all while it is pending, refused or failed.
			done, err := s.ensureDTE(ctx, inv, config.DTEOnIssue, "")
			if err != nil {
				if firstErr == nil {
					firstErr = err
				}
				continue
			}
			if !done || inv.DTE.Status != DTEOK {
				n["dte_waiting"]++
				continue
			}
		}
		cl, err := s.client(ctx, inv.ClientID, cache)
		if err == nil {
			err = s.mailInvoice(ctx, inv, cl, n)
		}
		if err != nil {
			if firstErr == nil {
				firstErr = err
			}
			continue
		}
		done = append(done, inv.ID)
	}
	// One update per invoice by exact _id: a $in filter scans (see
	// invoicesByID) and a bulk write of 100 or more hangs the embedded store.
	for _, id := range done {
		if _, err := s.invoices.UpdateOne(ctx, bson.D{{Key: "_id", Value: id}},
			bson.D{{Key: "$set", Value: bson.D{{Key: "mailed", Value: true}}}}); err != nil {
			return fmt.Errorf("mark invoice %s mailed: %w", id, err)
		}
	}
	// Only now, with mailed written, the markers go.
	if err := s.clearMarkers(ctx, s.unmailed(), done); err != nil {
		return err
	}
	return firstErr
}

// mailInvoice enqueues one invoice to the principal address and every
// address to notify, unless the client switched invoice mail off.
func (s *Service) mailInvoice(ctx context.Context, inv *Invoice, cl *clients.Client, n counts) error {
	if !cl.Mail.Invoice {
		n["mail_off"]++
		return nil
	}
	var files []mailout.Attachment
	loc := s.opts.Location
	issue, _ := time.ParseInLocation(time.DateOnly, inv.IssueDate, loc)
	due, _ := time.ParseInLocation(time.DateOnly, inv.DueDate, loc)
	data := s.invoiceMail(inv)
	data.IssueDate, data.DueDate = issue, due
	if inv.DTE != nil && inv.DTE.Status == DTEOK {
		a, td, err := s.taxDocument(ctx, inv)
		if err != nil {
			return err
		}
		files, data.TaxDocuments = append(files, a), append(data.TaxDocuments, td)
	}
	// A factura is the tax document itself: Turno's own rendering of it is
	// not sent beside it. A nota de cobro is (it says how to pay).
	if inv.series() != DocFactura || len(files) == 0 {
		pdf, err := s.RenderPDF(inv)
		if err != nil {
			return err
		}
		files = append([]mailout.Attachment{{Filename: pdfFilename(inv), ContentType: "application/pdf", Data: pdf}}, files...)
	}
	for _, to := range recipients(cl.Email, cl.NotifyEmails) {
		_, err := s.opts.Mailer.Enqueue(ctx, mailout.Message{
			Key:      "invoice:" + inv.ID + ":issued:" + to,
			Template: "invoice_issued", Lang: inv.Lang, Data: data, To: []string{to},
			Attachments: files,
			Priority:    mailout.PriorityBulk, AutoSubmitted: "auto-generated",
			ClientID: cl.ID, Kind: "invoice",
		})
		if err != nil {
			return fmt.Errorf("enqueue invoice %d to %s: %w", inv.Number, to, err)
		}
		n["mails"]++
	}
	return nil
}

// invoiceMail is invoice_issued's data from the invoice and, when it has
// one, its issuer snapshot (an invoice from before snapshots takes the
// payment link from the configuration, as it did).
func (s *Service) invoiceMail(inv *Invoice) templates.InvoiceIssued {
	d := templates.InvoiceIssued{
		Document: inv.Document, InvoiceNumber: inv.Number, PeriodLabel: periodLabel(inv.Period, inv.Lang),
		Net: inv.Net, Tax: inv.Tax, Total: inv.Total,
		ClientName: inv.Billing.RazonSocial, TaxID: displayTaxID(inv.Billing), PayURL: s.opts.Billing.PayURL,
	}
	if ex := inv.ExemptPart(); ex > 0 {
		d.Net, d.Exempt = inv.Net-ex, ex
	}
	if is := inv.Issuer; is != nil {
		d.PayURL, d.PortalURL = is.PayURL, is.PortalURL
		if b := is.Bank; b != nil {
			d.Bank = &templates.BankTransfer{Bank: b.Bank, AccountType: b.AccountTypeLabel(), AccountNumber: b.AccountNumber,
				Holder: b.Holder, HolderRUT: dottedRUT(b.HolderRUT), ReceiptsTo: b.ReceiptsTo}
		}
	}
	return d
}

// taxDocument is the stored tax document of inv as an attachment, and as
// the mail names it.
func (s *Service) taxDocument(ctx context.Context, inv *Invoice) (mailout.Attachment, templates.TaxDocument, error) {
	doc, err := s.DTEDocumentOf(ctx, inv.ID)
	if err != nil {
		return mailout.Attachment{}, templates.TaxDocument{}, err
	}
	title, file := "Factura electrónica", "factura-electronica"
	if doc.Type == DTETypeFacturaExenta {
		title, file = "Factura exenta electrónica", "factura-exenta-electronica"
	}
	return mailout.Attachment{Filename: fmt.Sprintf("%s-%d.pdf", file, doc.Folio), ContentType: "application/pdf", Data: doc.PDF},
		templates.TaxDocument{Title: title, Folio: doc.Folio, InvoiceNumber: inv.Number}, nil
}

// pdfFilename names the attached document: "nota-de-cobro-12.pdf",
// "factura-12.pdf" (and so invoices from before document types).
func pdfFilename(inv *Invoice) string {
	if inv.Document == DocNotaDeCobro {
		return fmt.Sprintf("nota-de-cobro-%d.pdf", inv.Number)
	}
	return fmt.Sprintf("factura-%d.pdf", inv.Number)
}

// recipients is principal then notify addresses, normalised, no repeats.
func recipients(principal string, notify []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, a := range append([]string{principal}, notify...) {
		a = strings.ToLower(strings.TrimSpace(a))
		if a != "" && !seen[a] {
			seen[a] = true
			out = append(out, a)
		}
	}
	return out
}

// displayTaxID formats a Chilean RUT with dots ("76.123.456-7"); other
// countries' IDs are shown as stored.
func displayTaxID(b clients.BillingData) string {
	if b.TaxCountry != "" && b.TaxCountry != "CL" {
		return b.TaxID
	}
	body, dv, ok := strings.Cut(b.TaxID, "-")
	if !ok {
		return b.TaxID
	}
	var sb strings.Builder
	for i, r := range body {
		if i > 0 && (len(body)-i)%3 == 0 {
			sb.WriteByte('.')
		}
		sb.WriteRune(r)
	}
	return sb.String() + "-" + dv
}
