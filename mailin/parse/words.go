package parse

import (
	"encoding/base64"
	"io"
	"mime"
	"regexp"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/encoding/charmap"
)

// encodedWord matches an RFC 2047 encoded word. It is lenient: it also
// accepts words inside quoted strings and next to other text, as
// Outlook and older mailers write them.
var encodedWord = regexp.MustCompile(`=\?([^?\s]{1,64})\?([bBqQ])\?([^?]*?)\?=`)

// decodeWords decodes every RFC 2047 encoded word in s. Whitespace
// between adjacent encoded words is dropped (RFC 2047 6.2). Words that do
// not decode are left as they are, with a warning.
func decodeWords(s string, w *warnings) string {
	if !strings.Contains(s, "=?") {
		return s
	}
	locs := encodedWord.FindAllStringSubmatchIndex(s, -1)
	if locs == nil {
		return s
	}
	var sb strings.Builder
	last := 0
	prevWord := false
	// Adjacent words in the same charset are joined before decoding so a
	// multi-byte character split across two words survives.
	var pendCharset string
	var pend []byte
	flush := func() {
		if pend != nil {
			sb.WriteString(decodeCharset(pendCharset, pend, w))
			pend = nil
		}
	}
	for _, m := range locs {
		between := s[last:m[0]]
		if !(prevWord && strings.TrimSpace(between) == "") {
			flush()
			sb.WriteString(between)
		}
		charset, enc, text := s[m[2]:m[3]], s[m[4]:m[5]], s[m[6]:m[7]]
		raw, ok := decodeWordText(enc, text)
		if !ok {
			flush()
			w.addf("malformed encoded word in header")
			sb.WriteString(s[m[0]:m[1]])
			prevWord = false
			last = m[1]
			continue
		}
		if pend != nil && !strings.EqualFold(charset, pendCharset) {
			flush()
		}
		pendCharset = charset
		pend = append(pend, raw...)
		if pend == nil {
			pend = []byte{}
		}
		prevWord = true
		last = m[1]
	}
	flush()
	sb.WriteString(s[last:])
	return sb.String()
}

func decodeWordText(enc, text string) ([]byte, bool) {
	if enc == "b" || enc == "B" {
		t := strings.TrimRight(strings.Map(func(r rune) rune {
			if r == ' ' || r == '\t' {
				return -1
			}
			return r
		}, text), "=")
		b, err := base64.RawStdEncoding.DecodeString(t)
		if err != nil {
			// Keep what decodes: drop a trailing partial group.
			for len(t) > 0 && err != nil {
				t = t[:len(t)-1]
				b, err = base64.RawStdEncoding.DecodeString(t)
			}
			return b, len(b) > 0
		}
		return b, true
	}
	var b []byte
	for i := 0; i < len(text); i++ {
		c := text[i]
		switch {
		case c == '_':
			b = append(b, ' ')
		case c == '=' && i+2 < len(text) && isHex(text[i+1]) && isHex(text[i+2]):
			b = append(b, unhex(text[i+1])<<4|unhex(text[i+2]))
			i += 2
		default:
			b = append(b, c)
		}
	}
	return b, true
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

func unhex(c byte) byte {
	switch {
	case '0' <= c && c <= '9':
		return c - '0'
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10
	default:
		return c - 'A' + 10
	}
}

// wordDecoder is a mime.WordDecoder that knows every charset
// lookupCharset knows. It is used where net/mail decodes display names.
func wordDecoder(w *warnings) *mime.WordDecoder {
	return &mime.WordDecoder{CharsetReader: func(label string, r io.Reader) (io.Reader, error) {
		b, err := io.ReadAll(r)
		if err != nil {
			return nil, err
		}
		return strings.NewReader(decodeCharset(label, b, w)), nil
	}}
}

// fixC1 maps C1 controls (U+0080..U+009F) to their Windows-1252 reading:
// the standard library decodes ISO-8859-1 words strictly, and such
// controls in a header always mean cp1252 punctuation.
func fixC1(s string) string {
	if !strings.ContainsFunc(s, func(r rune) bool { return r >= 0x80 && r <= 0x9f }) {
		return s
	}
	return strings.Map(func(r rune) rune {
		if r >= 0x80 && r <= 0x9f {
			if d := charmap.Windows1252.DecodeByte(byte(r)); d != utf8.RuneError {
				return d
			}
		}
		return r
	}, s)
}
