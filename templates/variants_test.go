package templates

import (
	"os"
	"path/filepath"
	"testing"
)

// TestGoldenVariants keeps the copy of data the samples do not show: the
// unknown-sender reply of an ISP (RUT and service address, not a hosted
// domain) and an exempt document from before document types with no bank
// details or links (it points to the attached document and reads as
// exempt, not as IVA $0). Files: testdata/golden/<lang>/<name>.<variant>.*;
// -update rewrites them.
func TestGoldenVariants(t *testing.T) {
	s := mustLoad(t, "")
	inv := SampleData("invoice_issued").(InvoiceIssued)
	inv.Document, inv.Net, inv.Tax, inv.Exempt, inv.Total = "", 0, 0, 38647, 38647
	inv.Bank, inv.PayURL, inv.PortalURL = nil, "", ""
	variants := []struct {
		name, variant string
		data          any
	}{
		{"ticket_unknown_sender", "isp", TicketUnknownSender{TicketNumber: 10483, SenderAddress: "vecino@gmail.com", ProviderKind: "isp"}},
		{"invoice_issued", "exempt-legacy", inv},
	}
	for _, lang := range Langs() {
		for _, v := range variants {
			r, err := s.Render(v.name, lang, v.data)
			if err != nil {
				t.Fatalf("Render(%s, %s): %v", v.name, lang, err)
			}
			for part, got := range map[string]string{partSubject: r.Subject + "\n", partText: r.Text, partHTML: r.HTML} {
				file := filepath.Join("testdata", "golden", lang, v.name+"."+v.variant+part)
				if *update {
					if err := os.WriteFile(file, []byte(got), 0o644); err != nil {
						t.Fatal(err)
					}
					continue
				}
				want, err := os.ReadFile(file)
				if err != nil {
					t.Fatalf("%v (run go test -update to create it)", err)
				}
				if got != string(want) {
					t.Errorf("%s differs from the rendering:\n--- got\n%s\n--- want\n%s", file, got, want)
				}
			}
		}
	}
}
