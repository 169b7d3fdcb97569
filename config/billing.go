package config

import (
	"time"
)

// BillingConfig is the billing calendar: when the daily jobs run, how
// invoices are computed and when collection notes go out.
type BillingConfig struct {
	// TimeZone is the old name of the top-level time_zone, still read.
	// After Load (and in Default) it holds the effective Config.TimeZone,
	// so code that reads it keeps working; new code reads Config.TimeZone.
	TimeZone string `toml:"time_zone,omitempty" alias:"time_zone"`
	// CycleHour and CollectionHour are the local hours (0–23) at which the
	// billing cycle and the collection notes run each day.
	CycleHour      int `toml:"cycle_hour"`
	CollectionHour int `toml:"collection_hour"`
	// CatchUpDays: after downtime, daily jobs run once per missed business
	// date, oldest first, at most this many days back.
	CatchUpDays int `toml:"catch_up_days"`
	// LeaseTTL is how long the scheduler lease lasts without renewal.
	LeaseTTL Duration `toml:"lease_ttl"`
	// DueDays after the issue date an invoice is due.
	DueDays int `toml:"due_days"`
	// IVAPercent is the tax rate for contracts that are not exempt.
	IVAPercent int `toml:"iva_percent"`
	// UFRate is the fallback pesos per UF for UF contracts, used on issue
	// dates with no value recorded by `turno billing uf set`; 0 means no
	// fallback: such contracts are reported by the cycle, not invoiced.
	UFRate float64 `toml:"uf_rate"`
	// CollectionStages are days relative to the due date (negative before).
	CollectionStages []int `toml:"collection_stages"`
	// CollectionCcNotify copies collection notes to the addresses to notify.
	CollectionCcNotify bool `toml:"collection_cc_notify"`
	// Document is the type of document the cycle issues: "nota_de_cobro"
	// (a payment request, not a tax document; the default) or "factura",
	// which is an electronic tax document (DTE) and is only accepted with a
	// DTE issuer ([billing.dte]). Each type has its own number series.
	Document string `toml:"document"`
	// Prorate bills a contract that starts or ends within a period by the
	// days it was in service (dates on the line); off: whole periods.
	Prorate bool `toml:"prorate"`
	// DTE is the provider's DTE system, which issues the tax documents.
	DTE DTEConfig `toml:"dte"`
	// PayURL is shown in invoice mail and notes; PaymentInstructions is
	// printed on the invoice PDF.
	PayURL              string `toml:"pay_url"`
	PaymentInstructions string `toml:"payment_instructions"`
	// APIToken authenticates POST /api/payments (Bearer); empty disables it.
	APIToken     string `toml:"api_token" secret:"true"`
	APITokenFile string `toml:"api_token_file"`
}

func defaultBilling() BillingConfig {
	return BillingConfig{
		CycleHour:           6,
		CollectionHour:      9,
		CatchUpDays:         7,
		LeaseTTL:            Duration(30 * time.Second),
		DueDays:             10,
		IVAPercent:          19,
		CollectionStages:    []int{-3, 0, 7, 15},
		Document:            DocumentNotaDeCobro,
		PaymentInstructions: "Transferencia bancaria; indique el número del documento en el comentario.",
		DTE:                 DTEConfig{When: DTEOnPayment, Timeout: Duration(time.Minute), Args: []string{}},
	}
}

// Billing document types (billing.document).
const (
	DocumentNotaDeCobro = "nota_de_cobro"
	DocumentFactura     = "factura"
)

func (b *BillingConfig) validate(add func(key, format string, args ...any)) {
	switch b.Document {
	case DocumentNotaDeCobro:
	case DocumentFactura:
		if !b.DTE.Enabled() {
			add("billing.document", "\"factura\" needs a DTE issuer (electronic invoices are signed and numbered through the SII by your DTE system): set billing.dte.command or billing.dte.url, or use \"nota_de_cobro\"")
		}
	default:
		add("billing.document", "must be nota_de_cobro or factura (got %q)", b.Document)
	}
	for key, h := range map[string]int{"billing.cycle_hour": b.CycleHour, "billing.collection_hour": b.CollectionHour} {
		if h < 0 || h > 23 {
			add(key, "must be an hour from 0 to 23 (got %d)", h)
		}
	}
	if b.CatchUpDays < 0 || b.CatchUpDays > 366 {
		add("billing.catch_up_days", "must be from 0 to 366 (got %d)", b.CatchUpDays)
	}
	if b.LeaseTTL.D() < time.Second {
		add("billing.lease_ttl", "must be at least 1s")
	}
	if b.DueDays < 0 || b.DueDays > 365 {
		add("billing.due_days", "must be from 0 to 365 (got %d)", b.DueDays)
	}
	if b.IVAPercent < 0 || b.IVAPercent > 100 {
		add("billing.iva_percent", "must be from 0 to 100 (got %d)", b.IVAPercent)
	}
	if b.UFRate < 0 {
		add("billing.uf_rate", "must not be negative")
	}
	seen := map[int]bool{}
	for _, s := range b.CollectionStages {
		if seen[s] {
			add("billing.collection_stages", "stage %d is listed twice", s)
		}
		seen[s] = true
	}
	b.DTE.validate(add)
	if b.APIToken != "" && len(b.APIToken) < 16 {
		add("billing.api_token", "must be at least 16 characters, or empty to disable the payments endpoint")
	}
}
