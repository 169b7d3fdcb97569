package config

import (
	"net/mail"
	"strings"

	"turno/clients/taxid"
)

// CompanyConfig is the provider's identity as it appears in every email
// and, as the issuer, on every billing document: its RUT, razón social,
// giro and address, and the bank account customers pay into. A billing
// document keeps a copy of these as they were when it was issued.
type CompanyConfig struct {
	Name           string `toml:"name"`
	SupportAddress string `toml:"support_address"`
	Website        string `toml:"website"`
	Phone          string `toml:"phone"`
	Footer         string `toml:"footer"`
	// The issuer of billing documents. RUT is checked (módulo 11) when set;
	// empty fields are left off the documents.
	RUT         string     `toml:"rut"`
	RazonSocial string     `toml:"razon_social"`
	Giro        string     `toml:"giro"`
	Address     string     `toml:"address"`
	Comuna      string     `toml:"comuna"`
	City        string     `toml:"city"`
	Bank        BankConfig `toml:"bank"`
}

// BankConfig is the account for bank transfers, printed under "how to pay".
// Holder and HolderRUT default to the company's razón social and RUT on the
// documents when empty.
type BankConfig struct {
	Bank          string `toml:"bank"`
	AccountType   string `toml:"account_type"` // corriente, vista or ahorro
	AccountNumber string `toml:"account_number"`
	Holder        string `toml:"holder"`
	HolderRUT     string `toml:"holder_rut"`
	// ReceiptsTo is the address customers send transfer receipts to.
	ReceiptsTo string `toml:"receipts_to"`
}

// AccountTypes are the bank account types a transfer can go to.
var AccountTypes = map[string]string{
	"corriente": "Cuenta corriente",
	"vista":     "Cuenta vista",
	"ahorro":    "Cuenta de ahorro",
}

// Set reports whether any bank detail is configured.
func (b BankConfig) Set() bool { return b != BankConfig{} }

// CheckRUT validates a Chilean RUT with the clients' tax-ID rules and
// returns its normalised form ("76123456-0") or a message for operators.
func CheckRUT(s string) (string, string) {
	r, err := taxid.Validate(taxid.CL, s)
	if err != nil {
		if e, ok := err.(*taxid.Error); ok {
			return "", "is not a valid RUT (" + e.Reason + ")"
		}
		return "", "is not a valid RUT: " + err.Error()
	}
	return r.Normalized, ""
}

func (c *Config) validateCompany(add func(key, format string, args ...any)) {
	co := c.Company
	if strings.TrimSpace(co.Name) == "" {
		add("company.name", "is required: it appears in every email")
	}
	if _, err := mail.ParseAddress(co.SupportAddress); err != nil {
		add("company.support_address", "must be an email address (got %q)", co.SupportAddress)
	}
	if co.RUT != "" {
		if _, msg := CheckRUT(co.RUT); msg != "" {
			add("company.rut", "%q %s; it is printed as the issuer's RUT on every billing document", co.RUT, msg)
		}
	}
	b := co.Bank
	if !b.Set() {
		return
	}
	if b.HolderRUT != "" {
		if _, msg := CheckRUT(b.HolderRUT); msg != "" {
			add("company.bank.holder_rut", "%q %s", b.HolderRUT, msg)
		}
	}
	if strings.TrimSpace(b.Bank) == "" {
		add("company.bank.bank", "is required when [company.bank] is set: the bank customers transfer to")
	}
	if strings.TrimSpace(b.AccountNumber) == "" {
		add("company.bank.account_number", "is required when [company.bank] is set")
	}
	if _, ok := AccountTypes[b.AccountType]; !ok {
		add("company.bank.account_type", "must be corriente, vista or ahorro (got %q)", b.AccountType)
	}
	if b.HolderRUT == "" && co.RUT == "" {
		add("company.bank.holder_rut", "is required when company.rut is empty: customers need the account holder's RUT to transfer")
	}
	if b.Holder == "" && co.RazonSocial == "" {
		add("company.bank.holder", "is required when company.razon_social is empty")
	}
	if b.ReceiptsTo != "" {
		if _, err := mail.ParseAddress(b.ReceiptsTo); err != nil {
			add("company.bank.receipts_to", "must be an email address (got %q)", b.ReceiptsTo)
		}
	}
}
