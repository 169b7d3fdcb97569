package billing

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"

	"github.com/go-pdf/fpdf"
)

// renderLegacyPDF draws an invoice issued before issuer snapshots as it
// was always drawn: titled "FACTURA", the provider's data taken from the
// current configuration.
func (s *Service) renderLegacyPDF(inv *Invoice) ([]byte, error) {
	p := fpdf.New("P", "mm", "A4", "")
	p.SetCreator("Turno", true)
	p.SetTitle(fmt.Sprintf("Factura %d", inv.Number), true)
	tr := p.UnicodeTranslatorFromDescriptor("")
	p.AddPage()
	co := s.opts.Company

	p.SetFont("Helvetica", "B", 16)
	p.CellFormat(120, 8, tr(co.Name), "", 0, "L", false, 0, "")
	p.SetFont("Helvetica", "B", 14)
	p.CellFormat(0, 8, tr(fmt.Sprintf("FACTURA N° %d", inv.Number)), "", 1, "R", false, 0, "")
	p.SetFont("Helvetica", "", 9)
	for _, l := range []string{co.Footer, co.Website, co.Phone, co.SupportAddress} {
		if strings.TrimSpace(l) != "" {
			p.CellFormat(0, 5, tr(l), "", 1, "L", false, 0, "")
		}
	}
	p.Ln(4)
	p.SetFont("Helvetica", "", 10)
	kv := func(k, v string) {
		p.SetFont("Helvetica", "B", 10)
		p.CellFormat(45, 6, tr(k), "", 0, "L", false, 0, "")
		p.SetFont("Helvetica", "", 10)
		p.CellFormat(0, 6, tr(v), "", 1, "L", false, 0, "")
	}
	kv("Fecha de emisión:", spanishDate(inv.IssueDate))
	kv("Fecha de vencimiento:", spanishDate(inv.DueDate))
	kv("Período:", periodLabel(inv.Period, "es"))
	p.Ln(3)
	b := inv.Billing
	kv("Razón social:", b.RazonSocial)
	kv(taxIDLabel(b.TaxCountry)+":", displayTaxID(b))
	kv("Giro:", b.Giro)
	kv("Domicilio:", b.Domicilio)
	kv("Comuna:", b.Comuna)
	kv("Ciudad:", b.Ciudad)
	p.Ln(5)

	p.SetFont("Helvetica", "B", 10)
	p.CellFormat(140, 7, tr("Descripción"), "B", 0, "L", false, 0, "")
	p.CellFormat(0, 7, tr("Neto"), "B", 1, "R", false, 0, "")
	p.SetFont("Helvetica", "", 10)
	desc := inv.Contract.Description
	if inv.Contract.Currency == UF {
		desc += fmt.Sprintf(" (%s UF a $%s)", thousandthsUF(inv.Contract.Amount), strconv.FormatFloat(inv.UFRate, 'f', -1, 64))
	}
	p.CellFormat(140, 7, tr(desc), "", 0, "L", false, 0, "")
	p.CellFormat(0, 7, money(inv.Net), "", 1, "R", false, 0, "")
	p.Ln(3)
	total := func(k string, v int64, bold bool) {
		style := ""
		if bold {
			style = "B"
		}
		p.SetFont("Helvetica", style, 11)
		p.CellFormat(140, 7, tr(k), "", 0, "R", false, 0, "")
		p.CellFormat(0, 7, money(v), "", 1, "R", false, 0, "")
	}
	total("Neto", inv.Net, false)
	if inv.Contract.Exempt {
		total("Exento de IVA", 0, false)
	} else {
		total(fmt.Sprintf("IVA (%d%%)", s.opts.Billing.IVAPercent), inv.Tax, false)
	}
	total("Total", inv.Total, true)
	p.Ln(8)
	p.SetFont("Helvetica", "B", 10)
	p.CellFormat(0, 6, tr("Cómo pagar"), "", 1, "L", false, 0, "")
	p.SetFont("Helvetica", "", 10)
	how := s.opts.Billing.PaymentInstructions
	if s.opts.Billing.PayURL != "" {
		how += " Pague en línea: " + s.opts.Billing.PayURL
	}
	p.MultiCell(0, 5, tr(how), "", "L", false)
	var buf bytes.Buffer
	if err := p.Output(&buf); err != nil {
		return nil, fmt.Errorf("render invoice %d PDF: %w", inv.Number, err)
	}
	return buf.Bytes(), nil
}
