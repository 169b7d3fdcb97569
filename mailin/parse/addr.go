package parse

import (
	"crypto/sha256"
	"encoding/hex"
	"net/mail"
	"regexp"
	"strings"
	"time"
)

// RawHash is the hex SHA-256 of a raw message: the dedup key when a
// message has no Message-ID.
func RawHash(raw []byte) string {
	s := sha256.Sum256(raw)
	return hex.EncodeToString(s[:])
}

// NormalizeMessageID returns the first <...> id in s without angle
// brackets and whitespace, or the trimmed s when it has no brackets.
func NormalizeMessageID(s string) string {
	ids := messageIDs(s)
	if len(ids) == 0 {
		return ""
	}
	return ids[0]
}

// messageIDs returns every id in a References/In-Reply-To style value.
func messageIDs(s string) []string {
	var ids []string
	rest := s
	for {
		i := strings.IndexByte(rest, '<')
		if i < 0 {
			break
		}
		j := strings.IndexByte(rest[i:], '>')
		if j < 0 {
			break
		}
		if id := stripSpace(rest[i+1 : i+j]); id != "" {
			ids = append(ids, id)
		}
		rest = rest[i+j+1:]
	}
	if ids == nil {
		for _, f := range strings.Fields(strings.NewReplacer("<", " ", ">", " ").Replace(s)) {
			if strings.Contains(f, "@") || len(ids) == 0 {
				ids = append(ids, f)
			}
		}
	}
	return ids
}

func stripSpace(s string) string {
	return strings.Join(strings.Fields(s), "")
}

var looseAddr = regexp.MustCompile(`[^\s<>,;:"()\[\]]+@[^\s<>,;:"()\[\]]+`)

// parseAddressList parses an address header value (already valid UTF-8,
// RFC 2047 still encoded). When the strict parser fails it falls back to
// picking out anything that looks like an address, with a warning.
func parseAddressList(v string, w *warnings, what string) []Address {
	v = strings.TrimSpace(v)
	if v == "" {
		return nil
	}
	p := mail.AddressParser{WordDecoder: wordDecoder(w)}
	list, err := p.ParseList(v)
	if err != nil {
		// Valid RFC 5322 that net/mail refuses: comments inside an
		// address, and groups (old mailers still write both).
		if l, err2 := p.ParseList(uncommentAddressList(v)); err2 == nil && len(l) > 0 {
			list, err = l, nil
		}
	}
	if err == nil {
		out := make([]Address, 0, len(list))
		for _, a := range list {
			name := a.Name
			if strings.Contains(name, "=?") {
				// Encoded words inside a quoted string: wrong, but common.
				name = decodeWords(name, w)
			}
			out = append(out, Address{Name: strings.TrimSpace(fixC1(name)), Address: a.Address})
		}
		return out
	}
	w.addf("%s: unparseable address list, recovered loosely", what)
	var out []Address
	dec := decodeWords(v, w)
	for _, m := range looseAddr.FindAllStringIndex(dec, -1) {
		addr := strings.Trim(dec[m[0]:m[1]], ".'")
		name := ""
		if len(out) == 0 {
			name = strings.Trim(strings.TrimSpace(dec[:m[0]]), `"' <`)
		}
		out = append(out, Address{Name: name, Address: addr})
	}
	return out
}

// uncommentAddressList rewrites an address list without RFC 5322 comments
// and group syntax, which net/mail does not accept: comments are dropped
// wherever they stand (outside quoted strings; nested, with quoted pairs),
// a group's "display name :" is dropped and its closing ";" ends the
// entry, and empty entries are removed.
//
//	Pete(A wonderful \) chap) <pete(his account)@silly.test(his host)>
//	→ Pete <pete@silly.test>
//	A Group(Some people) :Chris Jones <c@(Chris's host.)public.example>, joe@example.org;
//	→ Chris Jones <c@public.example>, joe@example.org
func uncommentAddressList(v string) string {
	out := make([]byte, 0, len(v))
	entry := 0 // where the current entry starts in out
	endEntry := func() {
		if strings.TrimSpace(string(out[entry:])) == "" {
			out = out[:entry]
		} else {
			out = append(out, ',')
		}
		entry = len(out)
	}
	depth, quoted, angle := 0, false, false
	for i := 0; i < len(v); i++ {
		c := v[i]
		switch {
		case depth > 0:
			switch c {
			case '\\':
				i++
			case '(':
				depth++
			case ')':
				depth--
			}
		case quoted:
			out = append(out, c)
			if c == '\\' && i+1 < len(v) {
				i++
				out = append(out, v[i])
			} else if c == '"' {
				quoted = false
			}
		case c == '"':
			quoted = true
			out = append(out, c)
		case c == '(':
			depth = 1
		case c == '<':
			angle = true
			out = append(out, c)
		case c == '>':
			angle = false
			out = append(out, c)
		case c == ':' && !angle: // a group's display name ends here
			out = out[:entry]
		case (c == ';' || c == ',') && !angle:
			endEntry()
		default:
			out = append(out, c)
		}
	}
	return strings.Trim(string(out), " \t,")
}

func firstAddress(v string, w *warnings, what string) *Address {
	l := parseAddressList(v, w, what)
	if len(l) == 0 {
		return nil
	}
	return &l[0]
}

// parseDate parses a Date header; nil with a warning when it cannot.
func parseDate(v string, w *warnings) *time.Time {
	v = strings.TrimSpace(v)
	if v == "" {
		return nil
	}
	if t, err := mail.ParseDate(v); err == nil {
		return &t
	}
	// Drop a trailing "(CEST)" style comment or extra words and retry.
	if i := strings.LastIndexByte(v, '('); i > 0 {
		if t, err := mail.ParseDate(strings.TrimSpace(v[:i])); err == nil {
			return &t
		}
	}
	for _, layout := range []string{time.RFC3339, "2006-01-02 15:04:05 -0700", "Mon, 2 Jan 2006 15:04:05", "2 Jan 2006 15:04:05"} {
		if t, err := time.Parse(layout, v); err == nil {
			return &t
		}
	}
	w.addf("unparseable Date %q", v)
	return nil
}
