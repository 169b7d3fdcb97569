package api_test

import (
	"context"
	"fmt"
	"testing"

	"turno/mailin"
)

var apiPDF = []byte("%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n")

// Files through /api/v1/portal: a ticket opened and a reply made with
// files (base64) hold them, shown on the thread; a file that is not what
// the allow-list takes by its bytes is 400 on field files and opens
// nothing; a payment report keeps its receipt (a PDF by its bytes), and a
// disguised receipt is 400 on field receipt.
func TestPortalFilesAndReceipt(t *testing.T) {
	e := newEnv(t)
	e.billed("C1", "uno@cliente.cl", 10000)
	nums := e.cycle("C1")
	one := e.portalToken("C1")
	do := e.portalValidator()

	bad := map[string]any{"department": "soporte", "subject": "Con virus", "text": "x",
		"files": []map[string]any{{"filename": "factura.pdf", "data": []byte("MZ\x90\x00\x03")}}}
	if r := do("POST", "/api/v1/portal/tickets", one, bad); r.code != 400 || r.err(t).Error.Field != "files" {
		t.Fatalf("disguised file: %d %s", r.code, r.body)
	}
	if ts, _ := e.d.Tickets.ClientTickets(context.Background(), "C1", 0); len(ts) != 0 {
		t.Fatalf("a refused request opened %d tickets", len(ts))
	}
	open := map[string]any{"department": "soporte", "subject": "Cartola", "text": "Adjunto.",
		"files": []map[string]any{{"filename": "cartola.pdf", "data": apiPDF}, {"filename": "movs.csv", "data": []byte("a,b\n1,2\n")}}}
	r := do("POST", "/api/v1/portal/tickets", one, open)
	var opened struct{ Number int64 }
	r.json(t, &opened)
	if r.code != 201 || opened.Number == 0 {
		t.Fatalf("open with files: %d %s", r.code, r.body)
	}
	reply := map[string]any{"text": "Otro", "files": []map[string]any{{"filename": "notas.txt", "data": []byte("hola\n")}}}
	if r := do("POST", fmt.Sprintf("/api/v1/portal/tickets/%d/replies", opened.Number), one, reply); r.code != 201 {
		t.Fatalf("reply with a file: %d %s", r.code, r.body)
	}
	var th struct {
		Messages []struct {
			Files []struct {
				Filename    string
				ContentType string `json:"content_type"`
				Size        int64
			}
		}
	}
	r = do("GET", fmt.Sprintf("/api/v1/portal/tickets/%d", opened.Number), one, nil)
	r.json(t, &th)
	if len(th.Messages) != 2 || len(th.Messages[0].Files) != 2 || th.Messages[0].Files[1].Filename != "movs.csv" ||
		len(th.Messages[1].Files) != 1 || th.Messages[1].Files[0].Filename != "notas.txt" {
		t.Fatalf("thread files: %s", r.body)
	}
	// The files download by their indexes, typed by their bytes, as
	// attachments, for this client only.
	file := func(m, f int) string {
		return fmt.Sprintf("/api/v1/portal/tickets/%d/messages/%d/files/%d", opened.Number, m, f)
	}
	for _, c := range []struct {
		m, f     int
		ct, disp string
		data     []byte
	}{
		{0, 0, "application/pdf", "attachment; filename=cartola.pdf", apiPDF},
		{0, 1, "text/csv", "attachment; filename=movs.csv", []byte("a,b\n1,2\n")},
		{1, 0, "text/plain", "attachment; filename=notas.txt", []byte("hola\n")},
	} {
		r := do("GET", file(c.m, c.f), one, nil)
		if r.code != 200 || r.header.Get("Content-Type") != c.ct || r.header.Get("Content-Disposition") != c.disp ||
			r.header.Get("X-Content-Type-Options") != "nosniff" || string(r.body) != string(c.data) {
			t.Fatalf("file %d/%d: %d %q %q %q", c.m, c.f, r.code, r.header.Get("Content-Type"), r.header.Get("Content-Disposition"), r.body)
		}
	}
	e.billed("C2", "dos@cliente.cl", 10000)
	for _, c := range []struct {
		path, token string
	}{{file(0, 0), e.portalToken("C2")}, {file(0, 2), one}, {file(2, 0), one}, {file(1, 1), one}} {
		if r := do("GET", c.path, c.token, nil); r.code != 404 {
			t.Fatalf("%s: %d %s, want 404", c.path, r.code, r.body)
		}
	}

	rep := map[string]any{"invoices": []int64{nums["C1"]}, "amount": 10000, "method": "transferencia", "date": "2026-11-20",
		"receipt": map[string]any{"filename": "comprobante.exe", "data": []byte("MZ\x90\x00")}}
	if r := do("POST", "/api/v1/portal/payment-reports", one, rep); r.code != 400 || r.err(t).Error.Field != "receipt" {
		t.Fatalf("disguised receipt: %d %s", r.code, r.body)
	}
	rep["receipt"] = map[string]any{"filename": "comprobante", "data": apiPDF}
	r = do("POST", "/api/v1/portal/payment-reports", one, rep)
	var reported struct{ Ticket int64 }
	r.json(t, &reported)
	if r.code != 201 {
		t.Fatalf("report with receipt: %d %s", r.code, r.body)
	}
	pr, err := e.d.Tickets.ClientPaymentReport(context.Background(), "C1", reported.Ticket)
	if err != nil || pr.Receipt == nil || pr.Receipt.Filename != "comprobante.pdf" || pr.Receipt.ContentType != "application/pdf" ||
		pr.Receipt.Ref != pr.Receipt.SHA256 || len(pr.Receipt.SHA256) != 64 {
		t.Fatalf("receipt held: %+v %v", pr, err)
	}
	if ok, err := mailin.NewRawStore(e.d.Store.DB).Has(context.Background(), pr.Receipt.Ref); !ok || err != nil {
		t.Fatalf("the receipt's bytes are not in the raw store: %v %v", ok, err)
	}
}
