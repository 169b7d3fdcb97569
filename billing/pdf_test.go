package billing

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ledongthuc/pdf"
	"go.mongodb.org/mongo-driver/v2/bson"

	"turno/config"
	"turno/scheduler"
)

// issuerCompany is a complete issuer, as an operator configures it.
func issuerCompany() config.CompanyConfig {
	return config.CompanyConfig{
		Name: "Austral Hosting", SupportAddress: "soporte@austral.cl", Website: "www.austral.cl", Phone: "+56 2 2345 6789",
		RUT: "76.543.210-3", RazonSocial: "Austral Hosting SpA", Giro: "Servicios de hosting y datos",
		Address: "Av. Providencia 1234, of. 56", Comuna: "Providencia", City: "Santiago",
		Bank: config.BankConfig{Bank: "Banco del Estado de Chile", AccountType: "corriente", AccountNumber: "00-123-45678-9",
			ReceiptsTo: "pagos@austral.cl"},
	}
}

// pdfText extracts a PDF's text and page count.
func pdfText(t *testing.T, b []byte) (string, int) {
	t.Helper()
	r, err := pdf.NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatal(err)
	}
	plain, err := r.GetPlainText()
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if _, err := buf.ReadFrom(plain); err != nil {
		t.Fatal(err)
	}
	return buf.String(), r.NumPage()
}

// issuedFixture is oneInvoice with a complete issuer configured before the
// cycle, and the portal URL set.
func issuedFixture(t *testing.T) *fixture {
	t.Helper()
	f := newFixture(t, nil, time.Date(2026, 6, 5, 12, 0, 0, 0, time.UTC))
	f.svc.opts.Company = issuerCompany()
	f.svc.opts.PortalURL = "https://clientes.austral.cl/portal"
	c := completeClient("c1")
	f.dir.put(c)
	f.contract(t, "k1", "c1", 5, 38647, "2026-01-01")
	if _, err := f.svc.Cycle(context.Background(), scheduler.Run{Date: date(t, "2026-06-05")}); err != nil {
		t.Fatal(err)
	}
	return f
}

// The nota de cobro an accountant reads: the issuer's RUT, giro and
// address, the document type and number, the not-a-tax-document line, the
// client, the line with quantity and unit price, net, IVA and total, terms,
// and how to pay with the bank details and the portal. The first page is
// written as a PNG for a person to look at.
func TestInvoicePDFText(t *testing.T) {
	f := issuedFixture(t)
	inv, err := f.svc.InvoiceByNumber(context.Background(), 1)
	if err != nil {
		t.Fatal(err)
	}
	if inv.Document != DocNotaDeCobro || inv.Issuer == nil || inv.Issuer.RUT != "76543210-3" {
		t.Fatalf("issued as %q by %+v", inv.Document, inv.Issuer)
	}
	b, err := f.svc.RenderPDF(inv)
	if err != nil {
		t.Fatal(err)
	}
	text, pages := pdfText(t, b)
	if pages != 1 {
		t.Fatalf("%d pages", pages)
	}
	for _, want := range []string{
		"Austral Hosting SpA", "RUT: 76.543.210-3", "Giro: Servicios de hosting y datos", "Av. Providencia 1234, of. 56, Providencia, Santiago",
		"NOTA DE COBRO", "N° 1", "Documento no tributario", NotTaxDocument,
		"Comercial Ñuñoa c1 Ltda.", "76.123.456-0", "Servicios informáticos", "Av. Irarrázaval 1234",
		"Cant.", "Precio unitario", "Hosting Pyme, junio 2026", "$38.647", "Monto neto", "IVA (19%)", "$7.343", "Total a pagar", "$45.990",
		"5 de junio de 2026", "15 de junio de 2026", "Crédito a 10 días",
		"Cómo pagar", "Banco del Estado de Chile", "Cuenta corriente", "00-123-45678-9", "Austral Hosting SpA", "76.543.210-3",
		"pagos@austral.cl", "Nota de cobro N° 1", "https://clientes.austral.cl/portal",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("PDF text lacks %q:\n%s", want, text)
		}
	}
	for _, bad := range []string{"FACTURA", "Monto exento"} {
		if strings.Contains(text, bad) {
			t.Errorf("PDF text has %q:\n%s", bad, text)
		}
	}
	writePNG(t, b, "nota-de-cobro.png")
}

