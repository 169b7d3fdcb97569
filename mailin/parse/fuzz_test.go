package parse

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"testing"
	"unicode/utf8"
)

// FuzzParse: Parse never panics, never errors on an in-memory reader and
// always returns valid UTF-8 and valid JSON.
func FuzzParse(f *testing.F) {
	files, _ := filepath.Glob("testdata/*.eml")
	for _, p := range files {
		if b, err := os.ReadFile(p); err == nil {
			f.Add(b)
		}
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		opts := &Options{Attachment: func(a *Attachment, r io.Reader) error {
			_, err := io.CopyN(io.Discard, r, 10)
			if err == io.EOF {
				err = nil
			}
			return err
		}}
		m, err := Parse(bytes.NewReader(raw), opts)
		if err != nil {
			t.Fatalf("Parse error on in-memory input: %v", err)
		}
		for _, s := range []string{m.Subject, m.Text, m.Quoted, m.HTML, m.MessageID} {
			if !utf8.ValidString(s) {
				t.Fatalf("invalid UTF-8 %q", s)
			}
		}
		if _, err := m.JSON(); err != nil {
			t.Fatalf("JSON: %v", err)
		}
	})
}
