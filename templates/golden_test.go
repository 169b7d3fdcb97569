package templates

import (
	"flag"
	"os"
	"path/filepath"
	"testing"
)

var update = flag.Bool("update", false, "rewrite testdata/golden from the current templates")

// testCompany is the Company every test renders with.
func testCompany() Company {
	return Company{
		Name:           "Hosting Austral SpA",
		SupportAddress: "soporte@hostingaustral.cl",
		Website:        "https://www.hostingaustral.cl",
		Phone:          "+56 2 2345 6789",
		Footer:         "Av. Providencia 1234, oficina 56, Providencia, Santiago, Chile",
	}
}

func mustLoad(t *testing.T, dir string) *Set {
	t.Helper()
	s, err := Load(Options{Dir: dir, Company: testCompany()})
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	return s
}

// TestGolden renders every email in every language from SampleData and
// compares subject, text and HTML with testdata/golden/<lang>/<name>.*.
// Run with -update to rewrite them, then read the diff.
func TestGolden(t *testing.T) {
	s := mustLoad(t, "")
	for _, lang := range Langs() {
		for _, name := range Names() {
			r, err := s.Render(name, lang, SampleData(name))
			if err != nil {
				t.Fatalf("Render(%s, %s): %v", name, lang, err)
			}
			for part, got := range map[string]string{
				partSubject: r.Subject + "\n",
				partText:    r.Text,
				partHTML:    r.HTML,
			} {
				file := filepath.Join("testdata", "golden", lang, name+part)
				if *update {
					if err := os.MkdirAll(filepath.Dir(file), 0o755); err != nil {
						t.Fatal(err)
					}
					if err := os.WriteFile(file, []byte(got), 0o644); err != nil {
						t.Fatal(err)
					}
					continue
				}
				want, err := os.ReadFile(file)
				if err != nil {
					t.Fatalf("%v (run go test -update to create it)", err)
				}
				if got != string(want) {
					t.Errorf("%s differs from the rendering:\n--- got\n%s\n--- want\n%s", file, got, want)
				}
			}
		}
	}
}
