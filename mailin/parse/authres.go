package parse

import (
	"fmt"
	"strings"

	"golang.org/x/net/publicsuffix"
)

// Sender authentication: the receiving server (its milters: OpenDKIM,
// OpenDMARC, an SPF policy daemon, rspamd) checks SPF, DKIM and DMARC and
// writes what it found into Authentication-Results (RFC 8601). Parse keeps
// those headers (AuthResults); Authenticate reads the ones written by the
// one server the operator trusts and gives a verdict on the From domain.
//
// The authserv-id is what makes a header trustworthy: anything below the
// receiving server's own header was written by the sender or a relay and
// may say anything. A header with the trusted id that the sender forged
// (servers should strip those, not all do) cannot turn a failure into a
// pass: a fail for the From domain in any trusted header wins.
//
// go-msgauth's authres package is not used: it splits on ";" before
// removing comments, and OpenDKIM writes "dkim=pass (2048-bit key;
// unprotected) header.d=…", so every such header failed to parse.

// Limits of what Parse keeps: the receiving server's headers are on top,
// so the first ones are the ones that matter.
const (
	maxAuthHeaders   = 16   // Authentication-Results fields read
	maxAuthHeaderLen = 4096 // longer fields are ignored
	maxAuthResults   = 16   // dmarc/spf/dkim results kept per field
)

// Verdicts of Authenticate.
const (
	AuthPass = "pass" // the From domain passed DMARC, or an aligned SPF or DKIM check
	AuthFail = "fail" // the From domain failed DMARC, or (no DMARC result) no aligned SPF or DKIM pass
	AuthNone = "none" // no trusted header, or it checked nothing that applies
)

// AuthResults is one Authentication-Results field as read.
type AuthResults struct {
	AuthservID string       `json:"authserv_id"` // lower case
	Results    []AuthResult `json:"results"`     // dmarc, spf and dkim only
}

// AuthResult is one method's result.
type AuthResult struct {
	Method string `json:"method"` // "dmarc", "spf" or "dkim"
	Result string `json:"result"` // lower case: pass, fail, softfail, none, neutral, temperror, permerror, policy…
	// Domain is what the result is about, lower case: header.from for
	// dmarc, the domain of smtp.mailfrom for spf, header.d (else the
	// domain of header.i) for dkim; "" when the header does not say.
	Domain string `json:"domain"`
}

func (r AuthResult) String() string {
	if r.Domain == "" {
		return r.Method + "=" + r.Result
	}
	return r.Method + "=" + r.Result + " for " + r.Domain
}

// Auth is the verdict on a message's sender.
type Auth struct {
	TrustedID string `json:"trusted_authserv_id"`
	Verdict   string `json:"verdict"` // AuthPass, AuthFail or AuthNone
	Domain    string `json:"domain"`  // the From domain, lower case
	// Reason is what decided the verdict, e.g. "dmarc=fail for cliente.cl".
	Reason string `json:"reason"`
	// Results are the trusted results read, in header order.
	Results []AuthResult `json:"results"`
}

// Authenticate reads the Authentication-Results that Parse kept whose
// authserv-id is trustedID (case-insensitive) and judges the From domain:
// fail when DMARC failed for it, or, with no DMARC pass or fail, when the
// server checked SPF or DKIM and neither passed for a domain aligned with
// it (same organisational domain); pass when DMARC or an aligned SPF or
// DKIM check passed; none otherwise. A fail in any trusted header wins.
// It returns nil when trustedID is empty: nothing is trusted.
func Authenticate(m *Message, trustedID string) *Auth {
	trustedID = strings.ToLower(strings.TrimSpace(trustedID))
	if trustedID == "" || m == nil {
		return nil
	}
	a := &Auth{TrustedID: trustedID, Verdict: AuthNone, Results: []AuthResult{}}
	seen := false
	for _, h := range m.AuthResults {
		if h.AuthservID == trustedID {
			seen = true
			a.Results = append(a.Results, h.Results...)
		}
	}
	if m.From != nil {
		if _, d, ok := strings.Cut(m.From.Address, "@"); ok {
			a.Domain = normDomain(d)
		}
	}
	switch {
	case a.Domain == "":
		a.Reason = "no From domain"
		return a
	case !seen:
		a.Reason = "no Authentication-Results from " + trustedID
		return a
	}
	var dmarcPass, alignedPass *AuthResult
	checked := false
	for i := range a.Results {
		r := &a.Results[i]
		switch r.Method {
		case "dmarc":
			if r.Domain != "" && r.Domain != a.Domain {
				continue
			}
			switch r.Result {
			case "fail":
				a.Verdict, a.Reason = AuthFail, "dmarc=fail for "+a.Domain
				return a
			case "pass":
				dmarcPass = r
			}
		case "spf", "dkim":
			checked = true
			if r.Result == "pass" && alignedPass == nil && aligned(r.Domain, a.Domain) {
				alignedPass = r
			}
		}
	}
	switch {
	case dmarcPass != nil:
		a.Verdict, a.Reason = AuthPass, "dmarc=pass for "+a.Domain
	case alignedPass != nil:
		a.Verdict, a.Reason = AuthPass, alignedPass.String()+", aligned with "+a.Domain
	case checked:
		var got []string
		for _, r := range a.Results {
			if r.Method == "spf" || r.Method == "dkim" {
				got = append(got, r.String())
			}
		}
		a.Verdict = AuthFail
		a.Reason = fmt.Sprintf("no dmarc result and no spf or dkim pass aligned with %s (%s)", a.Domain, strings.Join(got, ", "))
	default:
		a.Reason = "no dmarc, spf or dkim result from " + trustedID
	}
	return a
}

