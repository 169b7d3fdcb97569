package parse

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"reflect"
	"runtime"
	"sort"
	"strings"
	"testing"
	"time"
)

func mustParse(t *testing.T, raw string, opts *Options) *Message {
	t.Helper()
	m, err := Parse(strings.NewReader(raw), opts)
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	return m
}

func TestAttachmentCallbackStreams(t *testing.T) {
	raw, err := os.ReadFile("testdata/attachments_mixed.eml")
	if err != nil {
		t.Fatal(err)
	}
	type seen struct {
		name, ct string
		inline   bool
		sum      string
	}
	var got []seen
	m, err := Parse(bytes.NewReader(raw), &Options{Attachment: func(a *Attachment, r io.Reader) error {
		b, err := io.ReadAll(r)
		if err != nil {
			return err
		}
		s := sha256.Sum256(b)
		got = append(got, seen{a.Filename, a.ContentType, a.Inline, hex.EncodeToString(s[:])})
		return nil
	}})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 3 || len(m.Attachments) != 3 {
		t.Fatalf("callback saw %d, message lists %d attachments; want 3", len(got), len(m.Attachments))
	}
	for i, a := range m.Attachments {
		if got[i].name != a.Filename || got[i].sum != a.SHA256 || got[i].inline != a.Inline {
			t.Errorf("attachment %d: callback saw %+v, message has %+v", i, got[i], a)
		}
	}
	if m.Attachments[1].Filename != "escritura.doc" {
		t.Errorf("Windows path not reduced to a file name: %q", m.Attachments[1].Filename)
	}
}

func TestAttachmentCallbackPartialRead(t *testing.T) {
	raw, _ := os.ReadFile("testdata/outlook_rfc2047_filename.eml")
	m := mustParse(t, string(raw), &Options{Attachment: func(a *Attachment, r io.Reader) error {
		_, err := io.CopyN(io.Discard, r, 3) // read only a little
		return err
	}})
	if len(m.Attachments) != 1 || m.Attachments[0].Size != 45 {
		t.Fatalf("size after partial read: %+v", m.Attachments)
	}
}

func TestAttachmentCallbackError(t *testing.T) {
	raw, _ := os.ReadFile("testdata/attachments_mixed.eml")
	boom := errors.New("disk full")
	_, err := Parse(bytes.NewReader(raw), &Options{Attachment: func(*Attachment, io.Reader) error { return boom }})
	if !errors.Is(err, boom) {
		t.Fatalf("err = %v, want the callback's error", err)
	}
}

type failingReader struct {
	r   io.Reader
	err error
}

func (f *failingReader) Read(p []byte) (int, error) {
	n, err := f.r.Read(p)
	if err == io.EOF {
		return n, f.err
	}
	return n, err
}

func TestReaderErrorIsReturned(t *testing.T) {
	raw, _ := os.ReadFile("testdata/truncated_multipart.eml")
	broken := errors.New("connection reset")
	m, err := Parse(&failingReader{r: bytes.NewReader(raw), err: broken}, nil)
	if !errors.Is(err, broken) {
		t.Fatalf("err = %v, want reader error", err)
	}
	if m == nil || m.Text != "El adjunto es el contrato firmado." {
		t.Fatalf("partial message not returned: %+v", m)
	}
}

// bigAttachment streams a message with a size-byte base64 attachment
// without ever holding it.
func bigAttachment(size int) io.Reader {
	head := "From: a@b.cl\r\nSubject: big\r\nContent-Type: multipart/mixed; boundary=B\r\n\r\n" +
		"--B\r\nContent-Type: text/plain\r\n\r\nVer adjunto.\r\n" +
		"--B\r\nContent-Type: application/octet-stream\r\nContent-Disposition: attachment; filename=big.bin\r\n" +
		"Content-Transfer-Encoding: base64\r\n\r\n"
	line := base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{0xAB}, 57)) + "\r\n" // 57 bytes per line
	lines := size / 57
	body := &repeatReader{s: line, n: lines}
	return io.MultiReader(strings.NewReader(head), body, strings.NewReader("--B--\r\n"))
}

type repeatReader struct {
	s   string
	n   int
	off int
}

