package billing

import (
	"context"
	"testing"
	"time"

	"turno/mailout"
	"turno/scheduler"
	"turno/templates"
)

// Each document type has its own number series: switching billing.document
// starts the other series at 1 and switching back continues the first;
// a number is looked up in the series issued now. The mail names the
// document, attaches it under its type's name and carries the bank details.
func TestNumberSeriesPerDocumentType(t *testing.T) {
	f := newFixture(t, nil, time.Date(2026, 6, 5, 12, 0, 0, 0, time.UTC))
	ctx := context.Background()
	f.svc.opts.Company = issuerCompany()
	f.dir.put(completeClient("c1"))
	cycle := func(d string) {
		t.Helper()
		if _, err := f.svc.Cycle(ctx, scheduler.Run{Date: date(t, d)}); err != nil {
			t.Fatal(err)
		}
	}
	f.contract(t, "k1", "c1", 5, 1000, "2026-01-01")
	f.contract(t, "k2", "c1", 5, 2000, "2026-01-01")
	cycle("2026-06-05")
	f.svc.opts.Billing.Document = DocFactura // what a DTE issuer will allow
	f.contract(t, "k3", "c1", 6, 3000, "2026-01-01")
	cycle("2026-06-06")
	f.svc.opts.Billing.Document = DocNotaDeCobro
	f.contract(t, "k4", "c1", 7, 4000, "2026-01-01")
	cycle("2026-06-07")

	want := map[string]struct {
		doc string
		n   int64
	}{"k1": {DocNotaDeCobro, 1}, "k2": {DocNotaDeCobro, 2}, "k3": {DocFactura, 1}, "k4": {DocNotaDeCobro, 3}}
	for k, w := range want {
		invs, err := f.svc.invoicesByID(ctx, []string{InvoiceID(k, "2026-06")}, nil)
		if err != nil || len(invs) != 1 {
			t.Fatalf("%s: %v %d", k, err, len(invs))
		}
		if inv := invs[0]; inv.Document != w.doc || inv.Number != w.n || inv.Issuer == nil {
			t.Errorf("%s: %s N° %d (issuer %v), want %s N° %d", k, inv.Document, inv.Number, inv.Issuer != nil, w.doc, w.n)
		}
	}
	inv, err := f.svc.InvoiceByNumber(ctx, 1)
	if err != nil || inv.ContractID != "k1" {
		t.Fatalf("nota de cobro 1: %v %+v", err, inv)
	}
	f.svc.opts.Billing.Document = DocFactura
	if inv, err := f.svc.InvoiceByNumber(ctx, 1); err != nil || inv.ContractID != "k3" {
		t.Fatalf("factura 1: %v %+v", err, inv)
	}
	if inv, err := f.svc.InvoiceByNumber(ctx, 3); err != nil || inv.ContractID != "k4" {
		t.Fatalf("nota de cobro 3, the only 3: %v %+v", err, inv)
	}

	mails := map[string]mailout.Message{}
	for _, m := range f.box.withPrefix("invoice:") {
		mails[m.Attachments[0].Filename] = m
	}
	for _, name := range []string{"nota-de-cobro-1.pdf", "nota-de-cobro-2.pdf", "factura-1.pdf", "nota-de-cobro-3.pdf"} {
		if _, ok := mails[name]; !ok {
			t.Errorf("no mail attaches %s (have %v)", name, mails)
		}
	}
	d := mails["nota-de-cobro-3.pdf"].Data.(templates.InvoiceIssued)
	if d.Document != DocNotaDeCobro || d.InvoiceNumber != 3 || d.Bank == nil || d.Bank.HolderRUT != "76.543.210-3" ||
		d.Bank.AccountType != "Cuenta corriente" || d.Bank.Holder != "Austral Hosting SpA" || d.Net != 4000 || d.Exempt != 0 {
		t.Errorf("mail data %+v bank %+v", d, d.Bank)
	}
}
