package config

import (
	"bytes"
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/pelletier/go-toml/v2"
	"github.com/pelletier/go-toml/v2/unstable"
)

// Load returns the effective configuration: defaults, then the file at path
// (if path is not empty), then environment overrides from environ (as in
// os.Environ), then secrets read from their *_file keys, then the keys
// derived from others. The result is validated. The error names every
// problem Check finds (warnings aside), one a line, each with its key and,
// when it came from the file, the line.
func Load(path string, environ []string) (Config, error) {
	cfg, problems := Check(path, environ)
	var msgs []string
	for _, p := range problems {
		if p.Severity == SeverityError {
			msgs = append(msgs, p.String())
		}
	}
	if len(msgs) > 0 {
		return Config{}, errors.New(strings.Join(msgs, "\n"))
	}
	return cfg, nil
}

// decodeFile decodes data over the defaults and returns every problem:
// go-toml stops at the first value of the wrong type, so that value's
// expression is blanked out (lines kept) and decoding starts again, until
// what remains decodes; then every unknown key is listed. stop is true when
// the file is not TOML at all, and nothing else can be checked.
func decodeFile(path string, data []byte) (cfg Config, problems []Problem, stop bool) {
	// Decoding into a map finds what is not TOML (and keys set twice), and
	// nothing else.
	var doc map[string]any
	if err := toml.Unmarshal(data, &doc); err != nil {
		pr := Problem{Severity: SeverityError, Code: CodeSyntax, File: path, Message: err.Error()}
		var de *toml.DecodeError
		if errors.As(err, &de) {
			pr.Line, _ = de.Position()
			pr.Message = decodeMessage(de)
		}
		return Config{}, []Problem{pr}, true
	}
	var p unstable.Parser
	p.Reset(data)
	var starts []int // the first line of every expression, ascending
	for p.NextExpression() {
		if l := lineOf(&p, p.Expression()); l > 0 {
			starts = append(starts, l)
		}
	}
	work := bytes.Clone(data)
	for _, pr := range bareDurations(path, data, doc) {
		problems = append(problems, pr)
		blankExpression(work, starts, pr.Line)
	}
	for range len(starts) + 1 {
		cfg = defaults()
		dec := toml.NewDecoder(bytes.NewReader(work))
		dec.DisallowUnknownFields()
		err := dec.Decode(&cfg)
		if err == nil {
			return cfg, problems, false
		}
		var strict *toml.StrictMissingError
		if errors.As(err, &strict) {
			for _, e := range strict.Errors {
				row, _ := e.Position()
				key := strings.Join(e.Key(), ".")
				problems = append(problems, Problem{Severity: SeverityError, Code: CodeUnknownKey, File: path, Line: row,
					Key: key, Message: "unknown key", DidYouMean: suggest(key)})
			}
			return cfg, problems, false
		}
		var de *toml.DecodeError
		if !errors.As(err, &de) {
			return Config{}, append(problems, Problem{Severity: SeverityError, Code: CodeSyntax, File: path, Message: err.Error()}), true
		}
		row, _ := de.Position()
		key := strings.Join(de.Key(), ".")
		if key == "" {
			key = keyAtLine(keyLines(data), row)
		}
		problems = append(problems, Problem{Severity: SeverityError, Code: CodeType, File: path, Line: row,
			Key: key, Message: typeMessage(decodeMessage(de))})
		if !blankExpression(work, starts, row) {
			return cfg, problems, false
		}
	}
	return cfg, problems, false
}

// bareDurations finds durations written as numbers (grace_period = 30),
// which go-toml would take as nanoseconds.
func bareDurations(path string, data []byte, doc map[string]any) []Problem {
	durations := map[string]bool{}
	for _, k := range knownKeys() {
		if k.duration {
			durations[k.spelled] = true
		}
	}
	var out []Problem
	for key, line := range keyLines(data) {
		if !durations[withoutIndexes(key)] {
			continue
		}
		if v, ok := lookupPath(doc, strings.Split(key, ".")); ok {
			if _, isString := v.(string); !isString {
				out = append(out, Problem{Severity: SeverityError, Code: CodeType, File: path, Line: line, Key: key,
					Message: fmt.Sprintf("must be a duration such as \"30s\", in quotes (got %v: a bare number would be nanoseconds)", v)})
			}
		}
	}
	return out
}