func (r *repeatReader) Read(p []byte) (int, error) {
	total := 0
	for len(p) > 0 && r.n > 0 {
		c := copy(p, r.s[r.off:])
		p, total, r.off = p[c:], total+c, r.off+c
		if r.off == len(r.s) {
			r.off, r.n = 0, r.n-1
		}
	}
	if total == 0 && r.n == 0 {
		return 0, io.EOF
	}
	return total, nil
}

func TestLargeAttachmentIsStreamed(t *testing.T) {
	const size = 25 << 20
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	m, err := Parse(bigAttachment(size), nil)
	if err != nil {
		t.Fatal(err)
	}
	runtime.ReadMemStats(&after)
	if len(m.Attachments) != 1 || m.Attachments[0].Size != int64(size/57*57) {
		t.Fatalf("attachments: %+v", m.Attachments)
	}
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 8<<20 {
		t.Errorf("parsing a 25 MB attachment allocated %d bytes: not streamed", alloc)
	}
	if m.Text != "Ver adjunto." {
		t.Errorf("text %q", m.Text)
	}
}

func TestOwn(t *testing.T) {
	msg := "From: Soporte <SOPORTE@turno.example>\r\nSubject: x\r\n\r\nhola\r\n"
	if m := mustParse(t, msg, &Options{OwnAddresses: []string{"soporte@turno.example"}}); !m.Own {
		t.Error("From one of OwnAddresses not flagged Own")
	}
	if m := mustParse(t, msg, nil); m.Own {
		t.Error("flagged Own without OwnAddresses or loop header")
	}
	if m := mustParse(t, "From: x@y.cl\r\nX-Turno-Loop: 1\r\n\r\nhola\r\n", nil); !m.Own {
		t.Error("loop header not flagged Own")
	}
}

func TestClassify(t *testing.T) {
	tests := []struct {
		headers string
		kind    Kind
		reason  string
	}{
		{"From: a@b.cl\n", KindNormal, ""},
		{"From: a@b.cl\nAuto-Submitted: auto-replied\n", KindAutoReply, "Auto-Submitted: auto-replied"},
		{"From: a@b.cl\nAuto-Submitted: auto-generated\n", KindAutoReply, "Auto-Submitted: auto-generated"},
		{"From: a@b.cl\nAuto-Submitted: No\n", KindNormal, ""},
		{"From: a@b.cl\nX-Autoreply: yes\n", KindAutoReply, "X-Autoreply"},
		{"From: a@b.cl\nX-Autorespond: x\n", KindAutoReply, "X-Autorespond"},
		{"From: a@b.cl\nPrecedence: auto_reply\n", KindAutoReply, "Precedence: auto_reply"},
		{"From: a@b.cl\nX-Auto-Response-Suppress: All\n", KindAutoReply, "X-Auto-Response-Suppress"},
		{"From: a@b.cl\nPrecedence: bulk\n", KindBulk, "Precedence: bulk"},
		{"From: a@b.cl\nPrecedence: List\n", KindBulk, "Precedence: list"},
		{"From: a@b.cl\nPrecedence: junk\n", KindBulk, "Precedence: junk"},
		{"From: a@b.cl\nList-Id: <l.b.cl>\n", KindBulk, "List-Id"},
		{"From: a@b.cl\nList-Unsubscribe: <mailto:u@b.cl>\n", KindBulk, "List-Unsubscribe"},
		{"From: a@b.cl\nList-Id: x\nAuto-Submitted: auto-replied\n", KindAutoReply, "Auto-Submitted: auto-replied"},
		{"From: MAILER-DAEMON@b.cl\nReturn-Path: <>\nAuto-Submitted: auto-replied\n", KindBounce, "From: MAILER-DAEMON"},
		{"From: postmaster@b.cl\n", KindBounce, "From: postmaster"},
		{"From: postmaster@b.cl\nReturn-Path: <jefe@b.cl>\n", KindNormal, ""},
		{"From: postmaster@b.cl\nReturn-Path: <postmaster@b.cl>\n", KindBounce, "From: postmaster"},
		{"From: a@b.cl\nSubject: Respuesta automática: hola\n", KindNormal, ""}, // headers only, never the subject
		{"From: a@b.cl\nContent-Type: multipart/report; report-type=delivery-status; boundary=x\n", KindBounce,
			"Content-Type: multipart/report; report-type=delivery-status"},
	}
	for _, tt := range tests {
		m := mustParse(t, tt.headers+"\nbody\n", nil)
		if m.Kind != tt.kind || m.KindReason != tt.reason {
			t.Errorf("%q: kind %q (%q), want %q (%q)", tt.headers, m.Kind, m.KindReason, tt.kind, tt.reason)
		}
		if (m.Kind == KindBounce) != (m.Bounce != nil) {
			t.Errorf("%q: Bounce set %v for kind %q", tt.headers, m.Bounce != nil, m.Kind)
		}
	}
}

