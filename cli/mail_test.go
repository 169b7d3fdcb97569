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
		// The parser's object, with payment_report (the payments
		// mailbox's reading, TestMailParsePaymentReport) as its last key.
		i := bytes.LastIndex(out.Bytes(), []byte(`,"payment_report":`))
		if i < 0 {
			t.Fatalf("%s: no payment_report: %s", f, out.Bytes())
		}
		printed := out.Bytes()[:i]
		var got, golden bytes.Buffer
		if err := json.Compact(&got, append(printed, '}')); err != nil {
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

// mail parse --json carries the payment report of every mail of the
// reader's corpus exactly as its goldens have it (null for non-reports).
func TestMailParsePaymentReport(t *testing.T) {
	files, err := filepath.Glob("../mailin/parse/payreport/testdata/*.eml")
	if err != nil || len(files) < 20 {
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
		var obj map[string]json.RawMessage
		if err := json.Unmarshal(out.Bytes(), &obj); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		var got, golden bytes.Buffer
		_ = json.Compact(&got, obj["payment_report"])
		_ = json.Compact(&golden, want)
		if got.String() != golden.String() {
			t.Errorf("%s: payment_report %s, want %s", f, got.String(), golden.String())
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
