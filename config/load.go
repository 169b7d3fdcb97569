package config

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/pelletier/go-toml/v2"
	"github.com/pelletier/go-toml/v2/unstable"
)

// Load returns the effective configuration: defaults, then the file at path
// (if path is not empty), then environment overrides from environ (as in
// os.Environ), then secrets read from their *_file keys. The result is
// validated. Errors name the key and, when it came from the file, the line.
func Load(path string, environ []string) (Config, error) {
	cfg := Default()
	var lines map[string]int
	if path != "" {
		data, err := os.ReadFile(path)
		if err != nil {
			return Config{}, fmt.Errorf("read config: %w", err)
		}
		lines = keyLines(data)
		if err := decodeFile(path, data, lines, &cfg); err != nil {
			return Config{}, err
		}
	}
	fromEnv, err := applyEnv(&cfg, environ)
	if err != nil {
		return Config{}, err
	}
	if err := resolveSecretFiles(&cfg); err != nil {
		return Config{}, err
	}
	if errs := cfg.Validate(); len(errs) > 0 {
		msgs := make([]string, len(errs))
		for i, e := range errs {
			msgs[i] = locate(path, lines, fromEnv, e)
		}
		return Config{}, errors.New(strings.Join(msgs, "\n"))
	}
	return cfg, nil
}

func decodeFile(path string, data []byte, lines map[string]int, cfg *Config) error {
	dec := toml.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	err := dec.Decode(cfg)
	if err == nil {
		return nil
	}
	var strict *toml.StrictMissingError
	if errors.As(err, &strict) {
		msgs := make([]string, len(strict.Errors))
		for i, e := range strict.Errors {
			row, _ := e.Position()
			msgs[i] = fmt.Sprintf("%s:%d: unknown key %q", path, row, strings.Join(e.Key(), "."))
		}
		return errors.New(strings.Join(msgs, "\n"))
	}
	var de *toml.DecodeError
	if errors.As(err, &de) {
		row, _ := de.Position()
		key := strings.Join(de.Key(), ".")
		if key == "" {
			key = keyAtLine(lines, row)
		}
		if key != "" {
			return fmt.Errorf("%s:%d: %s: %s", path, row, key, decodeMessage(de))
		}
		return fmt.Errorf("%s:%d: %s", path, row, decodeMessage(de))
	}
	return fmt.Errorf("%s: %w", path, err)
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

// locate prefixes a validation error with where its key was set.
func locate(path string, lines map[string]int, fromEnv map[string]string, e FieldError) string {
	if env, ok := fromEnv[e.Key]; ok {
		return fmt.Sprintf("%s (from %s): %s", e.Key, env, e.Msg)
	}
	if line, ok := lines[e.Key]; ok {
		return fmt.Sprintf("%s:%d: %s: %s", path, line, e.Key, e.Msg)
	}
	if path != "" {
		return fmt.Sprintf("%s: %s: %s", path, e.Key, e.Msg)
	}
	return fmt.Sprintf("%s: %s", e.Key, e.Msg)
}
