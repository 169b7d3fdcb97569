package templates

import "time"

// InvoiceIssued ("invoice_issued") sends one billing document (attached as
// a PDF): one per contract and period. Amounts are whole Chilean pesos.
type InvoiceIssued struct {
	// Document is the document's type: "nota_de_cobro" (a payment request,
	// which the mail says is not a tax document) or "factura"; "" (a
	// document issued before types) reads as a factura, as it always did.
	Document      string    `json:"document"`
	InvoiceNumber int64     `json:"invoice_number"`
	PeriodLabel   string    `json:"period_label"` // e.g. "noviembre 2026", already in the mail's language
	IssueDate     time.Time `json:"issue_date"`
	DueDate       time.Time `json:"due_date"`
	Net           int64     `json:"net"`    // the taxed amount before IVA; 0 on an exempt document
	Tax           int64     `json:"tax"`    // IVA
	Exempt        int64     `json:"exempt"` // the amount exempt from IVA ("Monto exento")
	Total         int64     `json:"total"`
	ClientName    string    `json:"client_name"` // razón social, from the invoice's snapshot
	TaxID         string    `json:"tax_id"`      // formatted, e.g. "76.123.456-7"
	PayURL        string    `json:"pay_url"`     // where to pay online; empty shows no button
	// Bank is the account to transfer to, as printed on the document; nil
	// when none is configured (the mail then points to the document).
	Bank *BankTransfer `json:"bank,omitempty"`
	// PortalURL is the customer portal, where documents and payments are.
	PortalURL string `json:"portal_url"`
	// TaxDocuments are the electronic tax documents (DTE) attached, as the
	// provider's DTE system issued them; empty when none is.
	TaxDocuments []TaxDocument `json:"tax_documents,omitempty"`
}

// TaxDocument is an electronic tax document attached to a mail: its title
// ("Factura electrónica"), its SII folio and the document it is for.
type TaxDocument struct {
	Title         string `json:"title"`
	Folio         int64  `json:"folio"`
	InvoiceNumber int64  `json:"invoice_number"`
}

// NotaDeCobro reports whether the document is a nota de cobro.
func (d InvoiceIssued) NotaDeCobro() bool { return d.Document == "nota_de_cobro" }

// BankTransfer is the account a document asks to be paid into. Its values
// are shown as they are (AccountType in Spanish: "Cuenta corriente").
type BankTransfer struct {
	Bank          string `json:"bank"`
	AccountType   string `json:"account_type"`
	AccountNumber string `json:"account_number"`
	Holder        string `json:"holder"`
	HolderRUT     string `json:"holder_rut"`  // formatted, e.g. "76.543.210-3"
	ReceiptsTo    string `json:"receipts_to"` // where to send the receipt; empty: omitted
}

// InvoiceLine is one unpaid invoice in a collection note.
type InvoiceLine struct {
	Number  int64     `json:"number"`
	DueDate time.Time `json:"due_date"`
	Balance int64     `json:"balance"` // what is still owed on it
}

// CollectionNote ("collection_note") is a nota de cobro sent to the
// client's accounting contact until the invoices are paid.
type CollectionNote struct {
	ClientName string `json:"client_name"`
	// Stage is the number of days relative to the oldest due date:
	// negative before it (a reminder), 0 on the day, positive when overdue.
	Stage    int           `json:"stage"`
	Invoices []InvoiceLine `json:"invoices"`
	Total    int64         `json:"total"` // sum of the balances
	PayURL   string        `json:"pay_url"`
}

// DaysToDue is how many days remain until the due date (0 unless Stage < 0).
func (c CollectionNote) DaysToDue() int { return max(-c.Stage, 0) }

// DaysOverdue is how many days the due date has passed (0 unless Stage > 0).
func (c CollectionNote) DaysOverdue() int { return max(c.Stage, 0) }

// AppliedLine is the part of a payment applied to one invoice.
type AppliedLine struct {
	InvoiceNumber int64 `json:"invoice_number"`
	Amount        int64 `json:"amount"`
}

// PaymentReceived ("payment_received") confirms a payment; it goes to the
// principal address only.
type PaymentReceived struct {
	ClientName string        `json:"client_name"`
	Amount     int64         `json:"amount"`
	Method     string        `json:"method"`    // e.g. "Transferencia bancaria", in the mail's language
	Reference  string        `json:"reference"` // operation number; empty omits the line
	Date       time.Time     `json:"date"`
	Invoices   []AppliedLine `json:"invoices"` // empty omits the table
	Balance    int64         `json:"balance"`  // what the client still owes after this payment
	// TaxDocuments are the tax documents (DTE) issued for the invoices
	// this payment paid off, attached; empty when none is.
	TaxDocuments []TaxDocument `json:"tax_documents,omitempty"`
}

// BillingDataRequired ("billing_data_required") asks a client to complete
// their billing data; their invoicing is held until they do.
type BillingDataRequired struct {
	ClientName string `json:"client_name"`
	// Missing lists what is missing or wrong, each item already a
	// sentence in the mail's language ("Falta el giro.").
	Missing   []string `json:"missing"`
	UpdateURL string   `json:"update_url"` // empty: the mail says to reply with the data
}
