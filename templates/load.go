package templates

import (
	"errors"
	"fmt"
	htmltemplate "html/template"
	"strings"
	texttemplate "text/template"
	"time"

	// The zone database, used when the machine has none, so that the
	// default zone loads everywhere (and the golden files render alike).
	_ "time/tzdata"
)

// Company is who the mail comes from, taken from configuration. Every
// template can reach it as {{company.Name}}, {{company.SupportAddress}}...
type Company struct {
	Name           string // required; shown in the header and the signature
	SupportAddress string // required; where customers write to
	Website        string // optional
	Phone          string // optional
	Footer         string // optional; a line or two of legal or contact text
}

// Options configures Load.
type Options struct {
	// Dir holds operator overrides, laid out as the embedded defaults are
	// (<lang>/<name>.subject.txt, .txt, .html, <lang>/layout.txt, .html).
	// Any file there replaces that one default; every other file is an
	// error. "" means no overrides.
	Dir string
	// Company is passed to every template.
	Company Company
	// TimeZone (an IANA name) is where every date and time is shown: date
	// gives the calendar date there, datetime the time there with the
	// zone's name. "" means DefaultTimeZone. Load fails on an unknown zone.
	TimeZone string
}

// DefaultTimeZone is the zone of Options.TimeZone when it is empty.
const DefaultTimeZone = "America/Santiago"

// Set is every email in every language, parsed and checked. It is safe
// for concurrent use and never changes after Load.
type Set struct {
	company Company
	loc     *time.Location    // where dates and times are shown
	entries map[string]*entry // by entryKey(lang, name)
}

// entry is one email in one language.
type entry struct {
	subject *texttemplate.Template
	text    *texttemplate.Template // the layout, with the body as "body"
	html    *htmltemplate.Template // the layout, with the body as "body"
}

func entryKey(lang, name string) string { return lang + "/" + name }

// Load parses the embedded templates and the overrides in opts.Dir, then
// renders every email in every language with its SampleData and with the
// zero value of its data type. Any failure is reported here, naming the
// file and, where the template package gives one, the line; all failures
// are reported together. A Set that loads renders any data of the right
// type.
func Load(opts Options) (*Set, error) {
	if strings.TrimSpace(opts.Company.Name) == "" {
		return nil, errors.New("load templates: company name is empty")
	}
	if strings.TrimSpace(opts.Company.SupportAddress) == "" {
		return nil, errors.New("load templates: company support address is empty")
	}
	zone := opts.TimeZone
	if zone == "" {
		zone = DefaultTimeZone
	}
	loc, err := time.LoadLocation(zone)
	if err != nil || zone == "Local" {
		return nil, fmt.Errorf("load templates: time zone %q: not an IANA time zone such as %s", zone, DefaultTimeZone)
	}
	srcs, err := sources(opts.Dir)
	if err != nil {
		return nil, fmt.Errorf("load templates: %w", err)
	}
	s := &Set{company: opts.Company, loc: loc, entries: make(map[string]*entry)}
	var errs []error
	for _, lang := range Langs() {
		errs = append(errs, s.buildLang(lang, srcs)...)
	}
	if len(errs) == 0 {
		errs = s.check()
	}
	if len(errs) > 0 {
		return nil, fmt.Errorf("load templates: %w", errors.Join(errs...))
	}
	return s, nil
}
