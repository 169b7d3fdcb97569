package tickets_test

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"testing"
	"time"

	"turno/mailin"
	"turno/mailin/parse"
	"turno/tickets"
)

var pdfBytes = []byte("%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n")

func officeZip(t *testing.T, names ...string) []byte {
	t.Helper()
	var b bytes.Buffer
	w := zip.NewWriter(&b)
	for _, n := range names {
		f, err := w.Create(n)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = f.Write([]byte("<x/>"))
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func odt(t *testing.T) []byte {
	t.Helper()
	var b bytes.Buffer
	w := zip.NewWriter(&b)
	f, err := w.CreateHeader(&zip.FileHeader{Name: "mimetype", Method: zip.Store})
	if err != nil {
		t.Fatal(err)
	}
	_, _ = f.Write([]byte("application/vnd.oasis.opendocument.text"))
	g, _ := w.Create("content.xml")
	_, _ = g.Write([]byte("<x/>"))
	_ = w.Close()
	return b.Bytes()
}

// Files are judged by their bytes: a renamed executable, a bare zip or
// text with control bytes are refused whatever their names say.
func TestSniffFileByContent(t *testing.T) {
	cases := []struct {
		name string
		data []byte
		want string
	}{
		{"a.pdf", pdfBytes, "application/pdf"},
		{"a.png", []byte("\x89PNG\r\n\x1a\n0000"), "image/png"},
		{"a.gif", []byte("GIF89a000000"), "image/gif"},
		{"a.jpg", []byte("\xff\xd8\xff\xe0000000"), "image/jpeg"},
		{"notas.txt", []byte("hola\nmundo ñandú\n"), "text/plain"},
		{"tabla.csv", []byte("a,b\n1,2\n"), "text/csv"},
		{"x.docx", officeZip(t, "[Content_Types].xml", "word/document.xml"), "application/vnd.openxmlformats-officedocument.wordprocessingml.document"},
		{"x.xlsx", officeZip(t, "[Content_Types].xml", "xl/workbook.xml"), "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"},
		{"x.odt", odt(t), "application/vnd.oasis.opendocument.text"},
		{"x.docx", officeZip(t, "payload.exe"), ""},
		{"factura.pdf", []byte("MZ\x90\x00\x03\x00\x00\x00"), ""},
		{"a.txt", []byte("hola\x00\x01mundo"), ""},
		{"a.html", []byte("<html><script>alert(1)</script></html>"), ""},
	}
	for _, c := range cases {
		if got := tickets.SniffFile(c.name, c.data); got != c.want {
			t.Errorf("%s: %q, want %q", c.name, got, c.want)
		}
	}
}

// A portal ticket with files: the request is stored as one MIME message
// in the raw store; its files are the ticket message's attachments, found
// in that message by their SHA-256 (as the console reads a mail's), and
// the customer gets them back only on their own ticket. The same nonce
// is one message even when the second request differs.
func TestCustomerFilesStoredAsMailAndScoped(t *testing.T) {
	e := newEnv(t, nil)
	ctx := context.Background()
	raw := mailin.NewRawStore(e.db)
	csv := []byte("fecha,monto\n2026-11-01,45990\n")
	req := tickets.CustomerRequest{ClientID: "C1", From: "maria@cliente.cl", Name: "María", Subject: "Cobro doble",
		Text: "Adjunto la cartola.", Nonce: "n-1", Store: raw,
		Files: []tickets.CustomerFile{{Filename: "cartola nov.pdf", Data: pdfBytes}, {Filename: "../../movs.csv", Data: csv}}}
	n, err := e.svc.OpenForClient(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	_, msgs, err := e.svc.ClientThread(ctx, "C1", n)
	if err != nil || len(msgs) != 1 {
		t.Fatalf("thread: %v %d", err, len(msgs))
	}
	as := msgs[0].Attachments
	if len(as) != 2 || as[0].Filename != "cartola_nov.pdf" || as[0].ContentType != "application/pdf" ||
		as[1].Filename != "movs.csv" || as[1].ContentType != "text/csv" {
		t.Fatalf("attachments %+v", as)
	}
	// The raw message parses as mail with the same files.
	_, all, err := e.svc.Show(ctx, n)
	if err != nil {
		t.Fatal(err)
	}
	rc, _, err := raw.Open(ctx, all[0].RawRef)
	if err != nil {
		t.Fatalf("raw %q: %v", all[0].RawRef, err)
	}
	var sums []string
	pm, err := parse.Parse(rc, &parse.Options{Attachment: func(a *parse.Attachment, c io.Reader) error {
		b, _ := io.ReadAll(c)
		s := sha256.Sum256(b)
		sums = append(sums, hex.EncodeToString(s[:]))
		return nil
	}})
	_ = rc.Close()
	if err != nil || pm.Text != "Adjunto la cartola." || len(sums) != 2 || sums[0] != as[0].SHA256 || sums[1] != as[1].SHA256 {
		t.Fatalf("raw message: %v text %q sums %v", err, pm.Text, sums)
	}
	a, data, err := e.svc.ClientFile(ctx, raw, "C1", n, 0, 1)
	if err != nil || !bytes.Equal(data, csv) || a.Filename != "movs.csv" {
		t.Fatalf("client file: %v %q", err, data)
	}
	if _, _, err := e.svc.ClientFile(ctx, raw, "C2", n, 0, 1); !errors.Is(err, tickets.ErrNotFound) {
		t.Fatalf("another client's file: %v", err)
	}
	if _, _, err := e.svc.ClientFile(ctx, raw, "C1", n, 0, 2); !errors.Is(err, tickets.ErrNotFound) {
		t.Fatalf("a file that is not there: %v", err)
	}
	// The same nonce, other text and no files: the same ticket, one message.
	again := req
	again.Text, again.Files = "otra cosa", nil
	if m, err := e.svc.OpenForClient(ctx, again); err != nil || m != n {
		t.Fatalf("resubmitted: %d %v", m, err)
	}
	// A reply with a file joins the ticket; its nonce again is one message.
	rep := tickets.CustomerRequest{ClientID: "C1", From: "jorge@cliente.cl", Text: "Otra prueba", Nonce: "n-2", Store: raw,
		Files: []tickets.CustomerFile{{Filename: "captura.png", Data: []byte("\x89PNG\r\n\x1a\n0000")}}}
	e.clk.Advance(time.Minute)
	for range 2 {
		if err := e.svc.ReplyForClient(ctx, n, rep); err != nil {
			t.Fatal(err)
		}
	}
	_, msgs, _ = e.svc.ClientThread(ctx, "C1", n)
	if len(msgs) != 2 || msgs[1].From.Address != "jorge@cliente.cl" || len(msgs[1].Attachments) != 1 {
		t.Fatalf("after reply: %d messages %+v", len(msgs), msgs)
	}
}

// Refused files change nothing and name their problem.
func TestCustomerFilesRefused(t *testing.T) {
	e := newEnv(t, nil)
	ctx := context.Background()
	raw := mailin.NewRawStore(e.db)
	big := append(append([]byte{}, pdfBytes...), make([]byte, tickets.MaxCustomerFile)...)
	four := bytes.Repeat([]byte("a"), 3<<20)
	for code, files := range map[string][]tickets.CustomerFile{
		"type":  {{Filename: "virus.pdf", Data: []byte("MZ\x90\x00")}},
		"size":  {{Filename: "big.pdf", Data: big}},
		"count": {{Filename: "1.txt", Data: []byte("a")}, {Filename: "2.txt", Data: []byte("a")}, {Filename: "3.txt", Data: []byte("a")}, {Filename: "4.txt", Data: []byte("a")}, {Filename: "5.txt", Data: []byte("a")}, {Filename: "6.txt", Data: []byte("a")}},
		"total": {{Filename: "1.txt", Data: four}, {Filename: "2.txt", Data: four}, {Filename: "3.txt", Data: four}, {Filename: "4.txt", Data: four}},
		"empty": {{Filename: "nada.txt"}},
	} {
		_, err := e.svc.OpenForClient(ctx, tickets.CustomerRequest{ClientID: "C1", From: "maria@cliente.cl", Subject: "x",
			Text: "y", Nonce: "refused-" + code, Store: raw, Files: files})
		var fe *tickets.FileError
		var ie *tickets.InputError
		if !errors.As(err, &fe) || fe.Code != code || !errors.As(err, &ie) || ie.Field != "files" {
			t.Errorf("%s: %v", code, err)
		}
	}
	if ts, err := e.svc.ClientTickets(ctx, "C1", 0); err != nil || len(ts) != 0 {
		t.Fatalf("tickets after refusals: %d %v", len(ts), err)
	}
}
