package portal

import (
	"errors"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"turno/billing"
	"turno/mailin/parse/payreport"
	"turno/templates"
	"turno/tickets"
	"turno/web"
)

// Reportar pago: the customer says they paid some of their unpaid
// invoices; tickets.OpenPaymentReport opens a ticket in the payments
// department holding the report, for an agent to confirm.

// payMethods are the methods offered, in order (payreport's names).
var payMethods = []string{payreport.MethodTransfer, payreport.MethodDeposit, payreport.MethodWebpay, payreport.MethodCash,
	payreport.MethodCheque, payreport.MethodMercadoPago, payreport.MethodTenpo, payreport.MethodMach}

// payBanks are the banks offered (the names payreport reads from mail).
var payBanks = []string{"BancoEstado", "Banco de Chile", "Santander", "BCI", "Scotiabank", "Itaú", "BICE", "Security",
	"Falabella", "Ripley", "Consorcio", "Internacional", "Coopeuch"}

type payInvoice struct {
	Number              int64
	Title, Due, Balance string
	Checked, Overdue    bool
	ID                  string // the checkbox's id
}

type payView struct {
	Invoices                []payInvoice
	Methods, Banks          []deptOption
	Amount, Date, Operation string
	Today                   string
	Nonce                   string
	MaxMB                   int
	Errors                  map[string]string
}

// pagoForm is what the customer entered.
type pagoForm struct {
	invoices                              []int64
	amount, method, bank, date, operation string
}

func readPagoForm(r *http.Request) pagoForm {
	f := pagoForm{amount: strings.TrimSpace(r.PostForm.Get("amount")), method: r.PostForm.Get("method"),
		bank: r.PostForm.Get("bank"), date: strings.TrimSpace(r.PostForm.Get("date")),
		operation: strings.TrimSpace(r.PostForm.Get("operation"))}
	for _, v := range r.PostForm["invoice"] {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n <= 0 {
			n = -1 // kept: a bad value is refused, not ignored
		}
		if !slices.Contains(f.invoices, n) {
			f.invoices = append(f.invoices, n)
		}
	}
	return f
}

func (p *Portal) payView(r *http.Request, unpaid []billing.Invoice, f pagoForm, errs map[string]string) payView {
	lang := web.Lang(r)
	v := payView{Amount: f.amount, Date: f.date, Operation: f.operation, Errors: errs, MaxMB: MaxUpload >> 20,
		Nonce: r.PostForm.Get("nonce"), Today: p.Site.Clock().Now().In(chile).Format("2006-01-02")}
	if v.Nonce == "" {
		v.Nonce = nonce()
	}
	if v.Date == "" {
		v.Date = v.Today
	}
	if f.amount == "" && f.invoices == nil && len(unpaid) == 1 {
		v.Amount = strings.TrimPrefix(templates.Money(unpaid[0].Balance()), "$") // what the one preselected invoice owes
	}
	for _, inv := range unpaid {
		v.Invoices = append(v.Invoices, payInvoice{Number: inv.Number, Title: billing.DocumentTitle(inv.Document, lang),
			Due: dateText(lang, inv.DueDate), Balance: templates.Money(inv.Balance()), Overdue: inv.DueDate != "" && inv.DueDate < v.Today,
			Checked: slices.Contains(f.invoices, inv.Number) || len(unpaid) == 1 && f.invoices == nil,
			ID:      "invoice-" + strconv.FormatInt(inv.Number, 10)})
	}
	method := f.method
	if method == "" {
		method = payreport.MethodTransfer
	}
	for _, m := range payMethods {
		v.Methods = append(v.Methods, deptOption{Value: m, Label: p.Site.T(r, "pay.method."+m), Selected: m == method})
	}
	v.Banks = append(v.Banks, deptOption{Value: "", Label: p.Site.T(r, "pay.bank.none"), Selected: f.bank == ""})
	for _, b := range payBanks {
		v.Banks = append(v.Banks, deptOption{Value: b, Label: b, Selected: b == f.bank})
	}
	return v
}

