package config

import (
	"fmt"
	"strings"
	"testing"
)

// The issuer's RUT is checked with the clients' RUT rules: a wrong check
// digit is named with the key and the line, and stops the start.
func TestCompanyRUTChecked(t *testing.T) {
	p := writeFile(t, "[company]\nrut = \"76.123.456-1\"\nrazon_social = \"Mi Proveedor SpA\"\n")
	_, err := Load(p, nil)
	if err == nil {
		t.Fatal("want error")
	}
	for _, want := range []string{p + ":2: company.rut:", `"76.123.456-1" is not a valid RUT`, "check digit"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not contain %q", err, want)
		}
	}
	p = writeFile(t, "[company]\nrut = \"76.123.456-0\"\n")
	if _, err := Load(p, nil); err != nil {
		t.Fatalf("good RUT refused: %v", err)
	}
}

func TestCompanyBankValidation(t *testing.T) {
	cases := []struct {
		name string
		edit func(*CompanyConfig)
		want []string
	}{
		{"complete", func(c *CompanyConfig) {
			c.RUT, c.RazonSocial = "76.123.456-0", "Mi Proveedor SpA"
			c.Bank = BankConfig{Bank: "Banco Estado", AccountType: "corriente", AccountNumber: "123", ReceiptsTo: "pagos@example.cl"}
		}, nil},
		{"holder defaults need the company's", func(c *CompanyConfig) {
			c.Bank = BankConfig{Bank: "Banco Estado", AccountType: "vista", AccountNumber: "123"}
		}, []string{"company.bank.holder_rut: is required", "company.bank.holder: is required"}},
		{"bad fields", func(c *CompanyConfig) {
			c.Bank = BankConfig{AccountType: "cuenta rut", Holder: "X", HolderRUT: "12.345.678-9", ReceiptsTo: "pagos"}
		}, []string{"company.bank.holder_rut: \"12.345.678-9\" is not a valid RUT", "company.bank.bank: is required",
			"company.bank.account_number: is required", "company.bank.account_type: must be corriente, vista or ahorro",
			"company.bank.receipts_to: must be an email address"}},
	}
	for _, c := range cases {
		cfg := Default()
		c.edit(&cfg.Company)
		var got []string
		for _, e := range cfg.Validate() {
			got = append(got, e.Error())
		}
		if len(got) != len(c.want) {
			t.Errorf("%s: got %q, want %d errors", c.name, got, len(c.want))
			continue
		}
		for i, w := range c.want {
			if !strings.HasPrefix(got[i], w) {
				t.Errorf("%s: error %d is %q, want it to start %q", c.name, i, got[i], w)
			}
		}
	}
}

// A factura is a tax document (DTE): refused without a DTE issuer, with
// the reason and what to do instead; accepted with one.
func TestBillingDocumentType(t *testing.T) {
	cfg := Default()
	if cfg.Billing.Document != DocumentNotaDeCobro {
		t.Fatalf("default document %q", cfg.Billing.Document)
	}
	for doc, want := range map[string]string{
		"factura": `billing.document: "factura" needs a DTE issuer`,
		"boleta":  `billing.document: must be nota_de_cobro or factura (got "boleta")`,
	} {
		cfg := Default()
		cfg.Billing.Document = doc
		errs := cfg.Validate()
		if len(errs) != 1 || !strings.HasPrefix(errs[0].Error(), want) {
			t.Errorf("%s: got %v, want one error starting %q", doc, errs, want)
		}
	}
	cfg.Billing.Document = DocumentFactura
	cfg.Billing.DTE.Command = "/usr/local/bin/dte-issuer"
	if errs := cfg.Validate(); len(errs) != 0 {
		t.Errorf("factura with a DTE command: %v", errs)
	}
	cfg.Billing.DTE.Command = ""
	cfg.Billing.DTE.URL = "http://dte.example.cl/issue"
	cfg.Billing.DTE.When = "later"
	got := fmt.Sprint(cfg.Validate())
	for _, want := range []string{"billing.dte.url: must be https", "billing.dte.secret: must be at least 16", "billing.dte.when: must be on_issue or on_payment"} {
		if !strings.Contains(got, want) {
			t.Errorf("bad DTE settings: %s; want %q", got, want)
		}
	}
}

func TestProviderKind(t *testing.T) {
	p := writeFile(t, "[tickets]\nprovider_kind = \"isp\"\n")
	cfg, err := Load(p, nil)
	if err != nil || cfg.Tickets.ProviderKind != ProviderISP {
		t.Fatalf("isp: %v %q", err, cfg.Tickets.ProviderKind)
	}
	p = writeFile(t, "[tickets]\nprovider_kind = \"wisp\"\n")
	if _, err := Load(p, nil); err == nil || !strings.Contains(err.Error(), p+":2: tickets.provider_kind: must be hosting or isp") {
		t.Fatalf("wisp: %v", err)
	}
}
