package config

import (
	"fmt"
	"os"
	"slices"
	"strings"
)

// Severity says whether a Problem stops Turno from starting.
type Severity string

// Severities.
const (
	SeverityError   Severity = "error"   // Load fails; turno serve does not start
	SeverityWarning Severity = "warning" // works, but probably not as meant
)

// Problem codes, stable for scripts reading `turno config check --json`.
const (
	CodeRead       = "read"        // the file cannot be read
	CodeSyntax     = "syntax"      // the file is not TOML; nothing after it is checked
	CodeUnknownKey = "unknown_key" // a key Turno does not have
	CodeType       = "type"        // a value of the wrong type
	CodeInvalid    = "invalid"     // a value that parses but makes no sense
	CodeSecretFile = "secret_file" // a *_file key that cannot be used
	CodeOldName    = "old_name"    // a key's old name (billing.time_zone)
	CodeMismatch   = "mismatch"    // two keys that name one fact disagree
	CodeTemplate   = "template"    // an email template override that does not load (turno config check)
)

// Problem is one thing wrong with a configuration, located where it was
// set: a file and line, or an environment variable.
type Problem struct {
	Severity Severity `json:"severity"`
	Code     string   `json:"code"`
	File     string   `json:"file,omitempty"`
	Line     int      `json:"line,omitempty"` // 1-based; 0 when unknown
	Env      string   `json:"env,omitempty"`  // the variable it came from
	Key      string   `json:"key,omitempty"`  // dotted; array entries by index (mailboxes.0.host)
	Message  string   `json:"message"`        // without the location and the key
	// DidYouMean lists known keys close to an unknown one.
	DidYouMean []string `json:"did_you_mean,omitempty"`
}

// String is the problem as one line for people:
//
//	turno.toml:4: unknown key "mongodb.urii"; did you mean "mongodb.uri"?
//	turno.toml:7: log.level: must be one of debug, info, warn, error (got "loud")
//	turno.toml:9: warning: billing.time_zone: "America/Punta_Arenas" differs from ...
//	log.format (from TURNO_LOG_FORMAT): must be text or json (got "xml")
func (p Problem) String() string {
	var b strings.Builder
	switch {
	case p.Env != "":
	case p.File != "" && p.Line > 0:
		fmt.Fprintf(&b, "%s:%d: ", p.File, p.Line)
	case p.File != "":
		fmt.Fprintf(&b, "%s: ", p.File)
	}
	if p.Severity == SeverityWarning {
		b.WriteString("warning: ")
	}
	switch {
	case p.Code == CodeUnknownKey:
		fmt.Fprintf(&b, "unknown key %q", p.Key)
	case p.Key != "" && p.Env != "":
		fmt.Fprintf(&b, "%s (from %s): %s", p.Key, p.Env, p.Message)
	case p.Key != "":
		fmt.Fprintf(&b, "%s: %s", p.Key, p.Message)
	default:
		b.WriteString(p.Message)
	}
	if len(p.DidYouMean) > 0 {
		q := make([]string, len(p.DidYouMean))
		for i, k := range p.DidYouMean {
			q[i] = fmt.Sprintf("%q", k)
		}
		fmt.Fprintf(&b, "; did you mean %s?", strings.Join(q, " or "))
	}
	return b.String()
}

// Check reads the configuration as Load does and returns it with every
// problem found in one pass: the file's syntax, unknown keys (with
// suggestions), values of the wrong type, environment variables that do not
// parse, secret files, invalid values, and warnings from derive. A value
// that cannot be used keeps its default, so that checking goes on. Problems
// located in the file come first, in file order; the others follow in the
// order found. The Config is meaningful only when no problem is an error.
func Check(path string, environ []string) (Config, []Problem) {
	cfg := defaults()
	var problems []Problem
	var lines map[string]int
	if path != "" {
		data, err := os.ReadFile(path)
		if err != nil {
			return Config{}, []Problem{{Severity: SeverityError, Code: CodeRead, Message: fmt.Sprintf("read config: %v", err)}}
		}
		var stop bool
		cfg, problems, stop = decodeFile(path, data)
		if stop {
			return Config{}, problems
		}
		lines = keyLines(data)
	}
	fromEnv, envProblems := applyEnv(&cfg, environ)
	problems = append(problems, envProblems...)
	at := func(sev Severity, code string, errs []FieldError) {
		for _, e := range errs {
			problems = append(problems, locate(path, lines, fromEnv, sev, code, e))
		}
	}
	at(SeverityError, CodeSecretFile, resolveSecretFiles(&cfg))

	// Errors in a zone set under its old name are reported there.
	tzKey := "time_zone"
	if cfg.TimeZone == "" && cfg.Billing.TimeZone != "" {
		tzKey = "billing.time_zone"
	}
	for _, w := range cfg.derive() {
		code := CodeMismatch
		if w.Key == "billing.time_zone" {
			code = CodeOldName
		}
		at(SeverityWarning, code, []FieldError{w})
	}
	errs := cfg.Validate()
	for i := range errs {
		if errs[i].Key == "time_zone" {
			errs[i].Key = tzKey
		}
	}
	at(SeverityError, CodeInvalid, errs)

	slices.SortStableFunc(problems, func(a, b Problem) int {
		switch {
		case a.Line > 0 && b.Line > 0:
			return a.Line - b.Line
		case a.Line > 0:
			return -1
		case b.Line > 0:
			return 1
		}
		return 0
	})
	return cfg, problems
}

// locate turns a FieldError into a Problem placed where its key was set:
// the environment wins over the file, as it does for the value.
func locate(path string, lines map[string]int, fromEnv map[string]string, sev Severity, code string, e FieldError) Problem {
	p := Problem{Severity: sev, Code: code, Key: e.Key, Message: e.Msg}
	if env, ok := fromEnv[e.Key]; ok {
		p.Env = env
		return p
	}
	p.File = path
	// A key the file does not set (a required one, say) is placed at its
	// table, when the file has that: [[mailboxes]] for mailboxes.0.host.
	for k := e.Key; k != "" && p.Line == 0; {
		p.Line = lines[k]
		i := strings.LastIndexByte(k, '.')
		if i < 0 {
			break
		}
		k = k[:i]
	}
	return p
}
