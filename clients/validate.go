package clients

import (
	"errors"
	"fmt"
	"net/mail"
	"regexp"
	"strings"
	"unicode"

	"turno/clients/taxid"
)

// NewClient returns a client with the defaults a new record gets: active,
// every kind of mail on, Spanish, person type "other".
func NewClient(id, name, email string) Client {
	return Client{
		ID: id, Name: name, Email: email, PersonType: "other", Lang: "es", Active: true,
		Mail: MailSwitches{Invoice: true, CollectionNote: true, PaymentConfirmation: true, Ticket: true, Account: true},
	}
}

// NormalizeAddress trims and lower-cases an email address: the form logins
// and the address index compare.
func NormalizeAddress(s string) string { return strings.ToLower(strings.TrimSpace(s)) }

// checkAddress validates a bare address (no display name).
func checkAddress(s string) error {
	if s == "" {
		return errors.New("is required")
	}
	if err := checkText(s, false); err != nil {
		return err
	}
	a, err := mail.ParseAddress(s)
	if err != nil || a.Address != s {
		return errors.New("is not an email address (" + s + ")")
	}
	return nil
}

var idPattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`)

// textField is one free-text field of a client, named as a FieldError
// names it.
type textField struct {
	name      string
	get       func(*Client) *string
	multiLine bool // may hold line breaks and tabs
}

// textFields are every free-text field: all single lines but the notes. The
// ID, person type and language have stricter rules of their own, and the
// email and notify addresses are checked as addresses.
var textFields = []textField{
	{"name", func(c *Client) *string { return &c.Name }, false},
	{"first_name", func(c *Client) *string { return &c.FirstName }, false},
	{"second_name", func(c *Client) *string { return &c.SecondName }, false},
	{"surname", func(c *Client) *string { return &c.Surname }, false},
	{"second_surname", func(c *Client) *string { return &c.Surname2 }, false},
	{"phone", func(c *Client) *string { return &c.Phone }, false},
	{"mobile", func(c *Client) *string { return &c.Mobile }, false},
	{"address", func(c *Client) *string { return &c.Address }, false},
	{"comuna", func(c *Client) *string { return &c.Comuna }, false},
	{"ciudad", func(c *Client) *string { return &c.Ciudad }, false},
	{"region", func(c *Client) *string { return &c.Region }, false},
	{"id_document", func(c *Client) *string { return &c.IDDocument }, false},
	{"notes", func(c *Client) *string { return &c.Notes }, true},
	{"seller", func(c *Client) *string { return &c.Seller }, false},
	{"collector", func(c *Client) *string { return &c.Collector }, false},
	{"zone", func(c *Client) *string { return &c.Zone }, false},
	{"invoice_type", func(c *Client) *string { return &c.InvoiceType }, false},
	{"tax_condition", func(c *Client) *string { return &c.TaxCondition }, false},
	{"support_tier", func(c *Client) *string { return &c.SupportTier }, false},
	{"billing.razon_social", func(c *Client) *string { return &c.Billing.RazonSocial }, false},
	{"billing.tax_country", func(c *Client) *string { return &c.Billing.TaxCountry }, false},
	{"billing.tax_id", func(c *Client) *string { return &c.Billing.TaxID }, false},
	{"billing.giro", func(c *Client) *string { return &c.Billing.Giro }, false},
	{"billing.domicilio", func(c *Client) *string { return &c.Billing.Domicilio }, false},
	{"billing.comuna", func(c *Client) *string { return &c.Billing.Comuna }, false},
	{"billing.ciudad", func(c *Client) *string { return &c.Billing.Ciudad }, false},
}

// checkText refuses control characters (Unicode category Cc: C0, DEL, C1).
// A single-line value may hold none: a line break in a name or an address
// is a header injection waiting for the template that puts it in a
// header, and breaks every CSV and report line it lands in. A multi-line
// value may hold line breaks (LF) and tabs. Call it on the trimmed value.
func checkText(s string, multiLine bool) error {
	pos := 0
	for _, r := range s {
		pos++
		if !unicode.Is(unicode.Cc, r) || multiLine && (r == '\n' || r == '\t') {
			continue
		}
		rule := "this field is a single line: no line breaks, tabs or other control characters"
		if multiLine {
			rule = "only line breaks and tabs are allowed here"
		}
		return fmt.Errorf("contains control character %U at character %d; %s", r, pos, rule)
	}
	return nil
}

// normalize returns c with every field in its stored form, or the list of
// what is wrong. Incomplete billing data are not an error (billing holds
// such clients); an invalid tax ID is.
//
// was is the stored client the write starts from (nil for a new one):
// free-text values the write leaves as they were are not checked again, so
// a record stored before a rule existed can still be deactivated or have
// its other fields edited; changing such a value makes it meet the rules.
func normalize(c Client, was *Client) (Client, []FieldError) {
	var ps []FieldError
	bad := func(field, msg string) { ps = append(ps, FieldError{Field: field, Msg: msg}) }
	trim := func(p *string) { *p = strings.TrimSpace(*p) }
	for _, p := range []*string{&c.ID, &c.PersonType, &c.Lang} {
		trim(p)
	}
	refused := map[string]bool{}
	for _, f := range textFields {
		p := f.get(&c)
		trim(p)
		if was != nil && *p == *f.get(was) {
			continue
		}
		if f.multiLine {
			*p = strings.ReplaceAll(*p, "\r\n", "\n") // a browser's textarea sends CRLF
		}
		if err := checkText(*p, f.multiLine); err != nil {
			bad(f.name, err.Error())
			refused[f.name] = true
		}
	}
	if !idPattern.MatchString(c.ID) {
		bad("id", "must be 1 to 64 letters, digits, '.', '_' or '-', starting with a letter or digit (got \""+c.ID+"\")")
	}
	if c.Name == "" {
		bad("name", "is required")
	}
	switch c.PersonType {
	case "":
		c.PersonType = "other"
	case "other", "natural", "legal":
	default:
		bad("person_type", "must be other, natural or legal (got \""+c.PersonType+"\")")
	}
	c.Email = NormalizeAddress(c.Email)
	if err := checkAddress(c.Email); err != nil {
		bad("email", err.Error())
	}
	switch c.Lang = strings.ToLower(c.Lang); c.Lang {
	case "":
		c.Lang = "es"
	case "es", "en":
	default:
		bad("lang", "must be es or en (got \""+c.Lang+"\")")
	}
	c.SupportTier = strings.ToLower(c.SupportTier)
	var notify []string
	seen := map[string]bool{}
	for _, a := range c.NotifyEmails {
		a = NormalizeAddress(a)
		if a == "" || seen[a] {
			continue
		}
		if err := checkAddress(a); err != nil {
			bad("notify_emails", err.Error())
		}
		seen[a] = true
		notify = append(notify, a)
	}
	c.NotifyEmails = notify
	b, err := c.Billing.Normalized()
	c.Billing = b
	if err != nil && !refused["billing.tax_id"] && !refused["billing.tax_country"] {
		field := "billing.tax_id"
		var te *taxid.Error
		if !errors.As(err, &te) || !taxid.Country(b.TaxCountry).Supported() {
			field = "billing.tax_country"
		}
		bad(field, err.Error())
	}
	return c, ps
}

// validRole reports whether r is a role a contact may be added with.
func validRole(r Role) bool { return r == RoleTechnical || r == RoleBilling }

// roleRank orders roles for ticket ownership: lower ranks first.
func roleRank(r Role) int {
	switch r {
	case RolePrincipal:
		return 0
	case RoleBilling:
		return 1
	default:
		return 2
	}
}
