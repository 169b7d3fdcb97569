package cli

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// mail parse --json prints exactly the parser's golden JSON for every file
// of its corpus, and exits 0 for each (some are malformed on purpose).
func TestMailParseJSONMatchesGoldens(t *testing.T) {
	files, err := filepath.Glob("../mailin/parse/testdata/*.eml")
	if err != nil || len(files) < 40 {
		t.Fatalf("corpus: %d files, %v", len(files), err)
	}
	for _, f := range files {
		want, err := os.ReadFile(strings.TrimSuffix(f, ".eml") + ".json")
		if err != nil {
			t.Fatal(err)
		}
		var out, errOut bytes.Buffer
		if code := Main([]string{"mail", "parse", "--json", f}, &out, &errOut, nil); code != 0 {
			t.Fatalf("%s: exit %d: %s", f, code, errOut.String())
		}
		var got, golden bytes.Buffer
		if err := json.Compact(&got, out.Bytes()); err != nil {
			t.Fatalf("%s: not one JSON object: %v", f, err)
		}
		if err := json.Compact(&golden, want); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got.Bytes(), golden.Bytes()) {
			t.Errorf("%s: output differs from golden\n got %s\nwant %s", f, out.Bytes(), want)
		}
	}
}

func TestMailParseSummary(t *testing.T) {
	var out, errOut bytes.Buffer
	f := "../mailin/parse/testdata/alternative_html_first.eml"
	if code := Main([]string{"mail", "parse", f}, &out, &errOut, nil); code != 0 {
		t.Fatalf("exit %d: %s", code, errOut.String())
	}
	for _, want := range []string{"Subject:    Order of parts", "Kind:       normal", "Plain version"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("summary lacks %q:\n%s", want, out.String())
		}
	}
	if code := Main([]string{"mail", "parse", "does-not-exist.eml"}, &out, &errOut, nil); code != 1 {
		t.Errorf("missing file: exit %d", code)
	}
}
