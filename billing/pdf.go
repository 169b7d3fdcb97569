package billing

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/go-pdf/fpdf"

	"turno/templates"
)

// NotTaxDocument is the line a nota de cobro carries on its face.
const NotTaxDocument = "Este documento no es un documento tributario: es una nota de cobro por los servicios indicados."

// DocLine is one line of a billing document: quantity, description, unit
// price and amount in whole pesos; an exempt line carries no IVA.
type DocLine struct {
	Quantity    int64
	Description string
	UnitPrice   int64
	Amount      int64
	Exempt      bool
	From, To    string // a prorated line's days, YYYY-MM-DD
}

// docLines are the invoice's lines; an invoice from before lines has one,
// its contract's.
func docLines(inv *Invoice) []DocLine {
	if inv.Lines != nil {
		out := make([]DocLine, 0, len(inv.Lines))
		for _, l := range inv.Lines {
			desc := l.Description
			if l.From != "" {
				desc += fmt.Sprintf(" %s al %s (%d/%d días)", shortDate(l.From), shortDate(l.To), l.Days, l.Of)
			}
			out = append(out, DocLine{Quantity: l.Quantity, Description: desc, UnitPrice: l.UnitPrice, Amount: l.Amount,
				Exempt: l.Exempt, From: l.From, To: l.To})
		}
		return out
	}
	desc := inv.Contract.Description
	if inv.Contract.Currency == UF {
		desc += fmt.Sprintf(" (%s UF a $%s)", thousandthsUF(inv.Contract.Amount), strconv.FormatFloat(inv.UFRate, 'f', -1, 64))
	}
	if l := periodLabel(inv.Period, "es"); l != "" {
		desc += ", " + l
	}
	return []DocLine{{Quantity: 1, Description: desc, UnitPrice: inv.Net, Amount: inv.Net, Exempt: inv.Contract.Exempt}}
}

// RenderPDF draws the invoice on one A4 page from what it was issued with:
// the issuer snapshot, the document type and number, the client's billing
// snapshot, the lines, net, exempt, IVA, total, terms and due date, and how
// to pay. An invoice issued before issuer snapshots is drawn as it always
// was (renderLegacyPDF). Text is Spanish; accents are written through the
// core fonts' cp1252 encoding, which covers Spanish.
func (s *Service) RenderPDF(inv *Invoice) ([]byte, error) {
	if inv.Issuer == nil {
		return s.renderLegacyPDF(inv)
	}
	return renderDocument(inv, docLines(inv))
}

// PDF geometry, in millimetres on A4 (210 × 297) with 12 mm margins.
const (
	pdfMargin = 12.0
	pdfWidth  = 210 - 2*pdfMargin
)

