package portal

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"turno/billing"
	"turno/templates"
	"turno/web"
)

type invoiceRow struct {
	Number                 int64
	Title, Description     string
	Issued, Due            string
	Total, Balance, Status string // Status: a message key
	Unpaid, Overdue        bool
	PDF                    string
	DTE                    string // the tax document's PDF, or ""
}

type facturasView struct {
	Unpaid, Paid []invoiceRow
	Owed         string
	OwesNothing  bool
	CanReport    bool // Reportar pago is served
}

func dateText(lang, ymd string) string {
	t, err := time.Parse("2006-01-02", ymd)
	if err != nil {
		return ymd
	}
	return templates.Date(lang, t)
}

// facturas lists the session client's unpaid and paid invoices with the
// total owed, each with its PDF.
func (p *Portal) facturas(w http.ResponseWriter, r *http.Request) {
	s := p.mustSession(w, r)
	if s == nil {
		return
	}
	invs, owed, err := p.billing.ClientInvoices(r.Context(), s.SubjectID)
	if err != nil {
		p.internal(w, r, "invoices", err)
		return
	}
	lang := web.Lang(r)
	today := p.Site.Clock().Now().In(chile).Format("2006-01-02")
	v := facturasView{Owed: templates.Money(owed), OwesNothing: owed <= 0, CanReport: p.tickets != nil}
	for i := len(invs) - 1; i >= 0; i-- { // newest first
		inv := invs[i]
		row := invoiceRow{Number: inv.Number, Title: billing.DocumentTitle(inv.Document, lang),
			Description: inv.Contract.Description, Issued: dateText(lang, inv.IssueDate), Due: dateText(lang, inv.DueDate),
			Total: templates.Money(inv.Total), Balance: templates.Money(inv.Balance()),
			PDF: Prefix + "/facturas/" + strconv.FormatInt(inv.Number, 10) + ".pdf"}
		if hasDTE(&inv) {
			row.DTE = Prefix + "/facturas/" + strconv.FormatInt(inv.Number, 10) + "-dte.pdf"
		}
		if inv.Balance() > 0 {
			row.Unpaid, row.Status = true, "invoice.status.unpaid"
			if inv.DueDate != "" && inv.DueDate < today {
				row.Overdue, row.Status = true, "invoice.status.overdue"
			}
			v.Unpaid = append(v.Unpaid, row)
		} else {
			row.Status = "invoice.status.paid"
			v.Paid = append(v.Paid, row)
		}
	}
	p.Site.Render(w, r, http.StatusOK, "facturas", v)
}

var chile = func() *time.Location {
	if l, err := time.LoadLocation("America/Santiago"); err == nil {
		return l
	}
	return time.UTC
}()

// facturaPDF serves the PDF of the session client's invoice N
// (/portal/facturas/N.pdf) as a download; another client's number, or
// one that does not exist, is 404.
func (p *Portal) facturaPDF(w http.ResponseWriter, r *http.Request) {
	s := p.mustSession(w, r)
	if s == nil {
		return
	}
	num, ok := strings.CutSuffix(r.PathValue("file"), ".pdf")
	num, dte := strings.CutSuffix(num, "-dte")
	n, err := strconv.ParseInt(num, 10, 64)
	if !ok || err != nil || n <= 0 {
		p.Site.Error(w, r, http.StatusNotFound)
		return
	}
	if dte {
		p.dtePDF(w, r, s.SubjectID, n)
		return
	}
	pdf, name, err := p.billing.ClientInvoicePDF(r.Context(), s.SubjectID, n)
	if errors.Is(err, billing.ErrNotFound) {
		p.Site.Error(w, r, http.StatusNotFound)
		return
	}
	if err != nil {
		p.internal(w, r, "invoice pdf", err)
		return
	}
	w.Header().Set("Content-Type", "application/pdf")
	w.Header().Set("Content-Disposition", `attachment; filename="`+name+`"`)
	w.Header().Set("Content-Length", strconv.Itoa(len(pdf)))
	_, _ = w.Write(pdf)
}

// hasDTE reports whether the issuer answered invoice inv with a tax
// document (its PDF is then kept by billing).
func hasDTE(inv *billing.Invoice) bool { return inv.DTE != nil && inv.DTE.Status == billing.DTEOK }

// dtePDF serves the tax document (DTE) PDF of the client's invoice n
// (/portal/facturas/N-dte.pdf) as a download: scoped like the invoice's
// own PDF (another client's number is 404), and 404 while there is none.
func (p *Portal) dtePDF(w http.ResponseWriter, r *http.Request, clientID string, n int64) {
	inv, err := p.billing.ClientInvoice(r.Context(), clientID, n)
	var doc *billing.DTEDocument
	if err == nil {
		doc, err = p.billing.DTEDocumentOf(r.Context(), inv.ID)
	}
	if errors.Is(err, billing.ErrNotFound) || err == nil && len(doc.PDF) == 0 {
		p.Site.Error(w, r, http.StatusNotFound)
		return
	}
	if err != nil {
		p.internal(w, r, "tax document pdf", err)
		return
	}
	file := "factura-electronica" // named as the invoice mail names it
	if doc.Type == billing.DTETypeFacturaExenta {
		file = "factura-exenta-electronica"
	}
	name := fmt.Sprintf("%s-%d.pdf", file, doc.Folio)
	w.Header().Set("Content-Type", "application/pdf")
	w.Header().Set("Content-Disposition", `attachment; filename="`+name+`"`)
	w.Header().Set("Content-Length", strconv.Itoa(len(doc.PDF)))
	_, _ = w.Write(doc.PDF)
}
