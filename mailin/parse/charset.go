package parse

import (
	"strings"
	"unicode/utf8"

	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/htmlindex"
	"golang.org/x/text/encoding/ianaindex"
)

// lookupCharset maps a MIME charset label to a decoder. It returns
// (nil, true) for UTF-8 and (nil, false) for labels it does not know.
// ISO-8859-1, Latin-1 and US-ASCII are all decoded as Windows-1252, as
// browsers do: mail that says Latin-1 is very often cp1252 (curly quotes,
// euro sign), and cp1252 is a superset of ASCII.
func lookupCharset(label string) (enc encoding.Encoding, known bool) {
	l := strings.ToLower(strings.Trim(strings.TrimSpace(label), `"'`))
	if i := strings.IndexByte(l, '*'); i >= 0 { // RFC 2231 language suffix
		l = l[:i]
	}
	switch l {
	case "", "utf-8", "utf8", "unicode-1-1-utf-8":
		return nil, true
	case "us-ascii", "ascii", "ansi_x3.4-1968", "latin1", "latin-1", "l1",
		"iso-8859-1", "iso8859-1", "iso_8859-1", "iso88591", "iso-ir-100",
		"cp1252", "windows-1252", "x-cp1252", "cp819", "ibm819":
		return charmap.Windows1252, true
	case "koi8":
		return charmap.KOI8R, true
	}
	if e, err := htmlindex.Get(l); err == nil && e != nil {
		if n, _ := htmlindex.Name(e); n == "utf-8" {
			return nil, true
		}
		return e, true
	}
	if e, err := ianaindex.IANA.Encoding(l); err == nil && e != nil {
		return e, true
	}
	return nil, false
}

// decodeCharset converts b from the declared charset to UTF-8. It never
// returns invalid UTF-8. Undeclared or UTF-8 text that is not valid UTF-8
// is decoded as Windows-1252 (so it never gains U+FFFD); an unknown
// charset yields a warning and the same best effort.
func decodeCharset(label string, b []byte, w *warnings) string {
	enc, known := lookupCharset(label)
	if !known {
		w.addf("unknown charset %q: decoded as UTF-8 or Windows-1252", label)
	}
	if enc == nil {
		if utf8.Valid(b) {
			return string(b)
		}
		if known && strings.TrimSpace(label) != "" {
			w.addf("text declared %s is not valid UTF-8: decoded as Windows-1252", label)
		}
		return cp1252(b)
	}
	if enc == charmap.Windows1252 {
		return cp1252(b) // keeps the five undefined bytes instead of U+FFFD
	}
	out, err := enc.NewDecoder().Bytes(b)
	if err != nil || !utf8.Valid(out) {
		w.addf("charset %s: invalid input, decoded as Windows-1252", label)
		return cp1252(b)
	}
	return string(out)
}

// cp1252 decodes b as Windows-1252; the five undefined bytes map to the
// matching C1 control so that no byte is lost and no U+FFFD appears.
func cp1252(b []byte) string {
	var sb strings.Builder
	sb.Grow(len(b) + len(b)/4)
	for _, c := range b {
		if c < 0x80 {
			sb.WriteByte(c)
			continue
		}
		r := charmap.Windows1252.DecodeByte(c)
		if r == utf8.RuneError {
			r = rune(c)
		}
		sb.WriteRune(r)
	}
	return sb.String()
}

// ensureUTF8 returns s unchanged when it is valid UTF-8, else its
// Windows-1252 reading. Used for raw 8-bit header bytes.
func ensureUTF8(s string, w *warnings, what string) string {
	if utf8.ValidString(s) {
		return s
	}
	w.addf("8-bit bytes in %s: decoded as Windows-1252", what)
	return cp1252([]byte(s))
}