// An issued document never changes: editing [company] afterwards changes
// documents issued later, not this one, and a crash-repair rewrite of the
// last block writes the snapshot it was issued with.
func TestInvoiceKeepsIssuerSnapshot(t *testing.T) {
	f := issuedFixture(t)
	ctx := context.Background()
	f.svc.opts.Company.RUT, f.svc.opts.Company.Giro = "77.777.777-7", "Otro giro"
	f.svc.opts.Company.Bank.AccountNumber = "99-999"
	if _, err := f.svc.repairNumbering(ctx); err != nil { // completes the last block again
		t.Fatal(err)
	}
	inv, err := f.svc.InvoiceByNumber(ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	b, err := f.svc.RenderPDF(inv)
	if err != nil {
		t.Fatal(err)
	}
	text, _ := pdfText(t, b)
	for _, want := range []string{"76.543.210-3", "Servicios de hosting y datos", "00-123-45678-9"} {
		if !strings.Contains(text, want) {
			t.Errorf("issued document lost %q", want)
		}
	}
	for _, bad := range []string{"77.777.777-7", "Otro giro", "99-999"} {
		if strings.Contains(text, bad) {
			t.Errorf("issued document shows the edited %q", bad)
		}
	}
}

// An invoice issued before issuer snapshots renders as it always did.
func TestInvoicePDFWithoutSnapshotAsBefore(t *testing.T) {
	f := oneInvoice(t)
	ctx := context.Background()
	if _, err := f.svc.invoices.UpdateOne(ctx, bson.D{{Key: "_id", Value: InvoiceID("k1", "2026-06")}},
		bson.D{{Key: "$unset", Value: bson.D{{Key: "issuer", Value: ""}, {Key: "document", Value: ""}}}}); err != nil {
		t.Fatal(err)
	}
	f.svc.opts.Company.Footer = "Mi Proveedor SpA · RUT 77.777.777-7 · Providencia"
	inv, err := f.svc.InvoiceByNumber(ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	b, err := f.svc.RenderPDF(inv)
	if err != nil {
		t.Fatal(err)
	}
	text, pages := pdfText(t, b)
	if pages != 1 {
		t.Fatalf("%d pages", pages)
	}
	for _, want := range []string{"FACTURA N° 1", "76.123.456-0", "$38.647", "$7.343", "$45.990", "IVA (19%)",
		"5 de junio de 2026", "15 de junio de 2026", "Comercial Ñuñoa c1 Ltda.", "Av. Irarrázaval 1234",
		"Razón social", "Cómo pagar", "RUT 77.777.777-7"} {
		if !strings.Contains(text, want) {
			t.Errorf("PDF text lacks %q:\n%s", want, text)
		}
	}
}

// An exempt document reads as exempt ("Monto exento"), not as a taxed one
// with IVA $0; fifteen lines still fit on one page.
func TestInvoicePDFExemptAndFifteenLines(t *testing.T) {
	f := issuedFixture(t)
	inv, err := f.svc.InvoiceByNumber(context.Background(), 1)
	if err != nil {
		t.Fatal(err)
	}
	ex := *inv
	ex.Tax, ex.Total = 0, ex.Net
	b, err := renderDocument(&ex, []DocLine{{Quantity: 1, Description: "Dominio .cl", UnitPrice: 38647, Amount: 38647, Exempt: true}})
	if err != nil {
		t.Fatal(err)
	}
	text, _ := pdfText(t, b)
	for _, want := range []string{"Monto exento", "Operación exenta de IVA.", "Dominio .cl (exento)", "$38.647"} {
		if !strings.Contains(text, want) {
			t.Errorf("exempt PDF lacks %q:\n%s", want, text)
		}
	}
	for _, bad := range []string{"IVA (19%)", "Monto neto", "$0"} {
		if strings.Contains(text, bad) {
			t.Errorf("exempt PDF has %q:\n%s", bad, text)
		}
	}

	var lines []DocLine
	for i := range 15 {
		lines = append(lines, DocLine{Quantity: int64(i + 1), Description: fmt.Sprintf("Servicio adicional número %d con una descripción bastante más larga que la columna que la recibe", i+1),
			UnitPrice: 1000, Amount: int64(i+1) * 1000, Exempt: i%5 == 0})
	}
	many := *inv
	many.Net, many.Tax, many.Total = 120000, 19380, 139380 // 102.000 taxed, 18.000 exempt
	b, err = renderDocument(&many, lines)
	if err != nil {
		t.Fatal(err)
	}
	text, pages := pdfText(t, b)
	if pages != 1 {
		t.Fatalf("15 lines: %d pages", pages)
	}
	for _, want := range []string{"Servicio adicional número 15", "(exento)", "$102.000", "$18.000", "$19.380", "$139.380", NotTaxDocument} {
		if !strings.Contains(text, want) {
			t.Errorf("15-line PDF lacks %q:\n%s", want, text)
		}
	}
	writePNG(t, b, "nota-de-cobro-15-lineas.png")
}

// writePNG renders the PDF's first page with pdftoppm (Debian's
// poppler-utils) into $TURNO_TEST_ARTIFACTS (default: artifacts/ in the
// test's temp dir). Without pdftoppm it skips, or fails under CI.
func writePNG(t *testing.T, pdfBytes []byte, name string) {
	t.Helper()
	bin, err := exec.LookPath("pdftoppm")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("pdftoppm not found (install poppler-utils): %v", err)
		}
		t.Skipf("pdftoppm not found (install poppler-utils) to write %s", name)
	}
	dir := os.Getenv("TURNO_TEST_ARTIFACTS")
	if dir == "" {
		dir = filepath.Join(t.TempDir(), "artifacts")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	in := filepath.Join(t.TempDir(), "doc.pdf")
	if err := os.WriteFile(in, pdfBytes, 0o600); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, strings.TrimSuffix(name, ".png"))
	if b, err := exec.Command(bin, "-png", "-r", "110", "-f", "1", "-l", "1", "-singlefile", in, out).CombinedOutput(); err != nil {
		t.Fatalf("pdftoppm: %v\n%s", err, b)
	}
	if st, err := os.Stat(out + ".png"); err != nil || st.Size() == 0 {
		t.Fatalf("no PNG written at %s.png: %v", out, err)
	}
	t.Logf("first page: %s.png", out)
}
