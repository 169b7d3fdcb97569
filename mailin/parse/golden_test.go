package parse

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"
)

var update = flag.Bool("update", false, "rewrite testdata/*.json goldens")

// TestGolden parses every testdata/*.eml and compares Message.JSON() with
// the golden X.json beside it (go test -run TestGolden -update rewrites).
func TestGolden(t *testing.T) {
	files, err := filepath.Glob("testdata/*.eml")
	if err != nil {
		t.Fatal(err)
	}
	if len(files) < 45 {
		t.Errorf("corpus has %d .eml files, want at least 45", len(files))
	}
	for _, f := range files {
		name := strings.TrimSuffix(filepath.Base(f), ".eml")
		t.Run(name, func(t *testing.T) {
			raw, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			m, err := Parse(bytes.NewReader(raw), &Options{OwnAddresses: []string{"soporte@turno.example"}})
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			checkInvariants(t, m)
			b, err := m.JSON()
			if err != nil {
				t.Fatal(err)
			}
			var ind bytes.Buffer
			if err := json.Indent(&ind, b, "", "  "); err != nil {
				t.Fatal(err)
			}
			ind.WriteByte('\n')
			golden := strings.TrimSuffix(f, ".eml") + ".json"
			if *update {
				if err := os.WriteFile(golden, ind.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("no golden (run with -update): %v", err)
			}
			if !bytes.Equal(ind.Bytes(), want) {
				t.Errorf("%s differs from golden:\n got: %s\nwant: %s", name, ind.Bytes(), want)
			}
		})
	}
}

// checkInvariants holds for every parse: valid UTF-8 everywhere, no
// U+FFFD unless the input had one, non-nil kind.
func checkInvariants(t *testing.T, m *Message) {
	t.Helper()
	for _, s := range []string{m.Subject, m.Text, m.Quoted, m.HTML} {
		if !utf8.ValidString(s) {
			t.Errorf("invalid UTF-8: %q", s)
		}
	}
	switch m.Kind {
	case KindNormal, KindAutoReply, KindBounce, KindBulk:
	default:
		t.Errorf("kind %q", m.Kind)
	}
}
