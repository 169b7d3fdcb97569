package clients

import (
	"fmt"
	"strings"
	"time"
)

// Column is one field of the CSV export and import, also the name
// `turno clients edit --set` and bulk-edit take. Columns without Set are
// export-only (timestamps, billing figures) and ignored by the import.
type Column struct {
	Name string
	Get  func(*Client) string
	Set  func(*Client, string) error
}

func str(get func(*Client) *string) (func(*Client) string, func(*Client, string) error) {
	return func(c *Client) string { return *get(c) },
		func(c *Client, v string) error { *get(c) = v; return nil }
}

func boolean(get func(*Client) *bool) (func(*Client) string, func(*Client, string) error) {
	return func(c *Client) string { return fmt.Sprint(*get(c)) },
		func(c *Client, v string) error {
			b, err := ParseBool(v)
			*get(c) = b
			return err
		}
}

// ParseBool accepts true/false, yes/no, sí/si/no, 1/0 (any case).
func ParseBool(v string) (bool, error) {
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "true", "yes", "si", "sí", "1", "y", "s":
		return true, nil
	case "false", "no", "0", "n", "":
		return false, nil
	}
	return false, fmt.Errorf("is not true or false (got %q)", v)
}

func col(name string, get func(*Client) string, set func(*Client, string) error) Column {
	return Column{Name: name, Get: get, Set: set}
}

func strCol(name string, f func(*Client) *string) Column { g, s := str(f); return col(name, g, s) }
func boolCol(name string, f func(*Client) *bool) Column  { g, s := boolean(f); return col(name, g, s) }

func timeCol(name string, f func(*Client) time.Time) Column {
	return col(name, func(c *Client) string {
		if t := f(c); !t.IsZero() {
			return t.UTC().Format(time.RFC3339)
		}
		return ""
	}, nil)
}

// Columns are the export's columns in order: those DESIGN.md lists for the
// seed systems' export first, then the rest of the record.
var Columns = []Column{
	strCol("client_id", func(c *Client) *string { return &c.ID }),
	strCol("name", func(c *Client) *string { return &c.Name }),
	strCol("notes", func(c *Client) *string { return &c.Notes }),
	strCol("email", func(c *Client) *string { return &c.Email }),
	strCol("phone", func(c *Client) *string { return &c.Phone }),
	strCol("mobile", func(c *Client) *string { return &c.Mobile }),
	strCol("address", func(c *Client) *string { return &c.Address }),
	strCol("neighbourhood", func(c *Client) *string { return &c.Comuna }),
	strCol("zone", func(c *Client) *string { return &c.Zone }),
	strCol("id_document", func(c *Client) *string { return &c.IDDocument }),
	strCol("city", func(c *Client) *string { return &c.Ciudad }),
	strCol("region", func(c *Client) *string { return &c.Region }),
	boolCol("billing_enabled", func(c *Client) *bool { return &c.BillingEnabled }),
	strCol("invoice_type", func(c *Client) *string { return &c.InvoiceType }),
	strCol("tax_condition", func(c *Client) *string { return &c.TaxCondition }),
	strCol("tax_id", func(c *Client) *string { return &c.Billing.TaxID }),
	col("unpaid_invoices", nil, nil), // filled by ExportOptions.Unpaid
	col("unpaid_balance", nil, nil),
	col("payment_gateway", nil, nil), // no gateway integration yet
	timeCol("created_at", func(c *Client) time.Time { return c.CreatedAt }),
	timeCol("updated_at", func(c *Client) time.Time { return c.UpdatedAt }),
	boolCol("active", func(c *Client) *bool { return &c.Active }),
	strCol("person_type", func(c *Client) *string { return &c.PersonType }),
	strCol("first_name", func(c *Client) *string { return &c.FirstName }),
	strCol("second_name", func(c *Client) *string { return &c.SecondName }),
	strCol("surname", func(c *Client) *string { return &c.Surname }),
	strCol("second_surname", func(c *Client) *string { return &c.Surname2 }),
	strCol("seller", func(c *Client) *string { return &c.Seller }),
	strCol("collector", func(c *Client) *string { return &c.Collector }),
	strCol("support_tier", func(c *Client) *string { return &c.SupportTier }),
	strCol("lang", func(c *Client) *string { return &c.Lang }),
	strCol("razon_social", func(c *Client) *string { return &c.Billing.RazonSocial }),
	strCol("tax_country", func(c *Client) *string { return &c.Billing.TaxCountry }),
	strCol("giro", func(c *Client) *string { return &c.Billing.Giro }),
	strCol("domicilio", func(c *Client) *string { return &c.Billing.Domicilio }),
	strCol("billing_comuna", func(c *Client) *string { return &c.Billing.Comuna }),
	strCol("billing_ciudad", func(c *Client) *string { return &c.Billing.Ciudad }),
	col("notify_emails", func(c *Client) string { return strings.Join(c.NotifyEmails, " ") },
		func(c *Client, v string) error {
			c.NotifyEmails = strings.FieldsFunc(v, func(r rune) bool { return r == ' ' || r == ',' || r == ';' })
			return nil
		}),
	boolCol("mail_invoice", func(c *Client) *bool { return &c.Mail.Invoice }),
	boolCol("mail_collection_note", func(c *Client) *bool { return &c.Mail.CollectionNote }),
	boolCol("mail_payment_confirmation", func(c *Client) *bool { return &c.Mail.PaymentConfirmation }),
	boolCol("mail_ticket", func(c *Client) *bool { return &c.Mail.Ticket }),
	boolCol("mail_account", func(c *Client) *bool { return &c.Mail.Account }),
}

// ColumnByName finds a column.
func ColumnByName(name string) (Column, bool) {
	name = strings.ToLower(strings.TrimSpace(name))
	for _, c := range Columns {
		if c.Name == name {
			return c, true
		}
	}
	return Column{}, false
}

// SetField sets one editable field by its column name (client_id is the key
// and cannot be set). Values are validated when the client is saved.
func SetField(c *Client, name, value string) error {
	col, ok := ColumnByName(name)
	if !ok || col.Set == nil || col.Name == "client_id" {
		return &ValidationError{Problems: []FieldError{{Field: name, Msg: "is not an editable field"}}}
	}
	if err := col.Set(c, value); err != nil {
		return &ValidationError{Problems: []FieldError{{Field: col.Name, Msg: err.Error()}}}
	}
	return nil
}
