package config

import (
	"reflect"
	"slices"
	"strings"
)

// suggest returns the known keys an unknown key was probably meant to be,
// best first, at most three: those within two edits of it (a typo: urii,
// databse, timezone), then those with the same last segment under another
// table (from_name under [company] instead of [mail]). An old name is
// suggested as its new one. Entries of arrays of tables are compared
// without their index (mailboxes.host).
func suggest(unknown string) []string {
	unknown = withoutIndexes(unknown)
	last := unknown[strings.LastIndexByte(unknown, '.')+1:]
	type cand struct {
		key  string
		dist int
	}
	var close, moved []cand
	for _, k := range knownKeys() {
		if k.spelled == unknown {
			continue
		}
		if d := editDistance(unknown, k.spelled); d <= 2 {
			close = append(close, cand{k.shown, d})
		} else if k.spelled[strings.LastIndexByte(k.spelled, '.')+1:] == last {
			moved = append(moved, cand{k.shown, 3})
		}
	}
	slices.SortStableFunc(close, func(a, b cand) int { return a.dist - b.dist })
	var out []string
	for _, c := range append(close, moved...) {
		if !slices.Contains(out, c.key) && len(out) < 3 {
			out = append(out, c.key)
		}
	}
	return out
}

// knownKey is a key as it may be spelled in a file, and the key to suggest
// for it: the same, or the new name of an old one.
type knownKey struct {
	spelled, shown string
	duration       bool // a Duration, written as a string ("30s")
}

// knownKeys lists every key of Config, tables included, in declaration
// order, with the fields of arrays of tables listed once without an index.
func knownKeys() []knownKey {
	var out []knownKey
	var walk func(t reflect.Type, prefix string)
	walk = func(t reflect.Type, prefix string) {
		for i := 0; i < t.NumField(); i++ {
			sf := t.Field(i)
			name := strings.Split(sf.Tag.Get("toml"), ",")[0]
			if name == "" || name == "-" {
				continue
			}
			key := prefix + name
			ft := sf.Type
			switch {
			case ft.Kind() == reflect.Struct && !reflect.PointerTo(ft).Implements(textUnmarshaler):
				out = append(out, knownKey{spelled: key, shown: key})
				walk(ft, key+".")
			case ft.Kind() == reflect.Slice && ft.Elem().Kind() == reflect.Struct:
				out = append(out, knownKey{spelled: key, shown: key})
				walk(ft.Elem(), key+".")
			case sf.Tag.Get("alias") != "":
				out = append(out, knownKey{spelled: key, shown: sf.Tag.Get("alias")})
			default:
				out = append(out, knownKey{key, key, ft == reflect.TypeFor[Duration]()})
			}
		}
	}
	walk(reflect.TypeOf(Config{}), "")
	return out
}

var textUnmarshaler = reflect.TypeFor[interface{ UnmarshalText([]byte) error }]()

// withoutIndexes drops the numeric segments of a dotted key.
func withoutIndexes(key string) string {
	parts := strings.Split(key, ".")
	out := parts[:0]
	for _, p := range parts {
		if p == "" || strings.Trim(p, "0123456789") != "" {
			out = append(out, p)
		}
	}
	return strings.Join(out, ".")
}

// editDistance is the optimal string alignment distance between a and b:
// insertions, deletions, substitutions and swaps of two neighbours each
// count one.
func editDistance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	prev2 := make([]int, len(rb)+1)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && ra[i-1] == rb[j-2] && ra[i-2] == rb[j-1] {
				cur[j] = min(cur[j], prev2[j-2]+1)
			}
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return prev[len(rb)]
}
