package payreport

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"turno/mailin/parse"
)

var update = flag.Bool("update", false, "rewrite testdata/*.json goldens")

// TestGolden reads every testdata/*.eml through parse.Parse and Read and
// compares the report (null for a mail that is not one) with the golden
// X.json beside it (go test -run TestGolden -update rewrites them).
func TestGolden(t *testing.T) {
	files, err := filepath.Glob("testdata/*.eml")
	if err != nil {
		t.Fatal(err)
	}
	if len(files) < 20 {
		t.Errorf("corpus has %d .eml files, want at least 20", len(files))
	}
	var reports, none int
	for _, f := range files {
		name := strings.TrimSuffix(filepath.Base(f), ".eml")
		t.Run(name, func(t *testing.T) {
			raw, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			m, err := parse.Parse(bytes.NewReader(raw), nil)
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			r := Read(FromMessage(m))
			if r == nil {
				none++
			} else {
				reports++
			}
			got, err := json.MarshalIndent(r, "", "  ")
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, '\n')
			golden := strings.TrimSuffix(f, ".eml") + ".json"
			if *update {
				if err := os.WriteFile(golden, got, 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("no golden (run with -update): %v", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("%s differs from golden:\n got: %s\nwant: %s", name, got, want)
			}
		})
	}
	if none < 2 || reports < 18 {
		t.Errorf("corpus has %d reports and %d non-reports, want at least 18 and 2", reports, none)
	}
}
