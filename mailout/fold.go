package mailout

import (
	"encoding/base64"
	"path"
	"strings"
	"unicode/utf8"
)

// Header lines. RFC 5322 §2.1.1: a line must stay within 998 bytes and
// should within 78; relays refuse longer lines (one with a 2,000-byte
// limit refused a 96 KB References line). go-mail folds the headers it
// writes itself (addresses, Subject) between words, but writes
// preformatted ones (In-Reply-To, References) as given, and cannot fold a
// word longer than a line. compose therefore folds References here,
// bounds every msg-id (validate.go), encodes a subject with an overlong
// word, and shortens overlong attachment names.
const (
	foldWidth = 78
	// maxFilename bounds an attachment's name in bytes: go-mail does not
	// fold part headers, and an RFC 2047-encoded name grows up to 3×.
	maxFilename = 120
	// maxSubjectWord is the longest word a subject may carry unencoded:
	// go-mail folds between words only.
	maxSubjectWord = 60
)

// foldIDs is the value of a msg-id list header (References) named key,
// folded: as many ids on a line as fit in foldWidth, each further line
// starting with a space. An id too long for a line gets one of its own;
// validate.go keeps each under 998 bytes with its key.
func foldIDs(key string, ids []string) string {
	var b strings.Builder
	col := len(key) + 2 // "Key: "
	for i, id := range ids {
		if i > 0 {
			if col+1+len(id) > foldWidth {
				b.WriteString("\r\n")
				col = 0
			}
			b.WriteByte(' ')
			col++
		}
		b.WriteString(id)
		col += len(id)
	}
	return b.String()
}

// sendableSubject returns s as is when go-mail can fold it (no word over
// maxSubjectWord bytes), else all of it as RFC 2047 encoded-words of at
// most 75 characters, separated by spaces, which decoders join back into
// s (RFC 2047 §6.2).
func sendableSubject(s string) string {
	long := false
	for _, w := range strings.Fields(s) {
		if len(w) > maxSubjectWord {
			long = true
			break
		}
	}
	if !long {
		return s
	}
	const chunk = 45 // 60 base64 characters + "=?UTF-8?B??=" = 72
	var words []string
	for s != "" {
		n := min(chunk, len(s))
		for n > 0 && n < len(s) && !utf8.RuneStart(s[n]) {
			n--
		}
		if n == 0 { // invalid UTF-8: cut anywhere
			n = min(chunk, len(s))
		}
		words = append(words, "=?UTF-8?B?"+base64.StdEncoding.EncodeToString([]byte(s[:n]))+"?=")
		s = s[n:]
	}
	return strings.Join(words, " ")
}

// sendableFilename shortens a name over maxFilename bytes, keeping its
// extension (when short) and whole UTF-8 characters.
func sendableFilename(name string) string {
	if len(name) <= maxFilename {
		return name
	}
	ext := path.Ext(name)
	if len(ext) > 16 {
		ext = ""
	}
	base := name[:len(name)-len(ext)]
	n := maxFilename - len(ext)
	for n > 0 && !utf8.RuneStart(base[n]) {
		n--
	}
	return base[:n] + ext
}
