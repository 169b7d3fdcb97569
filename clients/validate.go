package clients

import (
	"errors"
	"net/mail"
	"regexp"
	"strings"

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
	a, err := mail.ParseAddress(s)
	if err != nil || a.Address != s {
		return errors.New("is not an email address (" + s + ")")
	}
	return nil
}

var idPattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`)

// normalize returns c with every field in its stored form, or the list of
// what is wrong. Incomplete billing data are not an error (billing holds
// such clients); an invalid tax ID is.
func normalize(c Client) (Client, []FieldError) {
	var ps []FieldError
	bad := func(field, msg string) { ps = append(ps, FieldError{Field: field, Msg: msg}) }
	trim := func(p *string) { *p = strings.TrimSpace(*p) }
	for _, p := range []*string{&c.ID, &c.Name, &c.PersonType, &c.FirstName, &c.SecondName, &c.Surname, &c.Surname2,
		&c.Phone, &c.Mobile, &c.Address, &c.Comuna, &c.Ciudad, &c.Region, &c.IDDocument, &c.Notes, &c.Seller,
		&c.Collector, &c.Zone, &c.InvoiceType, &c.TaxCondition, &c.SupportTier, &c.Lang} {
		trim(p)
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
	if err != nil {
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
