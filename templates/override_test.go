package templates

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// writeOverrides creates an override directory holding files (relative
// slash paths to contents) and returns it.
func writeOverrides(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for rel, text := range files {
		p := filepath.Join(dir, filepath.FromSlash(rel))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestOverrideReplacesOnlyThatFile(t *testing.T) {
	def := mustLoad(t, "")
	dir := writeOverrides(t, map[string]string{
		"es/ticket_ack.subject.txt": "Solicitud {{.TicketNumber}} recibida\n",
	})
	s := mustLoad(t, dir)

	got, err := s.Render("ticket_ack", "es", SampleData("ticket_ack"))
	if err != nil {
		t.Fatal(err)
	}
	want, _ := def.Render("ticket_ack", "es", SampleData("ticket_ack"))
	if got.Subject != "Solicitud 10482 recibida" {
		t.Errorf("subject = %q, want the override's", got.Subject)
	}
	if got.Text != want.Text || got.HTML != want.HTML {
		t.Error("overriding the subject changed the bodies")
	}
	for _, lang := range Langs() {
		for _, name := range Names() {
			if lang == "es" && name == "ticket_ack" {
				continue
			}
			a, _ := s.Render(name, lang, SampleData(name))
			b, _ := def.Render(name, lang, SampleData(name))
			if *a != *b {
				t.Errorf("%s/%s changed, but only es/ticket_ack.subject.txt was overridden", lang, name)
			}
		}
	}
}

func TestOverrideLayout(t *testing.T) {
	dir := writeOverrides(t, map[string]string{
		"en/layout.txt": "{{template \"body\" .}}\n--\nSent by {{company.Name}}\n",
	})
	s := mustLoad(t, dir)
	r, err := s.Render("welcome", "en", SampleData("welcome"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasSuffix(r.Text, "--\nSent by Hosting Austral SpA\n") {
		t.Errorf("text does not end with the overridden layout:\n%s", r.Text)
	}
}

// A broken override fails Load with an error naming the override's real
// path and the line at fault.
func TestBrokenOverrideFailsLoad(t *testing.T) {
	tests := []struct {
		what, rel, text string
		want            []string // besides the file's path
	}{
		{"parse error", "es/ticket_ack.txt", "Hola\n\n{{.TicketNumber\n", []string{"ticket_ack.txt:3", "unclosed action"}},
		{"unknown function", "en/invoice_issued.html", "<p>\n{{euros .Total}}</p>", []string{":2:", `"euros" not defined`}},
		{"HTML-only function in text", "es/ticket_reply.txt", "{{paragraphs .Body}}", []string{":1:", `"paragraphs" not defined`}},
		{"unknown field", "es/payment_received.txt", "Pago\n{{.Monto}}\n", []string{":2:", "Monto"}},
		{"field of another email", "en/welcome.subject.txt", "Welcome {{.TicketNumber}}", []string{":1:", "TicketNumber"}},
		{"fails on empty data", "es/ticket_attachment_too_large.txt", "{{index .Filenames 0}}", []string{":1:", "index"}},
		{"multi-line subject", "es/welcome.subject.txt", "Bienvenido\na {{company.Name}}", []string{"subject spans several lines"}},
		{"empty subject", "en/ticket_ack.subject.txt", "  \n", []string{"subject is empty"}},
		{"layout without body", "es/layout.html", "<p>{{company.Name}}</p>", []string{`{{template "body" .}}`}},
		{"unterminated HTML", "en/ticket_ack.html", "<p>\n<a href=\"{{.Subject}}>x</a>", []string{"ticket_ack.html"}},
	}
	for _, tt := range tests {
		t.Run(tt.what, func(t *testing.T) {
			dir := writeOverrides(t, map[string]string{tt.rel: tt.text})
			_, err := Load(Options{Dir: dir, Company: testCompany()})
			if err == nil {
				t.Fatal("Load succeeded")
			}
			t.Log(err)
			path := filepath.Join(dir, filepath.FromSlash(tt.rel))
			for _, w := range append([]string{path}, tt.want...) {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error does not mention %q:\n%v", w, err)
				}
			}
		})
	}
}

func TestUnknownOverrideFileFailsLoad(t *testing.T) {
	for _, rel := range []string{
		"es/ticket_akc.txt",          // typo in the name
		"fr/ticket_ack.txt",          // unsupported language
		"ticket_ack.txt",             // missing language directory
		"en/ticket_ack.subject.html", // no such part
		"es/layout.subject.txt",      // layouts have no subject
	} {
		dir := writeOverrides(t, map[string]string{rel: "x"})
		_, err := Load(Options{Dir: dir, Company: testCompany()})
		if err == nil {
			t.Errorf("%s: Load succeeded", rel)
			continue
		}
		if want := filepath.Join(dir, filepath.FromSlash(rel)); !strings.Contains(err.Error(), want) {
			t.Errorf("%s: error does not name the file:\n%v", rel, err)
		}
	}
}

func TestAllErrorsReportedTogether(t *testing.T) {
	dir := writeOverrides(t, map[string]string{
		"es/ticket_ack.txt": "{{.Nope",
		"en/welcome.html":   "{{nope}}",
	})
	_, err := Load(Options{Dir: dir, Company: testCompany()})
	if err == nil || !strings.Contains(err.Error(), "ticket_ack.txt") || !strings.Contains(err.Error(), "welcome.html") {
		t.Errorf("want both files named, got: %v", err)
	}
}

func TestMissingOverrideDir(t *testing.T) {
	_, err := Load(Options{Dir: filepath.Join(t.TempDir(), "nope"), Company: testCompany()})
	if err == nil {
		t.Error("Load succeeded with a missing override directory")
	}
}