// lookupPath finds a value in a decoded document by its dotted path, with
// array entries by index.
func lookupPath(v any, path []string) (any, bool) {
	for _, p := range path {
		switch n := v.(type) {
		case map[string]any:
			var ok bool
			if v, ok = n[p]; !ok {
				return nil, false
			}
		case []any:
			i, err := strconv.Atoi(p)
			if err != nil || i < 0 || i >= len(n) {
				return nil, false
			}
			v = n[i]
		case []map[string]any:
			i, err := strconv.Atoi(p)
			if err != nil || i < 0 || i >= len(n) {
				return nil, false
			}
			v = n[i]
		default:
			return nil, false
		}
	}
	return v, true
}

// blankExpression replaces with spaces the expression of data that spans
// row (from its first line to the line before the next expression), keeping
// every line break so that later lines keep their numbers. It reports
// false when there is nothing left to blank there.
func blankExpression(data []byte, starts []int, row int) bool {
	i := sort.SearchInts(starts, row+1) - 1
	if i < 0 {
		return false
	}
	first, last := starts[i], -1
	if i+1 < len(starts) {
		last = starts[i+1] - 1
	}
	line, changed := 1, false
	for j, c := range data {
		if c == '\n' {
			line++
			continue
		}
		if line >= first && (last < 0 || line <= last) && c != ' ' && c != '\r' {
			data[j], changed = ' ', true
		}
	}
	return changed
}

// typeMessage says what go-toml's "cannot decode TOML string into struct
// field config.BillingConfig.CycleHour of type int" means, without Go's
// names: "must be an integer (got a string)". Other messages pass through.
func typeMessage(msg string) string {
	m := typeErrorRE.FindStringSubmatch(msg)
	if m == nil {
		return msg
	}
	got, ok := tomlKinds[m[1]]
	if !ok {
		got = "a " + m[1]
	}
	want := "a " + m[2]
	switch {
	case strings.HasPrefix(m[2], "[]"):
		want = "a list"
	case m[2] == "config.Duration":
		want = "a duration such as \"30s\""
	case strings.HasPrefix(m[2], "config."):
		want = "a table"
	default:
		if w, ok := goKinds[m[2]]; ok {
			want = w
		}
	}
	return fmt.Sprintf("must be %s (got %s)", want, got)
}

var typeErrorRE = regexp.MustCompile(`^cannot decode TOML (\w+(?: \w+)?) into (?:struct field \S+ of type|a Go value of type) (\S+)$`)

var tomlKinds = map[string]string{
	"string": "a string", "integer": "an integer", "float": "a number", "boolean": "a boolean",
	"array": "a list", "inline table": "a table", "table": "a table",
}

var goKinds = map[string]string{
	"string": "a string", "int": "an integer", "int64": "an integer", "int32": "an integer",
	"float64": "a number", "bool": "true or false",
}

// decodeMessage is the first line of a DecodeError without go-toml's
// "toml: " prefix.
func decodeMessage(de *toml.DecodeError) string {
	msg := de.Error()
	msg = strings.TrimPrefix(msg, "toml: ")
	if i := strings.IndexByte(msg, '\n'); i >= 0 {
		msg = msg[:i]
	}
	return msg
}

// keyLines maps each dotted key set in a TOML document to its line (1-based).
// Array-of-tables entries are keyed with their index: mailboxes.0.host.
func keyLines(data []byte) map[string]int {
	lines := map[string]int{}
	var p unstable.Parser
	p.Reset(data)
	var table []string
	arrays := map[string]int{}
	for p.NextExpression() {
		e := p.Expression()
		switch e.Kind {
		case unstable.Table:
			table = nodeKey(e)
			lines[strings.Join(table, ".")] = lineOf(&p, e)
		case unstable.ArrayTable:
			k := strings.Join(nodeKey(e), ".")
			idx := arrays[k]
			arrays[k]++
			table = append(nodeKey(e), fmt.Sprint(idx))
			lines[strings.Join(table, ".")] = lineOf(&p, e)
		case unstable.KeyValue:
			full := append(append([]string{}, table...), nodeKey(e)...)
			lines[strings.Join(full, ".")] = lineOf(&p, e)
		}
	}
	return lines
}

func nodeKey(n *unstable.Node) []string {
	var parts []string
	it := n.Key()
	for it.Next() {
		parts = append(parts, string(it.Node().Data))
	}
	return parts
}

func lineOf(p *unstable.Parser, n *unstable.Node) int {
	it := n.Key()
	if !it.Next() {
		return 0
	}
	return p.Shape(p.Range(it.Node().Data)).Start.Line
}

func keyAtLine(lines map[string]int, row int) string {
	best := ""
	for k, l := range lines {
		if l == row && len(k) > len(best) {
			best = k
		}
	}
	return best
}
