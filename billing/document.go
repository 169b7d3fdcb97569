package billing

import (
	"strings"

	"turno/clients"
	"turno/clients/taxid"
	"turno/config"
)

// Document types an invoice is issued as (config billing.document). An
// invoice issued before document types existed has none and is shown as it
// always was.
const (
	DocNotaDeCobro = config.DocumentNotaDeCobro // a payment request, not a tax document
	DocFactura     = config.DocumentFactura     // a tax document (DTE), only through a DTE issuer
)

// documentTypes are every type with a number series, in a fixed order.
var documentTypes = []string{DocNotaDeCobro, DocFactura}

// DocumentTitle is how a document type is named on the document and in
// mail ("Nota de cobro", "Factura"); "" is an invoice from before types.
func DocumentTitle(doc, lang string) string {
	switch {
	case doc == DocNotaDeCobro && lang == "en":
		return "Payment request"
	case doc == DocNotaDeCobro:
		return "Nota de cobro"
	case lang == "en":
		return "Invoice"
	}
	return "Factura"
}

// Issuer is the provider as a billing document names it. It is copied onto
// the invoice when the invoice is numbered (issued), as the client's
// billing data are, so a document never changes after it was sent: editing
// [company] later changes only documents issued later.
type Issuer struct {
	Name        string `bson:"name" json:"name"`
	RUT         string `bson:"rut,omitempty" json:"rut,omitempty"` // normalised, "76123456-0"
	RazonSocial string `bson:"razon_social,omitempty" json:"razon_social,omitempty"`
	Giro        string `bson:"giro,omitempty" json:"giro,omitempty"`
	Address     string `bson:"address,omitempty" json:"address,omitempty"`
	Comuna      string `bson:"comuna,omitempty" json:"comuna,omitempty"`
	City        string `bson:"city,omitempty" json:"city,omitempty"`
	Website     string `bson:"website,omitempty" json:"website,omitempty"`
	Phone       string `bson:"phone,omitempty" json:"phone,omitempty"`
	Email       string `bson:"email,omitempty" json:"email,omitempty"` // the support address
	// How to pay, as printed on the document.
	PaymentInstructions string     `bson:"payment_instructions,omitempty" json:"payment_instructions,omitempty"`
	Bank                *PayToBank `bson:"bank,omitempty" json:"bank,omitempty"`
	PortalURL           string     `bson:"portal_url,omitempty" json:"portal_url,omitempty"`
	PayURL              string     `bson:"pay_url,omitempty" json:"pay_url,omitempty"`
	// IVAPercent is the rate the document was issued with, for its label.
	IVAPercent int `bson:"iva_percent" json:"iva_percent"`
}

// PayToBank is the account customers transfer to. Holder and HolderRUT are
// filled from the issuer when the configuration leaves them empty.
type PayToBank struct {
	Bank          string `bson:"bank" json:"bank"`
	AccountType   string `bson:"account_type" json:"account_type"` // corriente, vista, ahorro
	AccountNumber string `bson:"account_number" json:"account_number"`
	Holder        string `bson:"holder" json:"holder"`
	HolderRUT     string `bson:"holder_rut" json:"holder_rut"` // normalised
	ReceiptsTo    string `bson:"receipts_to,omitempty" json:"receipts_to,omitempty"`
}

// AccountTypeLabel is "Cuenta corriente" and so on.
func (b PayToBank) AccountTypeLabel() string {
	if l, ok := config.AccountTypes[b.AccountType]; ok {
		return l
	}
	return b.AccountType
}

// issuer is the snapshot of the configured issuer taken at issue time.
func (s *Service) issuer() *Issuer {
	co := s.opts.Company
	is := &Issuer{
		Name: co.Name, RUT: normalRUT(co.RUT), RazonSocial: co.RazonSocial, Giro: co.Giro,
		Address: co.Address, Comuna: co.Comuna, City: co.City,
		Website: co.Website, Phone: co.Phone, Email: co.SupportAddress,
		PaymentInstructions: s.opts.Billing.PaymentInstructions,
		PortalURL:           s.opts.PortalURL, PayURL: s.opts.Billing.PayURL,
		IVAPercent: s.opts.Billing.IVAPercent,
	}
	if b := co.Bank; b.Set() {
		pb := &PayToBank{Bank: b.Bank, AccountType: b.AccountType, AccountNumber: b.AccountNumber,
			Holder: b.Holder, HolderRUT: normalRUT(b.HolderRUT), ReceiptsTo: b.ReceiptsTo}
		if pb.Holder == "" {
			pb.Holder = firstNonEmpty(co.RazonSocial, co.Name)
		}
		if pb.HolderRUT == "" {
			pb.HolderRUT = is.RUT
		}
		is.Bank = pb
	}
	return is
}

// document is the type the configuration issues now.
func (s *Service) document() string {
	if s.opts.Billing.Document == "" {
		return DocNotaDeCobro
	}
	return s.opts.Billing.Document
}

// DocumentType is the invoice's document type; "" for invoices issued
// before document types, which were numbered in the nota de cobro series.
func (inv Invoice) DocumentType() string { return inv.Document }

// series is the number series an invoice belongs to.
func (inv Invoice) series() string {
	if inv.Document == "" {
		return DocNotaDeCobro
	}
	return inv.Document
}

// normalRUT is a RUT's normalised form, or s as given when it is not one
// (config validation refuses those; a test may pass anything).
func normalRUT(s string) string {
	if s == "" {
		return ""
	}
	r, err := taxid.Validate(taxid.CL, s)
	if err != nil {
		return strings.TrimSpace(s)
	}
	return r.Normalized
}

// dottedRUT shows a normalised RUT with dots: "76.123.456-0".
func dottedRUT(s string) string { return displayTaxID(clients.BillingData{TaxCountry: "CL", TaxID: s}) }

func firstNonEmpty(s ...string) string {
	for _, v := range s {
		if strings.TrimSpace(v) != "" {
			return v
		}
	}
	return ""
}
