package agents

import (
	"fmt"
	"net/mail"
	"regexp"
	"slices"
	"strings"
	"unicode"
)

// Limits on free text an agent record carries.
const (
	maxName      = 200
	maxSignature = 4000
	maxLabel     = 100
	maxAddresses = 20
)

var deptToken = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,63}$`)

func badInput(field, format string, args ...any) error {
	return &InputError{Field: field, Msg: fmt.Sprintf(format, args...)}
}

// normAddress is a bare mail address (no display name, no angle brackets)
// in lower case.
func normAddress(field, s string) (string, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return "", badInput(field, "an address is required")
	}
	a, err := mail.ParseAddress(s)
	if err != nil || a.Name != "" || a.Address != s {
		return "", badInput(field, "%q is not a bare mail address (like ana@example.com)", s)
	}
	return strings.ToLower(a.Address), nil
}

// plainText refuses control characters (a name or a label is one line).
func plainText(field, s string, max int) (string, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return "", badInput(field, "must not be empty")
	}
	if len(s) > max {
		return "", badInput(field, "is longer than %d bytes", max)
	}
	if i := strings.IndexFunc(s, unicode.IsControl); i >= 0 {
		return "", badInput(field, "must not contain control characters")
	}
	return s, nil
}

// normalize checks a and puts it in stored form: addresses and departments
// lower case, sorted and without repeats; defaults for role and language.
// known, when non-empty, is the list of departments that exist.
func normalize(a Agent, known []string) (Agent, error) {
	var err error
	if a.Email, err = normAddress("email", a.Email); err != nil {
		return a, err
	}
	if a.Name, err = plainText("name", a.Name, maxName); err != nil {
		return a, err
	}
	switch a.Role {
	case "":
		a.Role = RoleAgent
	case RoleAgent, RoleAdmin:
	default:
		return a, badInput("role", "%q is not a role (agent or admin)", a.Role)
	}
	switch a.Lang {
	case "":
		a.Lang = "es"
	case "es", "en":
	default:
		return a, badInput("lang", "%q is not a language (es or en)", a.Lang)
	}
	if len(a.Signature) > maxSignature {
		return a, badInput("signature", "is longer than %d bytes", maxSignature)
	}
	if strings.ContainsFunc(a.Signature, func(r rune) bool { return unicode.IsControl(r) && r != '\n' && r != '\t' }) {
		return a, badInput("signature", "must not contain control characters other than new lines and tabs")
	}
	a.Signature = strings.TrimRight(strings.ReplaceAll(a.Signature, "\r\n", "\n"), " \n\t")

	if a.Notify, err = normNotify(a.Notify); err != nil {
		return a, err
	}

	var depts []string
	for _, d := range a.Departments {
		d = strings.ToLower(strings.TrimSpace(d))
		if !deptToken.MatchString(d) {
			return a, badInput("departments", "%q is not a department name (letters, digits, - and _)", d)
		}
		if len(known) > 0 && !slices.Contains(known, d) {
			return a, badInput("departments", "%q is not a known department (known: %s)", d, strings.Join(known, ", "))
		}
		depts = append(depts, d)
	}
	slices.Sort(depts)
	a.Departments = slices.Compact(depts)

	var alts []string
	for _, s := range a.Addresses {
		x, err := normAddress("addresses", s)
		if err != nil {
			return a, err
		}
		if x == a.Email {
			return a, badInput("addresses", "%s is the primary address, not an alternate", x)
		}
		alts = append(alts, x)
	}
	slices.Sort(alts)
	a.Addresses = slices.Compact(alts)
	if len(a.Addresses) > maxAddresses {
		return a, badInput("addresses", "at most %d alternate addresses", maxAddresses)
	}
	return a, nil
}

// all is every address of a: primary first, then the alternates.
func (a Agent) all() []string { return append([]string{a.Email}, a.Addresses...) }

// has reports whether addr is one of a's addresses.
func (a Agent) has(addr string) bool { return addr == a.Email || slices.Contains(a.Addresses, addr) }
