package billing

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/ledongthuc/pdf"
)

// The PDF is checked by extracting its text: amounts, RUT, dates and the
// Spanish accents survive.
func TestInvoicePDFText(t *testing.T) {
	f := oneInvoice(t)
	f.svc.opts.Company.Footer = "Mi Proveedor SpA · RUT 77.777.777-7 · Providencia"
	inv, err := f.svc.InvoiceByNumber(context.Background(), 1)
	if err != nil {
		t.Fatal(err)
	}
	b, err := f.svc.RenderPDF(inv)
	if err != nil {
		t.Fatal(err)
	}
	r, err := pdf.NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatal(err)
	}
	if r.NumPage() != 1 {
		t.Fatalf("%d pages", r.NumPage())
	}
	plain, err := r.GetPlainText()
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if _, err := buf.ReadFrom(plain); err != nil {
		t.Fatal(err)
	}
	text := buf.String()
	for _, want := range []string{"FACTURA N° 1", "76.123.456-0", "$38.647", "$7.343", "$45.990", "IVA (19%)",
		"5 de junio de 2026", "15 de junio de 2026", "Comercial Ñuñoa c1 Ltda.", "Av. Irarrázaval 1234",
		"Razón social", "Cómo pagar", "Transferencia bancaria; indique el número de factura."} {
		if !strings.Contains(text, want) {
			t.Errorf("PDF text lacks %q:\n%s", want, text)
		}
	}
}
