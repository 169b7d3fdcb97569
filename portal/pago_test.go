package portal_test

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"go.mongodb.org/mongo-driver/v2/bson"

	"turno/mailin"
	"turno/tickets"
)

// pngBytes is a small real PNG (a receipt's photo).
func pngBytes(t *testing.T) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 8, 8))
	img.Set(1, 1, color.RGBA{R: 200, A: 255})
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

type file struct {
	name, contentType string
	data              []byte
}

// postMultipart posts form (and the file as field receipt, when given) as
// multipart/form-data, the way the Reportar pago form is sent.
func (b *client) postMultipart(path string, form url.Values, f *file) (*http.Response, string) {
	b.t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	for k, vs := range form {
		for _, v := range vs {
			_ = mw.WriteField(k, v)
		}
	}
	if f != nil {
		h := textproto.MIMEHeader{}
		h.Set("Content-Disposition", fmt.Sprintf(`form-data; name="receipt"; filename="%s"`, f.name))
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

var nonceRe = regexp.MustCompile(`name="nonce" value="([^"]+)"`)

// payForm is a filled Reportar pago form for invoice n (csrf and nonce
// read from the page).
func (b *client) payForm(n int64, amount string) url.Values {
	b.t.Helper()
	_, page := b.get("/portal/pago")
	c, nn := csrfRe.FindStringSubmatch(page), nonceRe.FindStringSubmatch(page)
	if c == nil || nn == nil {
		b.t.Fatalf("no form on Reportar pago:\n%s", page)
	}
	return url.Values{"csrf": {c[1]}, "nonce": {nn[1]}, "invoice": {fmt.Sprint(n)}, "amount": {amount},
		"method": {"transferencia"}, "bank": {"BancoEstado"}, "date": {today().String()}, "operation": {"0047113"}}
}

func (r *rig) rawCount() int64 {
	n, err := r.db.Collection(mailin.RawCollection).CountDocuments(context.Background(), bson.D{})
	if err != nil {
		r.t.Fatal(err)
	}
	return n
}

// The customer reports a payment of their invoice with a PNG receipt: a
// ticket in the payments department holds the report matched to that
// invoice, the receipt stored once by hash and served back as an
// attachment; the same form sent again opens nothing new.
func TestReportarPagoOpensPaymentTicketWithReceipt(t *testing.T) {
	r := newRig(t)
	a := r.billedClient("C-1", "uno@example.cl")
	other := r.billedClient("C-2", "dos@example.cl")
	r.cycle()
	ctx := context.Background()
	invs, owed, _ := r.bil.ClientInvoices(ctx, "C-1")
	if len(invs) != 1 {
		t.Fatalf("invoices %v", invs)
	}
	inv := invs[0]
	_, page := a.get("/portal/pago")
	if !strings.Contains(page, fmt.Sprintf(`name="invoice" value="%d"`, inv.Number)) || !strings.Contains(page, "Reportar pago") {
		t.Fatalf("the form does not offer invoice %d:\n%s", inv.Number, page)
	}
	receipt := pngBytes(t)
	form := a.payForm(inv.Number, tickets.Pesos(owed)[1:]) // "54.728", as Chileans write it
	resp, body := a.postMultipart("/portal/pago", form, &file{name: "comprobante pago.png", contentType: "image/png", data: receipt})
	loc := resp.Header.Get("Location")
	if resp.StatusCode != http.StatusSeeOther || !strings.HasSuffix(loc, "?n=reported") {
		t.Fatalf("report: %d %s\n%s", resp.StatusCode, loc, body)
	}
	ts, err := r.tk.ClientTickets(ctx, "C-1", 10)
	if err != nil || len(ts) != 1 || ts[0].Department != "pagos" || ts[0].Channel != tickets.ChannelPortal {
		t.Fatalf("tickets %+v %v", ts, err)
	}
	n := ts[0].Number
	if loc != fmt.Sprintf("/portal/tickets/%d?n=reported", n) {
		t.Fatalf("redirected to %s", loc)
	}
	rep, err := r.tk.ClientPaymentReport(ctx, "C-1", n)
	if err != nil || *rep.Report.Amount != owed || len(rep.Proposed) != 1 || rep.Proposed[0] != inv.Number ||
		*rep.Report.Operation != "0047113" || *rep.Report.Bank != "BancoEstado" || rep.Receipt == nil ||
		rep.Receipt.ContentType != "image/png" || rep.Receipt.Filename != "comprobante_pago.png" || rep.Receipt.Size != int64(len(receipt)) {
		t.Fatalf("report %+v %v", rep, err)
	}
	if r.rawCount() != 1 {
		t.Fatalf("raw store holds %d files", r.rawCount())
	}
	_, page = a.get(loc)
	for _, want := range []string{"Reporte de pago", "En revisión", tickets.Pesos(owed), "0047113", "Recibimos su reporte de pago",
		fmt.Sprintf(`href="/portal/tickets/%d/comprobante"`, n)} {
		if !strings.Contains(page, want) {
			t.Fatalf("ticket page lacks %q:\n%s", want, page)
		}
	}
	resp, got := a.get(fmt.Sprintf("/portal/tickets/%d/comprobante", n))
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "image/png" ||
		!strings.HasPrefix(resp.Header.Get("Content-Disposition"), "attachment;") || got != string(receipt) {
		t.Fatalf("receipt: %d %v", resp.StatusCode, resp.Header)
	}
	if resp, _ := other.get(fmt.Sprintf("/portal/tickets/%d/comprobante", n)); resp.StatusCode != http.StatusNotFound {
		t.Fatalf("another client's receipt: %d", resp.StatusCode)
	}
	// The same form again (a double click, a reload): the same ticket.
	resp, _ = a.postMultipart("/portal/pago", form, &file{name: "comprobante pago.png", contentType: "image/png", data: receipt})
	if ts, _ := r.tk.ClientTickets(ctx, "C-1", 10); resp.StatusCode != http.StatusSeeOther || len(ts) != 1 || r.rawCount() != 1 {
		t.Fatalf("resubmitted: %d, %d tickets, %d files", resp.StatusCode, len(ts), r.rawCount())
	}
}

// A receipt named .pdf and sent as application/pdf that is HTML with a
// script is refused beside its field; so is another client's invoice, a
// bad amount, and a form without the CSRF token (403): none creates a
// ticket or stores a file.
func TestReportarPagoRefusesDisguisedReceiptOthersInvoiceAndCSRFLess(t *testing.T) {
	r := newRig(t)
	a := r.billedClient("C-1", "uno@example.cl")
	r.billedClient("C-2", "dos@example.cl")
	r.cycle()
	ctx := context.Background()
	mine, owed, _ := r.bil.ClientInvoices(ctx, "C-1")
	theirs, _, _ := r.bil.ClientInvoices(ctx, "C-2")
	amount := tickets.Pesos(owed)[1:]
	nothing := func(what string) {
		t.Helper()
		if ts, _ := r.tk.ClientTickets(ctx, "C-1", 10); len(ts) != 0 || r.rawCount() != 0 {
			t.Fatalf("%s: %d tickets, %d files stored", what, len(ts), r.rawCount())
		}
	}
	html := []byte("<html><script>alert(document.cookie)</script></html>")
	resp, body := a.postMultipart("/portal/pago", a.payForm(mine[0].Number, amount), &file{name: "comprobante.pdf", contentType: "application/pdf", data: html})
	if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, `id="receipt-error"`) ||
		!strings.Contains(body, "no es un PDF, JPG o PNG") || strings.Contains(body, "%!") {
		t.Fatalf("disguised receipt: %d\n%s", resp.StatusCode, body)
	}
	nothing("disguised receipt")
	big := append([]byte("%PDF-1.4\n"), make([]byte, 5<<20)...)
	resp, body = a.postMultipart("/portal/pago", a.payForm(mine[0].Number, amount), &file{name: "comprobante.pdf", contentType: "application/pdf", data: big})
	if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "pesa más de 5 MB") {
		t.Fatalf("oversized receipt: %d", resp.StatusCode)
	}
	nothing("oversized receipt")

	form := a.payForm(theirs[0].Number, amount)
	resp, body = a.postMultipart("/portal/pago", form, &file{name: "c.png", contentType: "image/png", data: pngBytes(t)})
	if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, `id="invoices-error"`) {
		t.Fatalf("another client's invoice: %d\n%s", resp.StatusCode, body)
	}
	nothing("another client's invoice")
	if ts, _ := r.tk.ClientTickets(ctx, "C-2", 10); len(ts) != 0 {
		t.Fatalf("the other client got %d tickets", len(ts))
	}

	for _, bad := range []string{"", "abc", "45,5", "4.59.90", "0", "-100"} {
		resp, body = a.postMultipart("/portal/pago", a.payForm(mine[0].Number, bad), nil)
		if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, `id="amount-error"`) {
			t.Fatalf("amount %q: %d", bad, resp.StatusCode)
		}
	}
	nothing("bad amounts")

	form = a.payForm(mine[0].Number, amount)
	form.Del("csrf")
	if resp, _ := a.postMultipart("/portal/pago", form, &file{name: "c.png", contentType: "image/png", data: pngBytes(t)}); resp.StatusCode != http.StatusForbidden {
		t.Fatalf("CSRF-less report: %d", resp.StatusCode)
	}
	nothing("CSRF-less form")
}
