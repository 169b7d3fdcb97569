package portal_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"turno/mailin"
	"turno/mailin/parse"
)

// postFiles posts form with files as the "files" field (several), the way
// the ticket forms are sent.
func (b *client) postFiles(path string, form url.Values, files ...file) (*http.Response, string) {
	b.t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	for k, vs := range form {
		for _, v := range vs {
			_ = mw.WriteField(k, v)
		}
	}
	for _, f := range files {
		h := textproto.MIMEHeader{}
		h.Set("Content-Disposition", fmt.Sprintf(`form-data; name="files"; filename="%s"`, f.name))
		h.Set("Content-Type", f.contentType)
		w, _ := mw.CreatePart(h)
		_, _ = w.Write(f.data)
	}
	_ = mw.Close()
	req, _ := http.NewRequest(http.MethodPost, b.r.srv.URL+path, &body)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	resp, err := b.c.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	out, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	return resp, string(out)
}

// formOf is the csrf and nonce of the form on page.
func (b *client) formOf(page string) url.Values {
	b.t.Helper()
	_, body := b.get(page)
	c, n := csrfRe.FindStringSubmatch(body), nonceRe.FindStringSubmatch(body)
	if c == nil || n == nil {
		b.t.Fatalf("no form on %s", page)
	}
	return url.Values{"csrf": {c[1]}, "nonce": {n[1]}}
}

var fileLinkRe = regexp.MustCompile(`href="(/portal/tickets/\d+/archivos/\d+/\d+)" download>([^<]+)<`)

var pdf = []byte("%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n")

// A ticket opened with two files and a reply with one: the thread lists
// them, each downloads as an attachment with its checked type, only by
// its own client; the files live in the raw store as the MIME message an
// agent's console reads (found by SHA-256); a renamed executable is
// refused beside the field and opens nothing; the same form sent twice is
// one ticket.
func TestTicketFilesAttachedShownAndScoped(t *testing.T) {
	r := newRig(t)
	b := r.loggedIn("C-1", "Uno", "uno@example.cl", "una frase bastante larga")
	other := r.loggedIn("C-2", "Dos", "dos@example.cl", "otra frase bastante larga")

	form := b.formOf("/portal/tickets/nuevo")
	form.Set("department", "soporte")
	form.Set("subject", "No llega el correo")
	form.Set("text", "Adjunto captura y log.")
	bad := form
	resp, body := b.postFiles("/portal/tickets", bad, file{"informe.pdf", "application/pdf", []byte("MZ\x90\x00\x03\x00")})
	if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, `id="files-error"`) || !strings.Contains(body, "informe.pdf") {
		t.Fatalf("disguised file: %d", resp.StatusCode)
	}
	if ts, _ := r.tk.ClientTickets(context.Background(), "C-1", 0); len(ts) != 0 {
		t.Fatalf("a refused form opened %d tickets", len(ts))
	}
	files := []file{{"captura 1.png", "image/png", pngBytes(t)}, {"log.txt", "text/plain", []byte("error: 550 5.1.1\n")}}
	resp, _ = b.postFiles("/portal/tickets", form, files...)
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("open: %d", resp.StatusCode)
	}
	loc := resp.Header.Get("Location")
	if again, _ := b.postFiles("/portal/tickets", form, files...); again.Header.Get("Location") != loc {
		t.Fatalf("resubmitted form went to %s, not %s", again.Header.Get("Location"), loc)
	}
	page := strings.TrimSuffix(loc, "?n=opened")
	reply := b.formOf(page)
	reply.Set("text", "Y el PDF del proveedor.")
	if resp, body := b.postFiles(page, reply, file{"proveedor.pdf", "application/pdf", pdf}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("reply: %d %s", resp.StatusCode, body)
	}
	_, body = b.get(page)
	links := fileLinkRe.FindAllStringSubmatch(body, -1)
	if len(links) != 3 || links[0][2] != "captura_1.png" || links[1][2] != "log.txt" || links[2][2] != "proveedor.pdf" {
		t.Fatalf("file links on the thread: %v", links)
	}
	resp, got := b.get(links[1][1])
	if resp.StatusCode != http.StatusOK || got != "error: 550 5.1.1\n" || resp.Header.Get("Content-Type") != "text/plain" ||
		!strings.HasPrefix(resp.Header.Get("Content-Disposition"), "attachment") || resp.Header.Get("X-Content-Type-Options") != "nosniff" {
		t.Fatalf("download: %d %q %v", resp.StatusCode, got, resp.Header)
	}
	if resp, _ := other.get(links[1][1]); resp.StatusCode != http.StatusNotFound {
		t.Fatalf("another client's file: %d", resp.StatusCode)
	}
	if resp, _ := b.get(strings.Replace(links[1][1], "/1", "/9", 1)); resp.StatusCode != http.StatusNotFound {
		t.Fatalf("a file that is not there: %d", resp.StatusCode)
	}
	// What the console reads: the message's raw reference parses as a mail
	// holding the files by their SHA-256.
	var n int64
	fmt.Sscanf(strings.TrimPrefix(page, "/portal/tickets/"), "%d", &n)
	_, msgs, err := r.tk.Show(context.Background(), n)
	if err != nil || len(msgs) != 2 {
		t.Fatalf("show: %v %d", err, len(msgs))
	}
	rc, _, err := mailin.NewRawStore(r.db).Open(context.Background(), msgs[0].RawRef)
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	m, err := parse.Parse(rc, nil)
	if err != nil || len(m.Attachments) != 2 || m.Attachments[0].SHA256 != msgs[0].Attachments[0].SHA256 || m.From.Address != "uno@example.cl" {
		t.Fatalf("raw message: %v %+v", err, m)
	}
}