// unpaidInvoices are the session client's invoices with a balance, oldest
// first.
func (p *Portal) unpaidInvoices(r *http.Request, clientID string) ([]billing.Invoice, error) {
	invs, _, err := p.billing.ClientInvoices(r.Context(), clientID)
	if err != nil {
		return nil, err
	}
	var out []billing.Invoice
	for _, inv := range invs {
		if inv.Number > 0 && inv.Balance() > 0 {
			out = append(out, inv)
		}
	}
	return out, nil
}

// pagoPage is the Reportar pago form over the client's unpaid invoices.
func (p *Portal) pagoPage(w http.ResponseWriter, r *http.Request) {
	s := p.mustSession(w, r)
	if s == nil {
		return
	}
	unpaid, err := p.unpaidInvoices(r, s.SubjectID)
	if err != nil {
		p.internal(w, r, "unpaid invoices", err)
		return
	}
	p.Site.Render(w, r, http.StatusOK, "pago", p.payView(r, unpaid, pagoForm{}, map[string]string{}))
}

// reportPago checks the form (the invoices must be the session client's
// unpaid ones; the receipt a PDF, JPEG or PNG by its bytes, at most
// MaxUpload), stores the receipt once by hash and opens the report's
// ticket. Any error is shown beside its field and nothing is created.
func (p *Portal) reportPago(w http.ResponseWriter, r *http.Request) {
	s := p.mustSession(w, r)
	if s == nil {
		return
	}
	c := p.loadClient(w, r, s.SubjectID)
	if c == nil {
		return
	}
	unpaid, err := p.unpaidInvoices(r, c.ID)
	if err != nil {
		p.internal(w, r, "unpaid invoices", err)
		return
	}
	f := readPagoForm(r)
	errs := map[string]string{}
	rep := payreport.Report{Invoices: f.invoices}
	for _, n := range f.invoices {
		if !slices.ContainsFunc(unpaid, func(inv billing.Invoice) bool { return inv.Number == n }) {
			errs["invoices"] = p.Site.T(r, "pay.error.invoices.other")
		}
	}
	if len(f.invoices) == 0 {
		errs["invoices"] = p.Site.T(r, "pay.error.invoices")
	}
	if amount, ok := parseAmount(f.amount); ok {
		rep.Amount = &amount
	} else {
		errs["amount"] = p.Site.T(r, "pay.error.amount")
	}
	if !slices.Contains(payMethods, f.method) {
		errs["method"] = p.Site.T(r, "pay.error.method")
	} else {
		rep.Method = &f.method
	}
	if f.bank != "" {
		if !slices.Contains(payBanks, f.bank) {
			errs["bank"] = p.Site.T(r, "pay.error.bank")
		} else {
			rep.Bank = &f.bank
		}
	}
	if d, ok := parseDate(f.date, p.Site.Clock().Now().In(chile)); ok {
		rep.Date = &d
	} else {
		errs["date"] = p.Site.T(r, "pay.error.date")
	}
	if len(f.operation) > 60 {
		errs["operation"] = p.Site.T(r, "pay.error.operation")
	} else if f.operation != "" {
		rep.Operation = &f.operation
	}
	up, uerr := readUpload(r, "receipt")
	switch {
	case errors.Is(uerr, errUploadSize):
		errs["receipt"] = p.Site.T(r, uerr.Error(), MaxUpload>>20)
	case uerr != nil:
		errs["receipt"] = p.Site.T(r, uerr.Error())
	}
	if len(errs) > 0 {
		p.log.Info("portal: payment report refused", "client", c.ID, "fields", len(errs))
		p.Site.Render(w, r, http.StatusUnprocessableEntity, "pago", p.payView(r, unpaid, f, errs))
		return
	}
	var receipt *tickets.Receipt
	if up != nil {
		if receipt, err = p.storeUpload(r, up); err != nil {
			p.internal(w, r, "store receipt", err)
			return
		}
	}
	from, name := s.writer(c)
	doc, err := p.tickets.OpenPaymentReport(r.Context(), tickets.PortalCustomer{ClientID: c.ID, From: from, Name: name,
		Nonce: r.PostForm.Get("nonce")}, rep, receipt)
	if field, _, ok := p.fieldError(r, err); ok {
		errs[field] = p.Site.T(r, "pay.error."+field)
		p.Site.Render(w, r, http.StatusUnprocessableEntity, "pago", p.payView(r, unpaid, f, errs))
		return
	}
	if err != nil {
		p.internal(w, r, "open payment report", err)
		return
	}
	p.log.Info("portal: payment reported", "client", c.ID, "ticket", doc.Ticket, "amount", *rep.Amount)
	http.Redirect(w, r, Prefix+"/tickets/"+strconv.FormatInt(doc.Ticket, 10)+"?n=reported", http.StatusSeeOther)
}

