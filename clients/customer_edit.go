package clients

import (
	"context"
	"errors"
	"strings"
)

// The customer's own edits (the portal's Mis datos and Contactos). They go
// through the registry's one edit path (mutate, normalize) and differ from
// an operator's edit in two ways: the customer may change only the fields
// below, and the billing data must come out complete (BillingData.Check),
// since the customer is the one who is asked to complete them. Every
// problem is reported in both languages, named by the form's field, and a
// refused edit changes nothing.

// CustomerData are the client-record fields a customer edits. The ID,
// the principal address (the login), the person type, notes, seller,
// mail switches and everything operators decide stay as they are.
type CustomerData struct {
	Name    string
	Phone   string
	Mobile  string
	Address string
	Comuna  string
	Ciudad  string
	Region  string
	Billing BillingData
}

// CustomerDataOf is what the customer sees of c.
func CustomerDataOf(c *Client) CustomerData {
	return CustomerData{Name: c.Name, Phone: c.Phone, Mobile: c.Mobile, Address: c.Address, Comuna: c.Comuna,
		Ciudad: c.Ciudad, Region: c.Region, Billing: c.Billing}
}

func (d CustomerData) apply(c *Client) {
	c.Name, c.Phone, c.Mobile, c.Address = d.Name, d.Phone, d.Mobile, d.Address
	c.Comuna, c.Ciudad, c.Region = d.Comuna, d.Ciudad, d.Region
	country := c.Billing.TaxCountry // not the customer's to change
	c.Billing = d.Billing
	c.Billing.TaxCountry = country
}

// CustomerEdit is the result of UpdateCustomerData.
type CustomerEdit struct {
	Client Client
	// Problems, when not empty, are why nothing was saved. Field is the
	// form field: "name", "phone", …, "billing.razon_social",
	// "billing.tax_id", …; Message is English, MessageES Spanish.
	Problems []Problem
	// BecameComplete: the billing data were incomplete before this edit
	// and are complete now (billing may release held periods).
	BecameComplete bool
}

// UpdateCustomerData saves a customer's edit of their own record: the
// registry's validation (normalize: single-line text, a valid tax ID, a
// name) plus complete billing data. With any problem nothing is written
// and Problems says what to fix. by names the actor for the audit trail
// ("portal:<client>").
func (r *Registry) UpdateCustomerData(ctx context.Context, id string, d CustomerData, by string) (CustomerEdit, error) {
	old, err := r.load(ctx, id)
	if err != nil {
		return CustomerEdit{}, err
	}
	wasComplete := len(old.Billing.Check()) == 0
	candidate := old.Client
	d.apply(&candidate)
	ps := customerProblems(candidate, &old.Client)
	if len(ps) > 0 {
		return CustomerEdit{Client: old.Client, Problems: ps}, nil
	}
	c, err := r.Edit(ctx, id, by, func(c *Client) error { d.apply(c); return nil })
	var ve *ValidationError
	if errors.As(err, &ve) { // changed meanwhile into something invalid
		return CustomerEdit{Client: old.Client, Problems: fieldProblems(ve.Problems, candidate)}, nil
	}
	if err != nil {
		return CustomerEdit{}, err
	}
	return CustomerEdit{Client: c, BecameComplete: !wasComplete && len(c.Billing.Check()) == 0}, nil
}

// customerProblems are the registry's problems with c, plus incomplete
// billing data, one per field, billing ones in Check's words.
func customerProblems(c Client, was *Client) []Problem {
	norm, fes := normalize(c, was)
	var out []Problem
	seen := map[string]bool{}
	for _, p := range norm.Billing.Check() {
		p.Field = "billing." + p.Field
		if p.Field == "billing.tax_country" {
			p.Field = "billing.tax_id" // the form has no country: show it by the ID
		}
		if !seen[p.Field] {
			seen[p.Field] = true
			out = append(out, p)
		}
	}
	for _, p := range fieldProblems(fes, c) {
		if !seen[p.Field] {
			seen[p.Field] = true
			out = append(out, p)
		}
	}
	return out
}

// fieldProblems turns the registry's field errors into problems in both
// languages: a blank value is missing, anything else is refused as the
// registry says (in English) with a Spanish explanation.
func fieldProblems(fes []FieldError, c Client) []Problem {
	var out []Problem
	for _, fe := range fes {
		p := Problem{Field: fe.Field, Code: "invalid", Message: "This value is not accepted: " + fe.Msg + ".",
			MessageES: "Este dato no es válido: escríbalo en una sola línea, sin caracteres de control."}
		if v, ok := textValue(c, fe.Field); ok && strings.TrimSpace(v) == "" {
			p.Code, p.Message, p.MessageES = "missing", "This field is required.", "Este dato es obligatorio."
		}
		if fe.Field == "billing.tax_id" || fe.Field == "billing.tax_country" {
			for _, cp := range c.Billing.Check() {
				if cp.Field == "tax_id" || cp.Field == "tax_country" {
					p = cp
					break
				}
			}
			p.Field = "billing.tax_id"
		}
		out = append(out, p)
	}
	return out
}

func textValue(c Client, field string) (string, bool) {
	for _, f := range textFields {
		if f.name == field {
			return *f.get(&c), true
		}
	}
	return "", false
}