// A form over the size limit gets the form again with the error beside
// the file field (413), not a 403, and opens nothing.
func TestOverSizeFormErrorBesideTheField(t *testing.T) {
	r := newRig(t)
	b := r.loggedIn("C-1", "Uno", "uno@example.cl", "una frase bastante larga")
	form := b.formOf("/portal/tickets/nuevo")
	form.Set("subject", "grande")
	form.Set("text", "x")
	huge := append(append([]byte{}, pdf...), make([]byte, 13<<20)...)
	resp, body := b.postFiles("/portal/tickets", form, file{"grande.pdf", "application/pdf", huge})
	if resp.StatusCode != http.StatusRequestEntityTooLarge || !strings.Contains(body, `id="files-error"`) || !strings.Contains(body, "12 MB") {
		t.Fatalf("over-size form: %d\n%s", resp.StatusCode, body)
	}
	if ts, _ := r.tk.ClientTickets(context.Background(), "C-1", 0); len(ts) != 0 {
		t.Fatalf("an over-size form opened %d tickets", len(ts))
	}
	// Without a session it is refused as before (403), never the form.
	anon := r.client()
	anon.csrf("/portal/login")
	if resp, _ = anon.postFiles("/portal/tickets", url.Values{}, file{"grande.pdf", "application/pdf", huge}); resp.StatusCode != http.StatusForbidden {
		t.Fatalf("over-size form without a session: %d", resp.StatusCode)
	}
	// Cross-site, it is refused by the cross-origin check first.
	var body2 bytes.Buffer
	mw := multipart.NewWriter(&body2)
	fw, _ := mw.CreateFormFile("files", "grande.pdf")
	_, _ = fw.Write(huge)
	_ = mw.Close()
	req, _ := http.NewRequest(http.MethodPost, r.srv.URL+"/portal/tickets", &body2)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	if resp, err := b.c.Do(req); err != nil || resp.StatusCode != http.StatusForbidden {
		t.Fatalf("cross-site over-size form: %v %v", resp, err)
	}
}