// aligned is DMARC's relaxed alignment: the same organisational domain
// (the registrable domain under the public suffix list); a domain the list
// cannot place must match exactly.
func aligned(d, from string) bool {
	if d == "" {
		return false
	}
	if d == from {
		return true
	}
	a, err1 := publicsuffix.EffectiveTLDPlusOne(d)
	b, err2 := publicsuffix.EffectiveTLDPlusOne(from)
	return err1 == nil && err2 == nil && a == b
}

func normDomain(d string) string {
	return strings.TrimSuffix(strings.ToLower(strings.TrimSpace(d)), ".")
}

// authResults reads the first maxAuthHeaders Authentication-Results fields
// of the top-level header. A malformed field is dropped whole.
func authResults(h header) []AuthResults {
	var out []AuthResults
	n := 0
	for _, f := range h {
		if f.key != "Authentication-Results" {
			continue
		}
		if n++; n > maxAuthHeaders {
			break
		}
		if ar, ok := parseAuthResults(f.value); ok {
			out = append(out, ar)
		}
	}
	return out
}

// parseAuthResults parses one field value (RFC 8601 section 2.2):
//
//	authserv-id [version] ( "; none" / 1*( ";" method[/version]=result [reason=value] *(ptype.property=value) ) )
//
// Comments are removed first; dmarc, spf and dkim results are kept.
func parseAuthResults(v string) (AuthResults, bool) {
	if len(v) > maxAuthHeaderLen {
		return AuthResults{}, false
	}
	v, ok := stripComments(v)
	if !ok {
		return AuthResults{}, false
	}
	parts, ok := splitOutsideQuotes(v, ';')
	if !ok {
		return AuthResults{}, false
	}
	head, ok := fieldsOutsideQuotes(parts[0])
	if !ok || len(head) == 0 || len(head) > 2 {
		return AuthResults{}, false
	}
	if len(head) == 2 && head[1] != "1" {
		return AuthResults{}, false // an unknown version: its syntax is not ours to guess
	}
	id, ok := unquote(head[0])
	if !ok || !isAuthservID(id) {
		return AuthResults{}, false
	}
	ar := AuthResults{AuthservID: strings.ToLower(id), Results: []AuthResult{}}
	rest := parts[1:]
	if len(rest) == 1 && strings.EqualFold(strings.TrimSpace(rest[0]), "none") {
		return ar, true
	}
	if len(rest) > 1 && strings.TrimSpace(rest[len(rest)-1]) == "" {
		rest = rest[:len(rest)-1] // a trailing ";"
	}
	if len(rest) == 0 {
		return AuthResults{}, false
	}
	for _, p := range rest {
		r, keep, ok := parseResInfo(p)
		if !ok {
			return AuthResults{}, false
		}
		if keep && len(ar.Results) < maxAuthResults {
			ar.Results = append(ar.Results, r)
		}
	}
	return ar, true
}

// parseResInfo parses "method[/version]=result [reason=…] [ptype.prop=value]…".
// keep is false for methods other than dmarc, spf and dkim.
func parseResInfo(s string) (r AuthResult, keep, ok bool) {
	words, ok := fieldsOutsideQuotes(s)
	if !ok {
		return r, false, false
	}
	words = joinEquals(words)
	if len(words) == 0 {
		return r, false, false
	}
	method, result, found := strings.Cut(words[0], "=")
	if !found {
		return r, false, false
	}
	method, _, _ = strings.Cut(method, "/") // a method version
	method, result = strings.ToLower(strings.TrimSpace(method)), strings.ToLower(result)
	if !isKeyword(method) || !isKeyword(result) {
		return r, false, false
	}
	props := map[string]string{}
	for _, w := range words[1:] {
		k, val, found := strings.Cut(w, "=")
		k = strings.ToLower(k)
		if !found || !(k == "reason" || isProperty(k)) {
			return r, false, false
		}
		val, ok := unquote(val)
		if !ok {
			return r, false, false
		}
		if _, dup := props[k]; !dup {
			props[k] = val
		}
	}
	r = AuthResult{Method: method, Result: result}
	switch method {
	case "dmarc":
		r.Domain = domainOf(props["header.from"])
	case "spf":
		r.Domain = domainOf(props["smtp.mailfrom"])
	case "dkim":
		r.Domain = normDomain(props["header.d"])
		if r.Domain == "" {
			r.Domain = domainOf(props["header.i"])
		}
	default:
		return r, false, true
	}
	return r, true, true
}