// renderDocument draws a document with the given lines; up to 15 fit on
// one page (more continue on a second).
func renderDocument(inv *Invoice, lines []DocLine) ([]byte, error) {
	is := inv.Issuer
	title := DocumentTitle(inv.Document, "es")
	p := fpdf.New("P", "mm", "A4", "")
	p.SetMargins(pdfMargin, pdfMargin, pdfMargin)
	p.SetAutoPageBreak(true, pdfMargin)
	p.SetCreator("Turno", true)
	p.SetAuthor(firstNonEmpty(is.RazonSocial, is.Name), true)
	p.SetTitle(fmt.Sprintf("%s N° %d", title, inv.Number), true)
	tr := p.UnicodeTranslatorFromDescriptor("")
	p.AddPage()
	font := func(style string, size float64) { p.SetFont("Helvetica", style, size) }
	line := func(w, h float64, s, align string) { p.CellFormat(w, h, tr(s), "", 1, align, false, 0, "") }

	// The issuer, left; the document's box (RUT, type, number), right.
	top := p.GetY()
	boxW := 70.0
	leftW := pdfWidth - boxW - 6
	font("B", 14)
	p.MultiCell(leftW, 6.5, tr(firstNonEmpty(is.RazonSocial, is.Name)), "", "L", false)
	font("", 9)
	if is.RazonSocial != "" && is.Name != "" && is.Name != is.RazonSocial {
		line(leftW, 4.5, is.Name, "L")
	}
	if is.RUT != "" {
		line(leftW, 4.5, "RUT: "+dottedRUT(is.RUT), "L")
	}
	if is.Giro != "" {
		p.MultiCell(leftW, 4.5, tr("Giro: "+is.Giro), "", "L", false)
	}
	if a := joinNonEmpty(", ", is.Address, is.Comuna, is.City); a != "" {
		p.MultiCell(leftW, 4.5, tr(a), "", "L", false)
	}
	if c := joinNonEmpty(" · ", is.Phone, is.Email, is.Website); c != "" {
		line(leftW, 4.5, c, "L")
	}
	leftBottom := p.GetY()

	p.SetXY(pdfMargin+pdfWidth-boxW, top)
	p.SetLineWidth(0.6)
	boxTop := p.GetY()
	font("B", 11)
	if is.RUT != "" {
		p.SetX(pdfMargin + pdfWidth - boxW)
		p.CellFormat(boxW, 7, tr("R.U.T.: "+dottedRUT(is.RUT)), "", 1, "C", false, 0, "")
	} else {
		p.Ln(2)
	}
	p.SetX(pdfMargin + pdfWidth - boxW)
	font("B", 13)
	p.CellFormat(boxW, 7, tr(strings.ToUpper(title)), "", 1, "C", false, 0, "")
	p.SetX(pdfMargin + pdfWidth - boxW)
	p.CellFormat(boxW, 7, tr(fmt.Sprintf("N° %d", inv.Number)), "", 1, "C", false, 0, "")
	if inv.Document == DocNotaDeCobro {
		p.SetX(pdfMargin + pdfWidth - boxW)
		font("", 8)
		p.CellFormat(boxW, 5, tr("Documento no tributario"), "", 1, "C", false, 0, "")
	}
	p.Ln(1)
	p.Rect(pdfMargin+pdfWidth-boxW, boxTop, boxW, p.GetY()-boxTop, "D")
	p.SetLineWidth(0.2)
	p.SetY(max(leftBottom, p.GetY()) + 4)

	// Dates and terms.
	font("", 9.5)
	kv := func(x, w float64, k, v string) {
		p.SetX(x)
		font("B", 9.5)
		kw := p.GetStringWidth(tr(k)) + 2
		p.CellFormat(kw, 5.5, tr(k), "", 0, "L", false, 0, "")
		font("", 9.5)
		p.CellFormat(w-kw, 5.5, tr(v), "", 0, "L", false, 0, "")
	}
	half := pdfWidth / 2
	kv(pdfMargin, half, "Fecha de emisión:", spanishDate(inv.IssueDate))
	kv(pdfMargin+half, half, "Fecha de vencimiento:", spanishDate(inv.DueDate))
	p.Ln(5.5)
	kv(pdfMargin, half, "Período:", periodLabel(inv.Period, "es"))
	kv(pdfMargin+half, half, "Condición de pago:", terms(inv.IssueDate, inv.DueDate))
	p.Ln(8.5)

	// The client, as its billing data were when the document was issued.
	b := inv.Billing
	cy := p.GetY()
	p.SetFillColor(242, 242, 242)
	font("B", 9.5)
	p.CellFormat(pdfWidth, 6, tr("  Cliente"), "", 1, "L", true, 0, "")
	p.Ln(1)
	kv(pdfMargin+2, pdfWidth-2, "Razón social:", b.RazonSocial)
	p.Ln(5.5)
	kv(pdfMargin+2, half-2, taxIDLabel(b.TaxCountry)+":", displayTaxID(b))
	kv(pdfMargin+half, half, "Giro:", b.Giro)
	p.Ln(5.5)
	kv(pdfMargin+2, half-2, "Dirección:", b.Domicilio)
	kv(pdfMargin+half, half, "Comuna:", joinNonEmpty(", ", b.Comuna, b.Ciudad))
	p.Ln(6.5)
	p.Rect(pdfMargin, cy, pdfWidth, p.GetY()-cy, "D")
	p.Ln(5)

	// The lines.
	cols := []float64{20, pdfWidth - 20 - 34 - 34, 34, 34}
	font("B", 9.5)
	for i, h := range []string{"Cant.", "Descripción", "Precio unitario", "Monto"} {
		align := "R"
		if i == 1 {
			align = "L"
		}
		p.CellFormat(cols[i], 6.5, tr(h), "TB", 0, align, true, 0, "")
	}
	p.Ln(-1)
	font("", 9.5)
	var net, exempt int64
	for _, l := range lines {
		mark := ""
		if l.Exempt {
			mark = tr(" (exento)")
			exempt += l.Amount
		} else {
			net += l.Amount
		}
		p.CellFormat(cols[0], 6, strconv.FormatInt(l.Quantity, 10), "", 0, "R", false, 0, "")
		p.CellFormat(cols[1], 6, "  "+fit(p, tr(l.Description), cols[1]-4-p.GetStringWidth(mark))+mark, "", 0, "L", false, 0, "")
		p.CellFormat(cols[2], 6, money(l.UnitPrice), "", 0, "R", false, 0, "")
		p.CellFormat(cols[3], 6, money(l.Amount), "", 1, "R", false, 0, "")
	}
	p.Line(pdfMargin, p.GetY()+1, pdfMargin+pdfWidth, p.GetY()+1)
	p.Ln(3)

	// Totals: a taxed part (net and IVA) and an exempt part, each shown
	// only when the document has it; an exempt document reads as exempt.
	total := func(k, v string, bold bool) {
		style := ""
		if bold {
			style = "B"
		}
		font(style, 10)
		p.CellFormat(pdfWidth-40, 6, tr(k), "", 0, "R", false, 0, "")
		p.CellFormat(40, 6, v, "", 1, "R", false, 0, "")
	}
	if net > 0 || exempt == 0 {
		total("Monto neto", money(net), false)
	}
	if exempt > 0 {
		total("Monto exento", money(exempt), false)
	}
	if net > 0 || exempt == 0 {
		total(fmt.Sprintf("IVA (%d%%)", is.IVAPercent), money(inv.Tax), false)
	}
	total("Total a pagar", money(inv.Total), true)
	if exempt > 0 && net == 0 {
		font("I", 8.5)
		line(pdfWidth, 5, "Operación exenta de IVA.", "R")
	}
	p.Ln(4)

	// How to pay.
	font("B", 10.5)
	line(pdfWidth, 6, "Cómo pagar", "L")
	font("", 9.5)
	if is.PaymentInstructions != "" {
		p.MultiCell(pdfWidth, 5, tr(is.PaymentInstructions), "", "L", false)
	}
	if bk := is.Bank; bk != nil {
		p.Ln(1)
		kv(pdfMargin, half, "Banco:", bk.Bank)
		kv(pdfMargin+half, half, "Tipo de cuenta:", bk.AccountTypeLabel())
		p.Ln(5.5)
		kv(pdfMargin, half, "N° de cuenta:", bk.AccountNumber)
		kv(pdfMargin+half, half, "RUT del titular:", dottedRUT(bk.HolderRUT))
		p.Ln(5.5)
		kv(pdfMargin, pdfWidth, "Titular:", bk.Holder)
		p.Ln(5.5)
		if bk.ReceiptsTo != "" {
			kv(pdfMargin, pdfWidth, "Envíe el comprobante a:", bk.ReceiptsTo)
			p.Ln(5.5)
		}
		kv(pdfMargin, pdfWidth, "Indique en la transferencia:", fmt.Sprintf("%s N° %d", title, inv.Number))
		p.Ln(5.5)
	}
	if is.PayURL != "" {
		kv(pdfMargin, pdfWidth, "Pague en línea:", is.PayURL)
		p.Ln(5.5)
	}
	if is.PortalURL != "" {
		kv(pdfMargin, pdfWidth, "Portal de clientes:", is.PortalURL)
		p.Ln(5.5)
	}

	if inv.Document == DocNotaDeCobro {
		p.Ln(4)
		p.SetDrawColor(120, 120, 120)
		font("B", 9)
		p.MultiCell(pdfWidth, 5.5, tr(NotTaxDocument), "1", "C", false)
	}
	var buf bytes.Buffer
	if err := p.Output(&buf); err != nil {
		return nil, fmt.Errorf("render %s %d PDF: %w", title, inv.Number, err)
	}
	return buf.Bytes(), nil
}