func TestNormalizeMessageID(t *testing.T) {
	tests := []struct{ in, want string }{
		{"<abc@x.cl>", "abc@x.cl"},
		{"  < abc@x.cl >  ", "abc@x.cl"},
		{"abc@x.cl", "abc@x.cl"},
		{"<a@x> <b@x>", "a@x"},
		{"<t42@turno.example> (message of Fri)", "t42@turno.example"},
		{"", ""},
		{"<>", ""},
	}
	for _, tt := range tests {
		if got := NormalizeMessageID(tt.in); got != tt.want {
			t.Errorf("NormalizeMessageID(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestRawHash(t *testing.T) {
	if got := RawHash([]byte("abc")); got != "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad" {
		t.Errorf("RawHash = %s", got)
	}
}

func TestJSONKeys(t *testing.T) {
	raw, _ := os.ReadFile("testdata/bounce_postfix_dsn.eml")
	m := mustParse(t, string(raw), nil)
	b, err := m.JSON()
	if err != nil {
		t.Fatal(err)
	}
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(b, &obj); err != nil {
		t.Fatal(err)
	}
	want := []string{"attachments", "bounce", "cc", "date", "from", "in_reply_to", "kind", "message_id",
		"quoted", "references", "reply_to", "subject", "text", "ticket_ref", "to", "warnings"}
	if got := sortedKeys(obj); !reflect.DeepEqual(got, want) {
		t.Errorf("keys %v, want %v", got, want)
	}
	var bounce map[string]json.RawMessage
	json.Unmarshal(obj["bounce"], &bounce)
	if got := sortedKeys(bounce); !reflect.DeepEqual(got, []string{"original_message_id", "recipients", "status"}) {
		t.Errorf("bounce keys %v", got)
	}

	// Absent values are null, lists are [].
	m = mustParse(t, "no headers at all", nil)
	b, _ = m.JSON()
	for _, frag := range []string{`"from":null`, `"reply_to":null`, `"to":[]`, `"cc":[]`, `"date":null`,
		`"in_reply_to":null`, `"references":[]`, `"ticket_ref":null`, `"attachments":[]`, `"bounce":null`} {
		if !strings.Contains(string(b), frag) {
			t.Errorf("JSON %s lacks %s", b, frag)
		}
	}
}

func sortedKeys(m map[string]json.RawMessage) []string {
	var k []string
	for key := range m {
		k = append(k, key)
	}
	sort.Strings(k)
	return k
}

func TestBounceDSN(t *testing.T) {
	raw, _ := os.ReadFile("testdata/bounce_multi_recipient.eml")
	m := mustParse(t, string(raw), nil)
	want := &Bounce{
		Recipients: []BounceRecipient{
			{Address: "lento@cliente-a.example", Status: "4.4.1", Action: "delayed", Diagnostic: "421 4.4.1 Connection timed out"},
			{Address: "lleno@cliente-b.example", Status: "5.2.2", Action: "failed", Diagnostic: "552 5.2.2 Mailbox full"},
		},
		Status:            "5.2.2",
		OriginalMessageID: "invoice-2025-03-991@turno.example",
		Addressed:         []string{"facturacion@turno.example"},
	}
	if !reflect.DeepEqual(m.Bounce, want) {
		t.Errorf("bounce %+v, want %+v", m.Bounce, want)
	}
}

func TestNeverFailsOnMalformed(t *testing.T) {
	inputs := []string{
		"",
		"\x00\x01\x02",
		" leading space header\r\n\r\nbody",
		"Content-Type: multipart/mixed; boundary=\"\"\r\n\r\n--\r\n",
		"Content-Type: multipart/mixed; boundary=x\r\n\r\n--x\r\nContent-Type: multipart/mixed; boundary=x\r\n\r\n--x\r\n",
		"Content-Type: message/rfc822\r\n\r\n",
		"Content-Type: text/plain; charset=\r\nContent-Transfer-Encoding: base64\r\n\r\n====",
		"Subject: =?utf-8?B?####?=\r\n\r\n",
		"From: <<<@@@>>>\r\nTo: ,,,\r\nDate: 99 Foo 9999\r\n\r\n",
		strings.Repeat("X-Long: "+strings.Repeat("a", 100000)+"\r\n", 3) + "\r\nbody",
		"Content-Type: multipart/mixed; boundary=x\r\n\r\n" + strings.Repeat("--x\r\nContent-Type: multipart/mixed; boundary=x\r\n\r\n", 50),
	}
	for i, in := range inputs {
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			m := mustParse(t, in, nil)
			checkInvariants(t, m)
		})
	}
}

// TestHostileShapesAreLinear guards against quadratic paths: each input
// is about 1 MB and must parse quickly even on a loaded machine.
func TestHostileShapesAreLinear(t *testing.T) {
	inputs := map[string]string{
		"continuations": "Subject: a\r\n" + strings.Repeat(" b\r\n", 250000) + "\r\nbody",
		"quote lines":   "From: a@b.cl\r\n\r\n" + strings.Repeat(">\n", 500000) + "end",
		"nested html":   "Content-Type: text/html\r\n\r\n" + strings.Repeat("<div>", 100000) + "x",
		"many words":    "Subject: " + strings.Repeat("=?utf-8?Q?a?=\r\n ", 60000) + "\r\n\r\n",
		"many params":   "Content-Type: text/plain; " + strings.Repeat("a*1*=b;\r\n ", 60000) + "\r\n\r\nx",
		"many ids":      "References: " + strings.Repeat("<a@b>\r\n ", 60000) + "\r\n\r\nx",
		"many parts": "Content-Type: multipart/mixed; boundary=x\r\n\r\n" +
			strings.Repeat("--x\r\nContent-Type: application/octet-stream\r\n\r\nz\r\n", 20000),
	}
	for name, in := range inputs {
		t.Run(name, func(t *testing.T) {
			start := time.Now()
			m := mustParse(t, in, nil)
			checkInvariants(t, m)
			if d := time.Since(start); d > 5*time.Second {
				t.Errorf("took %v", d)
			}
		})
	}
}

// RFC 5322 appendix A.5: comments inside addresses, and a group.
func TestAddressCommentsAndGroups(t *testing.T) {
	var w warnings
	from := firstAddress(`Pete(A wonderful \) chap) <pete(his account)@silly.test(his host)>`, &w, "From")
	if from == nil || from.Address != "pete@silly.test" || from.Name != "Pete" {
		t.Fatalf("From: %+v", from)
	}
	to := parseAddressList(`A Group(Some people) :Chris Jones <c@(Chris's host.)public.example>, joe@example.org, `+
		`John <jdoe@one.test> (my dear friend); (the end of the group)`, &w, "To")
	want := []Address{{"Chris Jones", "c@public.example"}, {"", "joe@example.org"}, {"John", "jdoe@one.test"}}
	if len(to) != len(want) {
		t.Fatalf("To: %+v", to)
	}
	for i := range want {
		if to[i] != want[i] {
			t.Errorf("To[%d] = %+v, want %+v", i, to[i], want[i])
		}
	}
	if l := parseAddressList(`Undisclosed recipients:;`, &w, "To"); len(l) != 0 {
		t.Errorf("empty group: %+v", l)
	}
	// A trailing comment on a bare address is still its name.
	if a := firstAddress(`jdoe@one.test (John Doe)`, &w, "From"); a == nil || a.Name != "John Doe" {
		t.Errorf("comment as name: %+v", a)
	}
	if len(w.list) != 0 {
		t.Errorf("warnings for valid headers: %v", w.list)
	}
}
