package portal_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"turno/billing"
	"turno/config"
)

// With a DTE issuer, Facturas offers each invoice's tax document PDF
// beside its own, served as an attachment and scoped like it: another
// client's number is 404.
func TestFacturasOffersTaxDocumentPDFScoped(t *testing.T) {
	issuer := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var inv billing.DTEInvoice
		if err := json.NewDecoder(r.Body).Decode(&inv); err != nil {
			http.Error(w, "bad request", http.StatusBadRequest)
			return
		}
		_ = json.NewEncoder(w).Encode(billing.DTEAnswer{Status: "ok", DTEType: inv.DTEType, Folio: 900 + inv.Number,
			PDFBase64: base64.StdEncoding.EncodeToString([]byte(fmt.Sprintf("%%PDF-1.4 folio %d", 900+inv.Number)))})
	}))
	t.Cleanup(issuer.Close)
	r := newRigWith(t, func(o *billing.Options) {
		o.Billing = config.Default().Billing
		o.Billing.DTE = config.DTEConfig{URL: issuer.URL, Secret: "secret-for-the-dte-issuer", When: config.DTEOnIssue,
			Timeout: config.Duration(5 * time.Second)}
	})
	a := r.billedClient("C-1", "uno@example.cl")
	r.billedClient("C-2", "dos@example.cl")
	r.cycle()
	ctx := context.Background()
	if _, err := r.bil.ProcessDTE(ctx); err != nil {
		t.Fatal(err)
	}
	mine, _, _ := r.bil.ClientInvoices(ctx, "C-1")
	theirs, _, _ := r.bil.ClientInvoices(ctx, "C-2")
	if len(mine) != 1 || mine[0].DTE == nil || mine[0].DTE.Status != billing.DTEOK || len(theirs) != 1 {
		t.Fatalf("tax documents: %+v / %+v", mine, theirs)
	}
	href := fmt.Sprintf("/portal/facturas/%d-dte.pdf", mine[0].Number)
	if _, body := a.get("/portal/facturas"); !strings.Contains(body, `href="`+href+`"`) || !strings.Contains(body, "Documento tributario") {
		t.Fatalf("Facturas does not offer %s:\n%s", href, body)
	}
	resp, pdf := a.get(href)
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "application/pdf" ||
		resp.Header.Get("Content-Disposition") != fmt.Sprintf(`attachment; filename="factura-electronica-%d.pdf"`, mine[0].DTE.Folio) ||
		!strings.HasPrefix(pdf, "%PDF-1.4 folio") {
		t.Fatalf("tax document: %d %v %q", resp.StatusCode, resp.Header, pdf)
	}
	for _, p := range []string{fmt.Sprintf("/portal/facturas/%d-dte.pdf", theirs[0].Number), "/portal/facturas/999-dte.pdf",
		"/portal/facturas/-dte.pdf"} {
		if resp, body := a.get(p); resp.StatusCode != http.StatusNotFound || strings.HasPrefix(body, "%PDF") {
			t.Fatalf("%s: %d", p, resp.StatusCode)
		}
	}
}

// Without a tax document there is no link, and its URL is 404.
func TestFacturasWithoutTaxDocumentOffersNone(t *testing.T) {
	r := newRig(t)
	a := r.billedClient("C-1", "uno@example.cl")
	r.cycle()
	mine, _, _ := r.bil.ClientInvoices(context.Background(), "C-1")
	if _, body := a.get("/portal/facturas"); strings.Contains(body, "-dte.pdf") {
		t.Fatalf("a tax document link without one:\n%s", body)
	}
	if resp, _ := a.get(fmt.Sprintf("/portal/facturas/%d-dte.pdf", mine[0].Number)); resp.StatusCode != http.StatusNotFound {
		t.Fatalf("no tax document: %d", resp.StatusCode)
	}
}