// terms are the payment terms: "Contado" when due on the issue date, else
// "Crédito a N días".
func terms(issue, due string) string {
	i, err1 := time.Parse(time.DateOnly, issue)
	d, err2 := time.Parse(time.DateOnly, due)
	if err1 != nil || err2 != nil {
		return ""
	}
	days := int(d.Sub(i).Hours() / 24)
	if days <= 0 {
		return "Contado"
	}
	if days == 1 {
		return "Crédito a 1 día"
	}
	return fmt.Sprintf("Crédito a %d días", days)
}

// fit shortens s (already cp1252) with "…" until it fits in w.
func fit(p *fpdf.Fpdf, s string, w float64) string {
	if p.GetStringWidth(s) <= w {
		return s
	}
	ell := "\x85" // "…" in cp1252
	r := []byte(s)
	for len(r) > 0 && p.GetStringWidth(string(r)+ell) > w {
		r = r[:len(r)-1]
	}
	return strings.TrimRight(string(r), " ,") + ell
}

func joinNonEmpty(sep string, parts ...string) string {
	var out []string
	for _, s := range parts {
		if strings.TrimSpace(s) != "" {
			out = append(out, strings.TrimSpace(s))
		}
	}
	return strings.Join(out, sep)
}

// money is "$1.234.567".
func money(n int64) string { return templates.Money(n) }

// shortDate is "05-06-2026", as Chilean documents write dates.
func shortDate(s string) string {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return s
	}
	return t.Format("02-01-2006")
}

// spanishDate formats a YYYY-MM-DD business date in Spanish.
func spanishDate(s string) string {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return s
	}
	return templates.Date("es", t)
}

func thousandthsUF(n int64) string {
	return strings.TrimRight(strings.TrimRight(fmt.Sprintf("%d,%03d", n/1000, n%1000), "0"), ",")
}

func taxIDLabel(country string) string {
	switch country {
	case "AR":
		return "CUIT"
	case "CO":
		return "NIT"
	case "EC":
		return "RUC"
	case "MX":
		return "RFC"
	}
	return "RUT"
}
