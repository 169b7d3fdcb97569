package templates

import (
	"fmt"
	"reflect"
)

// check renders every entry with its sample data and with the zero value
// of its data type (no invoices, no names, zero dates), so that a template
// that would fail on real data fails at Load instead. Execution errors from
// text/template and html/template name the file and line already.
func (s *Set) check() []error {
	var errs []error
	for _, lang := range Langs() {
		for _, k := range catalog() {
			for _, data := range []any{k.sample(), reflect.Zero(k.dataType()).Interface()} {
				r, err := s.render(lang, k.name, data)
				if err != nil {
					errs = append(errs, fmt.Errorf("%w (rendering %s data)", err, describe(data)))
					break
				}
				if r.Subject == "" {
					errs = append(errs, fmt.Errorf("%s: subject is empty for %s data",
						s.entries[entryKey(lang, k.name)].subject.Name(), describe(data)))
					break
				}
			}
		}
	}
	return errs
}

func describe(data any) string {
	if reflect.ValueOf(data).IsZero() {
		return "zero-value"
	}
	return "sample"
}
