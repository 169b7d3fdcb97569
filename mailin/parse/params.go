package parse

import (
	"sort"
	"strconv"
	"strings"
)

// parseMediaType parses a Content-Type or Content-Disposition value
// leniently: lower-case type, parameters with lower-case keys, quoted
// strings, RFC 2231 continuations and charset'lang'value encodings (in any
// charset we know), and RFC 2047 words inside values (Outlook's
// filename="=?utf-8?...?="). It never fails; garbage yields an empty type.
func parseMediaType(v string, w *warnings) (string, map[string]string) {
	mt, rest, _ := strings.Cut(v, ";")
	mt = strings.ToLower(strings.TrimSpace(mt))
	if i := strings.IndexAny(mt, " \t\"("); i >= 0 {
		mt = mt[:i]
	}
	params := map[string]string{}
	type seg struct {
		idx int
		ext bool
		val string
	}
	segs := map[string][]seg{}
	for len(rest) > 0 {
		rest = strings.TrimLeft(rest, " \t;")
		if rest == "" {
			break
		}
		eq := strings.IndexAny(rest, "=;")
		if eq < 0 || rest[eq] == ';' {
			// attribute without value: skip it
			if eq < 0 {
				break
			}
			rest = rest[eq+1:]
			continue
		}
		key := strings.ToLower(strings.TrimSpace(rest[:eq]))
		rest = strings.TrimLeft(rest[eq+1:], " \t")
		var val string
		if strings.HasPrefix(rest, `"`) {
			var sb strings.Builder
			i := 1
			for ; i < len(rest); i++ {
				c := rest[i]
				if c == '\\' && i+1 < len(rest) && (rest[i+1] == '"' || rest[i+1] == '\\') {
					// Only \" and \\ are escapes: Windows paths in
					// filename="C:\dir\x.doc" keep their backslashes.
					i++
					sb.WriteByte(rest[i])
					continue
				}
				if c == '"' {
					break
				}
				sb.WriteByte(c)
			}
			val = sb.String()
			if i < len(rest) {
				i++
			}
			rest = rest[i:]
			if j := strings.IndexByte(rest, ';'); j >= 0 {
				rest = rest[j:]
			} else {
				rest = ""
			}
		} else {
			j := strings.IndexByte(rest, ';')
			if j < 0 {
				j = len(rest)
			}
			val = strings.TrimSpace(rest[:j])
			rest = rest[j:]
		}
		if key == "" {
			continue
		}
		// RFC 2231: name*, name*0, name*0*, name*1 ...
		if i := strings.IndexByte(key, '*'); i >= 0 {
			base, suffix := key[:i], key[i+1:]
			ext := strings.HasSuffix(suffix, "*") || suffix == ""
			suffix = strings.TrimSuffix(suffix, "*")
			idx := 0
			if suffix != "" {
				n, err := strconv.Atoi(suffix)
				if err != nil || n < 0 || n > 999 {
					continue
				}
				idx = n
			}
			segs[base] = append(segs[base], seg{idx, ext, val})
			continue
		}
		if strings.Contains(val, "=?") {
			val = decodeWords(val, w)
		}
		if _, dup := params[key]; !dup {
			params[key] = val
		}
	}
	for base, ss := range segs {
		sort.SliceStable(ss, func(i, j int) bool { return ss[i].idx < ss[j].idx })
		charset := ""
		var raw []byte
		for i, s := range ss {
			v := s.val
			if s.ext {
				if i == 0 {
					if p := strings.SplitN(v, "'", 3); len(p) == 3 {
						charset, v = p[0], p[2]
					}
				}
				raw = append(raw, percentDecode(v)...)
			} else {
				raw = append(raw, v...)
			}
		}
		params[base] = decodeCharset(charset, raw, w) // RFC 2231 wins over the plain form
	}
	return mt, params
}

func percentDecode(s string) []byte {
	b := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		if s[i] == '%' && i+2 < len(s) && isHex(s[i+1]) && isHex(s[i+2]) {
			b = append(b, unhex(s[i+1])<<4|unhex(s[i+2]))
			i += 2
			continue
		}
		b = append(b, s[i])
	}
	return b
}
