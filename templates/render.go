package templates

import (
	"bytes"
	"fmt"
	"reflect"
	"strings"
)

// Rendered is one email ready for the outbox.
type Rendered struct {
	Subject string // one line, trimmed, not yet MIME-encoded
	Text    string // the text/plain part, ending in one newline
	HTML    string // the text/html part, a complete document
}

// validator is implemented by data types with rules beyond their field
// types, such as Access (a link or a password, not both).
type validator interface{ validate() error }

// Render renders the named email in lang ("" means "es") with data, which
// must be the type SampleData(name) returns, or a non-nil pointer to it.
func (s *Set) Render(name, lang string, data any) (*Rendered, error) {
	if lang == "" {
		lang = Langs()[0]
	}
	if !knownLang(lang) {
		return nil, fmt.Errorf("render %s: unknown language %q (known: %v)", name, lang, Langs())
	}
	k, err := lookup(name)
	if err != nil {
		return nil, fmt.Errorf("render: %w", err)
	}
	v := reflect.ValueOf(data)
	if v.Kind() == reflect.Pointer && !v.IsNil() {
		v = v.Elem()
	}
	if !v.IsValid() || v.Type() != k.dataType() {
		return nil, fmt.Errorf("render %s: data is %T, want templates.%s", name, data, k.dataType().Name())
	}
	if vd, ok := v.Interface().(validator); ok {
		if err := vd.validate(); err != nil {
			return nil, fmt.Errorf("render %s: %w", name, err)
		}
	}
	return s.render(lang, name, v.Interface())
}

// render executes the three parts of one entry. data has the right type.
func (s *Set) render(lang, name string, data any) (*Rendered, error) {
	e := s.entries[entryKey(lang, name)]
	var subj, text, html bytes.Buffer
	if err := e.subject.Execute(&subj, data); err != nil {
		return nil, err
	}
	if err := e.text.Execute(&text, data); err != nil {
		return nil, err
	}
	if err := e.html.Execute(&html, data); err != nil {
		return nil, err
	}
	subject := strings.TrimSpace(subj.String())
	if strings.ContainsAny(subject, "\r\n") {
		return nil, fmt.Errorf("%s: subject spans several lines: %q", e.subject.Name(), subject)
	}
	return &Rendered{Subject: subject, Text: tidyText(text.String()), HTML: html.String()}, nil
}

// tidyText lets templates be written readably: lines holding only white
// space become empty, runs of empty lines become one, and the text is
// trimmed to end in exactly one newline. Other lines are left as they are
// (the "-- " signature separator keeps its space).
func tidyText(s string) string {
	s = strings.ReplaceAll(s, "\r\n", "\n")
	var out []string
	blank := true // drop leading empty lines
	for _, line := range strings.Split(s, "\n") {
		if strings.TrimSpace(line) == "" {
			if !blank {
				out = append(out, "")
			}
			blank = true
			continue
		}
		out = append(out, line)
		blank = false
	}
	return strings.TrimRight(strings.Join(out, "\n"), "\n") + "\n"
}
