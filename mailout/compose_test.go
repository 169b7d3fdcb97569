package mailout

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"turno/mailin/parse"
	"turno/msgid"
	"turno/templates"
)

var update = flag.Bool("update", false, "rewrite golden files")

// composeSample renders and composes one email as the worker would.
func composeSample(t *testing.T, name, lang string, ticket int64) ([]byte, *templates.Rendered) {
	t.Helper()
	set := loadTemplates(t)
	o := &Outbox{opts: Options{Templates: set}}
	data, _ := jsonOf(templates.SampleData(name))
	r, err := o.render(name, lang, data, ticket)
	if err != nil {
		t.Fatal(err)
	}
	e := &Entry{ID: "k", To: []string{"maria.perez@cliente.cl"}, ReplyTo: "soporte@example.cl",
		MessageID: "<t10482.00112233aabbccdd.0011223344556677@example.cl>", Ticket: ticket,
		AutoSubmitted: "auto-replied"}
	if ticket > 0 {
		e.InReplyTo = "<CAF=abc@mail.gmail.com>"
		e.References = []string{"<CAF=abc@mail.gmail.com>"}
	}
	if name == "invoice_issued" {
		e.AutoSubmitted = "auto-generated"
		e.Attachments = []StoredAttachment{{Filename: "factura-ñuñoa-1042.pdf", ContentType: "application/pdf", Data: []byte("%PDF-1.4 sample")}}
	}
	msg, err := compose(composeInput{FromName: "Soporte Ñuñoa Hosting", FromAddress: "soporte@example.cl", Entry: e,
		Rendered: r, Date: time.Date(2026, 11, 16, 9, 0, 0, 0, time.FixedZone("-03", -3*3600)), LoopValue: "example.cl"})
	if err != nil {
		t.Fatal(err)
	}
	return msg, r
}

var boundary = regexp.MustCompile(`[0-9a-f]{64}|[0-9a-f]{32,}`)

// headerBlock returns the top-level header fields, unfolded, one per line
// and sorted (go-mail writes some in map order), with the random MIME
// boundary replaced.
func headerBlock(msg []byte) string {
	h, _, _ := bytes.Cut(msg, []byte("\r\n\r\n"))
	s := strings.ReplaceAll(string(h), "\r\n ", " ")
	lines := strings.Split(boundary.ReplaceAllString(s, "BOUNDARY"), "\r\n")
	sort.Strings(lines)
	return strings.Join(lines, "\n") + "\n"
}

func TestGoldenHeaders(t *testing.T) {
	for _, tc := range []struct {
		name   string
		ticket int64
	}{{"ticket_ack", 10482}, {"ticket_reply", 10482}, {"invoice_issued", 0}, {"password_reset", 0}} {
		for _, lang := range templates.Langs() {
			msg, _ := composeSample(t, tc.name, lang, tc.ticket)
			got := headerBlock(msg)
			path := filepath.Join("testdata", "golden", lang+"_"+tc.name+".headers")
			if *update {
				_ = os.MkdirAll(filepath.Dir(path), 0o755)
				if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
				continue
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run go test ./mailout -run TestGoldenHeaders -update)", err)
			}
			if got != string(want) {
				t.Errorf("%s/%s headers differ:\n got:\n%s\nwant:\n%s", lang, tc.name, got, want)
			}
		}
	}
}

// TestRenderedMIMEParsesBack parses each composed message with Turno's own
// parser (mailin/parse) and checks it recovers the same text, subject,
// threading headers and loop marker.
func TestRenderedMIMEParsesBack(t *testing.T) {
	for _, name := range templates.Names() {
		for _, lang := range templates.Langs() {
			ticket := int64(0)
			if strings.HasPrefix(name, "ticket_") {
				ticket = 10482
			}
			msg, r := composeSample(t, name, lang, ticket)
			p, err := parse.Parse(bytes.NewReader(msg), nil)
			if err != nil {
				t.Fatal(err)
			}
			if p.Subject != r.Subject {
				t.Errorf("%s/%s subject %q, want %q", lang, name, p.Subject, r.Subject)
			}
			if !p.Own {
				t.Errorf("%s/%s: parser does not see the loop header", lang, name)
			}
			if p.From == nil || p.From.Name != "Soporte Ñuñoa Hosting" {
				t.Errorf("%s/%s from %+v", lang, name, p.From)
			}
			if ticket > 0 {
				if p.TicketRef != "10482" {
					t.Errorf("%s/%s: ticket tag not found in %q", lang, name, p.Subject)
				}
				if n, ok := msgid.Ticket(p.MessageID, []byte("x")); ok || n != 0 {
					t.Errorf("fixed sample id verified under a wrong key")
				}
			}
			// The parser strips quoted history and signatures from the
			// ticket text; the full text is Text plus Quoted.
			full := strings.TrimSpace(p.Text + "\n" + p.Quoted)
			for _, line := range strings.Split(strings.TrimSpace(r.Text), "\n") {
				if l := strings.TrimSpace(line); l != "" && !strings.Contains(full, l) {
					t.Errorf("%s/%s: line %q lost in parsing back", lang, name, l)
					break
				}
			}
		}
	}
}

func TestTagSubject(t *testing.T) {
	for in, want := range map[string]string{
		"[#10482] Recibimos su solicitud": "[Ticket #10482] Recibimos su solicitud",
		"Hola":                            "[Ticket #10482] Hola",
		"[Ticket #10482] Re: x":           "[Ticket #10482] Re: x",
		"[#99] otro":                      "[Ticket #10482] [#99] otro",
	} {
		if got := tagSubject(in, 10482); got != want {
			t.Errorf("tagSubject(%q) = %q, want %q", in, got, want)
		}
	}
	if tagSubject("x", 0) != "x" {
		t.Error("tagged non-ticket mail")
	}
}