// parseAmount reads whole pesos as Chileans write them: 45990, 45.990,
// $45.990, $ 45.990.-, CLP 45.990, 45.990 pesos, 45.990,00. Cents other
// than zero, a misplaced thousands point or zero are refused.
func parseAmount(s string) (int64, bool) {
	s = strings.ToLower(strings.TrimSpace(s))
	s = strings.TrimPrefix(s, "clp")
	s = strings.TrimSuffix(s, "pesos")
	s = strings.TrimSuffix(strings.TrimSpace(s), ".-")
	s = strings.TrimSuffix(s, "-")
	s = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(s), "$"))
	if whole, cents, ok := strings.Cut(s, ","); ok {
		if cents == "" || len(cents) > 2 || strings.Trim(cents, "0") != "" {
			return 0, false
		}
		s = whole
	}
	if strings.Contains(s, ".") {
		parts := strings.Split(s, ".")
		if len(parts[0]) == 0 || len(parts[0]) > 3 {
			return 0, false
		}
		for _, g := range parts[1:] {
			if len(g) != 3 {
				return 0, false
			}
		}
		s = strings.Join(parts, "")
	}
	if s == "" || len(s) > 12 || strings.Trim(s, "0123456789") != "" {
		return 0, false
	}
	v, err := strconv.ParseInt(s, 10, 64)
	return v, err == nil && v > 0
}

// parseDate reads the payment's date (the date field's YYYY-MM-DD, or
// DD-MM-YYYY / DD/MM/YYYY typed by hand); a date after today is refused.
func parseDate(s string, now time.Time) (string, bool) {
	for _, layout := range []string{"2006-01-02", "02-01-2006", "02/01/2006", "2/1/2006", "2-1-2006"} {
		if t, err := time.Parse(layout, s); err == nil {
			d := t.Format("2006-01-02")
			return d, d <= now.Format("2006-01-02") && t.Year() >= 2000
		}
	}
	return "", false
}

// receiptFile serves the receipt of the payment report on the session
// client's ticket n as a download; another client's ticket, a ticket
// without one, or a report read from mail (whose receipt is inside the
// customer's own mail) is 404.
func (p *Portal) receiptFile(w http.ResponseWriter, r *http.Request) {
	s := p.mustSession(w, r)
	if s == nil {
		return
	}
	n := ticketNumber(r)
	if n == 0 {
		p.Site.Error(w, r, http.StatusNotFound)
		return
	}
	rep, err := p.tickets.ClientPaymentReport(r.Context(), s.SubjectID, n)
	if errors.Is(err, tickets.ErrNotFound) || err == nil && (rep.Receipt == nil || rep.Source != "portal" || rep.Receipt.Ref != rep.Receipt.SHA256) {
		p.Site.Error(w, r, http.StatusNotFound)
		return
	}
	if err != nil {
		p.internal(w, r, "payment report", err)
		return
	}
	p.serveStored(w, r, rep.Receipt)
}
