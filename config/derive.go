package config

import (
	"fmt"
	"time"

	// The zone database, for machines that have none (a scratch or
	// distroless container): the default zone must load everywhere, and
	// time_zone is validated against it. The system's copy is used first.
	_ "time/tzdata"
)

// DefaultTimeZone is where Turno's business day and every time shown to a
// reader are, unless time_zone says otherwise.
const DefaultTimeZone = "America/Santiago"

// derive fills the keys whose default is another key's value, and returns a
// warning for each pair of keys that name one fact and disagree. It runs
// after the file, the environment and the secret files, and before Validate:
//
//   - time_zone: empty takes billing.time_zone (its old name), else
//     DefaultTimeZone. When both are set, time_zone wins. Afterwards
//     billing.time_zone holds the same value.
//   - mail.from_name: empty takes company.name.
//   - mail.from_address: empty takes company.support_address (replies to
//     Turno's mail then reach the support mailbox).
//
// Disagreeing values are warnings, not errors: a From address other than
// the support address (cobranzas@ for billing, say) can be deliberate.
func (c *Config) derive() []FieldError {
	var warns []FieldError
	warn := func(key, format string, args ...any) {
		warns = append(warns, FieldError{Key: key, Msg: fmt.Sprintf(format, args...)})
	}
	switch top, old := c.TimeZone, c.Billing.TimeZone; {
	case top == "" && old == "":
		c.TimeZone = DefaultTimeZone
	case top == "":
		c.TimeZone = old
		warn("billing.time_zone", "is the old name of time_zone; it still works, but rename it")
	case old != "" && old != top:
		warn("billing.time_zone", "%q differs from time_zone %q; time_zone wins (billing.time_zone is its old name: delete it)", old, top)
	case old != "":
		warn("billing.time_zone", "repeats time_zone; delete it (it is time_zone's old name)")
	}
	c.Billing.TimeZone = c.TimeZone

	if c.Mail.FromName == "" {
		c.Mail.FromName = c.Company.Name
	} else if c.Mail.FromName != c.Company.Name {
		warn("mail.from_name", "%q differs from company.name %q: mail goes out under one name and is signed with the other; leave mail.from_name empty to use company.name",
			c.Mail.FromName, c.Company.Name)
	}
	if c.Mail.FromAddress == "" {
		c.Mail.FromAddress = c.Company.SupportAddress
	} else if c.Mail.FromAddress != c.Company.SupportAddress {
		warn("mail.from_address", "%q differs from company.support_address %q: mail comes from one address and asks customers to write to the other; leave mail.from_address empty to use company.support_address",
			c.Mail.FromAddress, c.Company.SupportAddress)
	}
	return warns
}

// Location is the time zone of TimeZone. Call it on a validated Config.
func (c Config) Location() (*time.Location, error) {
	return loadZone(c.TimeZone)
}

// loadZone accepts IANA names only: not "" or "Local", which would make what
// customers read depend on the machine Turno runs on.
func loadZone(name string) (*time.Location, error) {
	if name == "" || name == "Local" {
		return nil, fmt.Errorf("must be an IANA time zone such as %s (got %q)", DefaultTimeZone, name)
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		return nil, fmt.Errorf("must be an IANA time zone such as %s (got %q)", DefaultTimeZone, name)
	}
	return loc, nil
}