// domainOf is the domain of "local@domain", "@domain" or "domain".
func domainOf(v string) string {
	if i := strings.LastIndexByte(v, '@'); i >= 0 {
		v = v[i+1:]
	}
	v = strings.TrimSuffix(strings.TrimPrefix(strings.TrimSpace(v), "<"), ">")
	return normDomain(v)
}

// stripComments replaces every (possibly nested) comment outside quoted
// strings with a space. Unbalanced parentheses or quotes: ok is false.
func stripComments(s string) (string, bool) {
	var b strings.Builder
	depth, quoted := 0, false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '\\' && (quoted || depth > 0):
			if i+1 >= len(s) {
				return "", false
			}
			if depth == 0 {
				b.WriteByte(c)
				b.WriteByte(s[i+1])
			}
			i++
		case depth > 0:
			switch c {
			case '(':
				depth++
			case ')':
				if depth--; depth == 0 {
					b.WriteByte(' ')
				}
			}
		case quoted:
			if c == '"' {
				quoted = false
			}
			b.WriteByte(c)
		case c == '"':
			quoted = true
			b.WriteByte(c)
		case c == '(':
			depth = 1
		case c == ')':
			return "", false
		default:
			b.WriteByte(c)
		}
	}
	return b.String(), depth == 0 && !quoted
}

// splitOutsideQuotes splits s at sep where it is not inside a quoted string.
func splitOutsideQuotes(s string, sep byte) ([]string, bool) {
	var out []string
	start, quoted := 0, false
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case quoted && c == '\\':
			i++
		case c == '"':
			quoted = !quoted
		case !quoted && c == sep:
			out = append(out, s[start:i])
			start = i + 1
		}
	}
	if quoted {
		return nil, false
	}
	return append(out, s[start:]), true
}

// fieldsOutsideQuotes splits s at white space outside quoted strings.
func fieldsOutsideQuotes(s string) ([]string, bool) {
	var out []string
	var cur strings.Builder
	quoted, in := false, false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case quoted && c == '\\' && i+1 < len(s):
			cur.WriteByte(c)
			cur.WriteByte(s[i+1])
			i++
			continue
		case c == '"':
			quoted = !quoted
		case !quoted && (c == ' ' || c == '\t' || c == '\r' || c == '\n'):
			if in {
				out = append(out, cur.String())
				cur.Reset()
				in = false
			}
			continue
		}
		cur.WriteByte(c)
		in = true
	}
	if quoted {
		return nil, false
	}
	if in {
		out = append(out, cur.String())
	}
	return out, true
}

// joinEquals glues "a", "=", "b" and "a=", "b" and "a", "=b" into "a=b":
// RFC 8601 allows white space around "=".
func joinEquals(words []string) []string {
	var out []string
	for i := 0; i < len(words); i++ {
		w := words[i]
		switch {
		case strings.HasPrefix(w, "=") && len(out) > 0 && !strings.Contains(out[len(out)-1], "="):
			out[len(out)-1] += w
		default:
			out = append(out, w)
		}
		last := out[len(out)-1]
		if strings.HasSuffix(last, "=") && strings.Count(last, "=") == 1 && i+1 < len(words) {
			out[len(out)-1] += words[i+1]
			i++
		}
	}
	return out
}

// unquote undoes a quoted string; a bare value is returned as is.
func unquote(v string) (string, bool) {
	if !strings.HasPrefix(v, `"`) {
		return v, !strings.Contains(v, `"`)
	}
	if len(v) < 2 || !strings.HasSuffix(v, `"`) {
		return "", false
	}
	var b strings.Builder
	for i := 1; i < len(v)-1; i++ {
		if v[i] == '\\' {
			i++
			if i >= len(v)-1 {
				return "", false
			}
		} else if v[i] == '"' {
			return "", false
		}
		b.WriteByte(v[i])
	}
	return b.String(), true
}

// isKeyword: RFC 8601's Keyword (letters, digits, "-", "_"), not empty.
func isKeyword(s string) bool {
	if s == "" {
		return false
	}
	for _, c := range s {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// isProperty: ptype "." property, each a keyword.
func isProperty(s string) bool {
	p, q, ok := strings.Cut(s, ".")
	return ok && isKeyword(p) && isKeyword(q)
}

// isAuthservID: a host name or similar token: printable ASCII without
// white space, quotes or separators, at most 255 bytes.
func isAuthservID(s string) bool {
	if s == "" || len(s) > 255 {
		return false
	}
	for _, c := range s {
		if c <= ' ' || c >= 0x7f || strings.ContainsRune(`"();\`, c) {
			return false
		}
	}
	return true
}
