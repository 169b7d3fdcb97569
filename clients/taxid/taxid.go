// Package taxid validates national tax identifiers of the countries Turno
// bills in and returns them in one normalised form, the form stored in a
// client's billing data and printed on invoices.
//
// Validate is pure: it takes a country and what a person typed, and returns
// either a Result or an *Error whose Reason (English) and ReasonES (Spanish)
// tell the person what to fix. Separators people commonly type (dots, dashes,
// spaces) are accepted; the normalised form has exactly one spelling per
// number, and re-validating it returns it unchanged.
//
// A number can pass with Warnings: the authority is known to have issued
// numbers that fail a check we would otherwise enforce (Ecuadorian private
// company RUCs since about 2020, Mexican RFC homoclave check digits). Such
// numbers are accepted, and the warning says what did not match.
package taxid

import (
	"fmt"
	"strings"
)

// Country is an ISO 3166-1 alpha-2 code of a supported tax country.
type Country string

// Supported countries.
const (
	CL Country = "CL" // Chile: RUT
	AR Country = "AR" // Argentina: CUIT / CUIL
	CO Country = "CO" // Colombia: NIT
	EC Country = "EC" // Ecuador: RUC / cédula
	MX Country = "MX" // Mexico: RFC
)

// Countries lists the supported countries in a stable order.
var Countries = []Country{CL, AR, CO, EC, MX}

// Supported reports whether c is a supported tax country.
func (c Country) Supported() bool {
	for _, s := range Countries {
		if c == s {
			return true
		}
	}
	return false
}

// IDName is what people in c call their tax ID, for messages: "RUT", "CUIT",
// "NIT", "RUC" or "RFC". It is "identificador tributario" for unknown countries.
func (c Country) IDName() string {
	switch c {
	case CL:
		return "RUT"
	case AR:
		return "CUIT"
	case CO:
		return "NIT"
	case EC:
		return "RUC"
	case MX:
		return "RFC"
	}
	return "identificador tributario"
}

// Result is a valid tax ID.
type Result struct {
	Country Country
	// Kind is "RUT", "CUIT", "CUIL", "NIT", "RUC", "CEDULA" or "RFC".
	Kind string
	// Normalized is the one stored spelling, e.g. "12345678-5",
	// "20-17254359-7", "890903938-8", "1710034065001", "GODE561231GR8".
	Normalized string
	// Warnings are checks the number failed that the issuing authority
	// itself does not always satisfy. English, for operators.
	Warnings []string
}

// Error says why a tax ID is not valid, in words a person can act on.
type Error struct {
	Country  Country
	Input    string // as given
	Reason   string // English, e.g. "check digit should be 5, not 4"
	ReasonES string // Spanish, e.g. "el dígito verificador no corresponde; revise el RUT"
}

func (e *Error) Error() string {
	return fmt.Sprintf("taxid: %s %s %q: %s", e.Country, e.Country.IDName(), e.Input, e.Reason)
}

// Validate checks id as a tax ID of country and returns its normalised form.
// The error, when not nil, is an *Error.
func Validate(country Country, id string) (Result, error) {
	if !country.Supported() {
		return Result{}, unsupported(country, id)
	}
	v := validator{country: country, input: id}
	if strings.TrimSpace(id) == "" {
		return Result{}, v.fail("empty", "está vacío; escriba el "+country.IDName())
	}
	switch country {
	case CL:
		return v.rut(id)
	case AR:
		return v.cuit(id)
	case CO:
		return v.nit(id)
	case EC:
		return v.ruc(id)
	case MX:
		return v.rfc(id)
	}
	return Result{}, unsupported(country, id)
}

func unsupported(country Country, id string) *Error {
	return &Error{
		Country:  country,
		Input:    id,
		Reason:   fmt.Sprintf("unsupported tax country %q (supported: CL, AR, CO, EC, MX)", string(country)),
		ReasonES: fmt.Sprintf("el país %q no está soportado; use CL, AR, CO, EC o MX", string(country)),
	}
}

// validator carries what every error needs.
type validator struct {
	country Country
	input   string
}

func (v validator) fail(reason, reasonES string) *Error {
	return &Error{Country: v.country, Input: v.input, Reason: reason, ReasonES: reasonES}
}

func (v validator) badCheck(want, got string) *Error {
	return v.fail(
		fmt.Sprintf("check digit should be %s, not %s", want, got),
		"el dígito verificador no corresponde; revise que el "+v.country.IDName()+" esté bien copiado",
	)
}

// compact removes the separators people type: spaces, dots and, when
// dashes is true, dashes. It upper-cases letters.
func compact(s string, dashes bool) string {
	var b strings.Builder
	for _, r := range strings.ToUpper(s) {
		switch {
		case r == ' ' || r == '\t' || r == '.' || r == '\u00a0':
		case r == '-' && dashes:
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// digits reports whether s is non-empty and all ASCII digits.
func digits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// weighted returns the sum of the digits of s times weights, both read
// left to right.
func weighted(s string, weights []int) int {
	sum := 0
	for i := 0; i < len(s) && i < len(weights); i++ {
		sum += int(s[i]-'0') * weights[i]
	}
	return sum
}
