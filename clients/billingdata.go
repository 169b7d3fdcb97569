package clients

import (
	"errors"
	"fmt"
	"strings"

	"turno/clients/taxid"
)

// BillingData are the fields an invoice cannot be issued without. Each
// invoice keeps a snapshot of them.
type BillingData struct {
	RazonSocial string `bson:"razon_social" json:"razon_social"` // legal name of the entity billed
	TaxCountry  string `bson:"tax_country" json:"tax_country"`   // "CL", "AR", "CO", "EC" or "MX"; empty means "CL"
	TaxID       string `bson:"tax_id" json:"tax_id"`             // RUT, CUIT, NIT, RUC or RFC
	Giro        string `bson:"giro" json:"giro"`                 // line of business
	Domicilio   string `bson:"domicilio" json:"domicilio"`       // street address
	Comuna      string `bson:"comuna" json:"comuna"`
	Ciudad      string `bson:"ciudad" json:"ciudad"`
}

// Problem is one reason billing data are not complete, with a message for
// operators (English) and one the client can act on (Spanish).
type Problem struct {
	// Field is "razon_social", "tax_country", "tax_id", "giro",
	// "domicilio", "comuna" or "ciudad".
	Field string
	// Code is "missing" (empty or only blanks) or "invalid".
	Code      string
	Message   string
	MessageES string
}

// Check returns what keeps b from being invoiced, in field order, or nil
// when b is complete. Blank fields are missing; a tax ID is checked against
// its country's rules, and a tax ID that passes with warnings is complete.
func (b BillingData) Check() []Problem {
	var ps []Problem
	missing := func(field, en, es string) {
		ps = append(ps, Problem{Field: field, Code: "missing", Message: en, MessageES: es})
	}
	country := taxCountry(b.TaxCountry)
	if blank(b.RazonSocial) {
		missing("razon_social", "The legal name (razón social) is missing.", "Falta la razón social de la empresa.")
	}
	switch {
	case !country.Supported():
		ps = append(ps, Problem{
			Field:     "tax_country",
			Code:      "invalid",
			Message:   fmt.Sprintf("Tax country %q is not supported; use CL, AR, CO, EC or MX.", strings.TrimSpace(b.TaxCountry)),
			MessageES: fmt.Sprintf("El país tributario «%s» no está soportado; indique CL, AR, CO, EC o MX.", strings.TrimSpace(b.TaxCountry)),
		})
	case blank(b.TaxID):
		name := country.IDName()
		missing("tax_id", "The tax ID ("+name+") is missing.", "Falta el "+name+".")
	default:
		if _, err := taxid.Validate(country, strings.TrimSpace(b.TaxID)); err != nil {
			ps = append(ps, taxIDProblem(country, strings.TrimSpace(b.TaxID), err))
		}
	}
	if blank(b.Giro) {
		missing("giro", "The line of business (giro) is missing.", "Falta el giro (la actividad de la empresa).")
	}
	if blank(b.Domicilio) {
		missing("domicilio", "The street address (domicilio) is missing.", "Falta el domicilio (calle y número).")
	}
	if blank(b.Comuna) {
		missing("comuna", "The comuna is missing.", "Falta la comuna.")
	}
	if blank(b.Ciudad) {
		missing("ciudad", "The city is missing.", "Falta la ciudad.")
	}
	return ps
}

// Normalized returns b with every field trimmed, TaxCountry upper-cased and
// defaulted to "CL", and the tax ID in its normalised form. It fails only
// when the tax country is unsupported or a non-blank tax ID is invalid, and
// then returns the trimmed data with the error (a *taxid.Error). Missing
// fields are not an error here; Check reports them.
func (b BillingData) Normalized() (BillingData, error) {
	n := BillingData{
		RazonSocial: strings.TrimSpace(b.RazonSocial),
		TaxCountry:  string(taxCountry(b.TaxCountry)),
		TaxID:       strings.TrimSpace(b.TaxID),
		Giro:        strings.TrimSpace(b.Giro),
		Domicilio:   strings.TrimSpace(b.Domicilio),
		Comuna:      strings.TrimSpace(b.Comuna),
		Ciudad:      strings.TrimSpace(b.Ciudad),
	}
	if n.TaxID == "" && taxid.Country(n.TaxCountry).Supported() {
		return n, nil
	}
	res, err := taxid.Validate(taxid.Country(n.TaxCountry), n.TaxID)
	if err != nil {
		return n, fmt.Errorf("normalise billing data: %w", err)
	}
	n.TaxID = res.Normalized
	return n, nil
}

// taxCountry trims and upper-cases s, defaulting to Chile.
func taxCountry(s string) taxid.Country {
	s = strings.ToUpper(strings.TrimSpace(s))
	if s == "" {
		return taxid.CL
	}
	return taxid.Country(s)
}

func taxIDProblem(country taxid.Country, id string, err error) Problem {
	p := Problem{Field: "tax_id", Code: "invalid"}
	name := country.IDName()
	var te *taxid.Error
	if !errors.As(err, &te) {
		p.Message = fmt.Sprintf("The %s %s is not valid: %v.", name, id, err)
		p.MessageES = fmt.Sprintf("El %s %s no es válido; revíselo.", name, id)
		return p
	}
	p.Message = fmt.Sprintf("The %s %s is not valid: %s.", name, id, te.Reason)
	p.MessageES = fmt.Sprintf("El %s %s no es válido: %s.", name, id, te.ReasonES)
	return p
}

func blank(s string) bool { return strings.TrimSpace(s) == "" }
