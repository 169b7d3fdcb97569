package templates

import "time"

// InvoiceIssued ("invoice_issued") announces one invoice: one per contract
// and period. Amounts are whole Chilean pesos.
type InvoiceIssued struct {
	InvoiceNumber int64     `json:"invoice_number"`
	PeriodLabel   string    `json:"period_label"` // e.g. "noviembre 2026", already in the mail's language
	IssueDate     time.Time `json:"issue_date"`
	DueDate       time.Time `json:"due_date"`
	Net           int64     `json:"net"`
	Tax           int64     `json:"tax"` // IVA
	Total         int64     `json:"total"`
	ClientName    string    `json:"client_name"` // razón social, from the invoice's snapshot
	TaxID         string    `json:"tax_id"`      // formatted, e.g. "76.123.456-7"
	PayURL        string    `json:"pay_url"`     // empty: the mail says to reply for payment details
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
