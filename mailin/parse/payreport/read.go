package payreport

import (
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"turno/mailin/parse"
)

// Report is what a payment report says. Every field is nil when the mail
// does not say it; Invoices are the invoice numbers the text names (not
// the ones it may pay: matching is the caller's business).
type Report struct {
	Amount    *int64  `json:"amount" bson:"amount,omitempty"` // whole pesos
	Date      *string `json:"date" bson:"date,omitempty"`     // YYYY-MM-DD
	Operation *string `json:"operation" bson:"operation,omitempty"`
	Bank      *string `json:"bank" bson:"bank,omitempty"`
	Method    *string `json:"method" bson:"method,omitempty"`
	Invoices  []int64 `json:"invoices" bson:"invoices,omitempty"`
}

// Methods Read reports.
const (
	MethodTransfer    = "transferencia"
	MethodDeposit     = "deposito"
	MethodWebpay      = "webpay"
	MethodCash        = "efectivo"
	MethodCheque      = "cheque"
	MethodMercadoPago = "mercadopago"
	MethodTenpo       = "tenpo"
	MethodMach        = "mach"
)

// Input is the part of a mail Read looks at.
type Input struct {
	// From is the sender as written (name and address): a bank's own
	// notice names the bank there.
	From    string
	Subject string
	Text    string // the customer's words and anything forwarded inline
	Quoted  string // quoted history (an Outlook forward lands here)
	// Attachments are the attachments' file names.
	Attachments []string
}

// FromMessage is the Input of a parsed mail.
func FromMessage(m *parse.Message) Input {
	in := Input{Subject: m.Subject, Text: m.Text, Quoted: m.Quoted}
	if m.From != nil {
		in.From = m.From.Name + " <" + m.From.Address + ">"
	}
	for _, a := range m.Attachments {
		in.Attachments = append(in.Attachments, a.Filename)
	}
	return in
}

// Read returns the payment report in the mail, or nil when the mail is not
// one (see the package doc for the evidence rule).
func Read(in Input) *Report {
	lines := readable(strings.Split(fold(in.From+"\n"+in.Subject+"\n"+in.Text+"\n"+in.Quoted), "\n"))
	amount := findAmount(lines)
	if amount == nil {
		return nil
	}
	op := findOperation(lines)
	if op == nil && !paidPhrase.MatchString(strings.Join(lines, "\n")) && !receiptAttached(in.Attachments) {
		return nil
	}
	return &Report{Amount: amount, Date: findDate(lines), Operation: op, Bank: findBank(lines),
		Method: findMethod(lines), Invoices: findInvoices(lines)}
}

// readable drops what the customer did not write or forward: lines
// quoted with '>' (usually the provider's own note being answered) and
// reply attributions ("El mar, 31 mar 2026 … escribió:").
func readable(lines []string) []string {
	out := lines[:0]
	for _, l := range lines {
		t := strings.TrimSpace(l)
		if strings.HasPrefix(t, ">") || attributionLine.MatchString(t) {
			continue
		}
		out = append(out, l)
	}
	return out
}

var attributionLine = regexp.MustCompile(`(escribio|wrote|ha escrito)\s*:$`)

// fold lower-cases s and takes the accents off, so patterns are plain
// ASCII; ordinal signs become °, non-breaking spaces spaces.
func fold(s string) string {
	return folder.Replace(strings.ToLower(s))
}

var folder = strings.NewReplacer("á", "a", "é", "e", "í", "i", "ó", "o", "ú", "u", "ü", "u", "ñ", "n",
	"º", "°", "\u00a0", " ", "\u202f", " ", "\t", " ", "\r", "")

const num = `(\d{1,3}(?:\.\d{3})+|\d+)(?:,\d{1,2})?`

var (
	// A number with a money sign before or after it.
	signedAmount = regexp.MustCompile(`(us)?(?:\$|\bclp\s*\$?)\s*` + num + `|\b` + num + `\s*(?:pesos\b|clp\b)`)
	// A bare number right after a label of the amount.
	labelledAmount = regexp.MustCompile(`\b(?:monto|importe|total|valor|abono|cantidad|suma)` +
		`(?:\s+(?:transferido|depositado|pagado|abonado|cargado|a pagar|de la transferencia|del pago|del deposito|de la operacion|del abono))?` +
		`\s*:?\s*\$?\s*` + num)
	// Lines where an amount is what was paid, and lines where it is not.
	paidLine  = regexp.MustCompile(`\b(monto|importe|total|transferid|depositad|pagad|abonad|valor)`)
	otherLine = regexp.MustCompile(`\b(saldo|comision|cupo|limite|disponible|interes|cargo por|costo)`)
)

type candidate struct {
	v     int64
	score int
}

func findAmount(lines []string) *int64 {
	var best *candidate
	for _, l := range lines {
		if otherLine.MatchString(l) {
			continue
		}
		score := 0
		if paidLine.MatchString(l) {
			score = 2
		}
		try := func(m []int, numAt int, bonus int) {
			if m[numAt] < 0 {
				return
			}
			end := m[1]
			if notAnAmount(l, end) {
				return
			}
			v, ok := pesos(l[m[numAt]:m[numAt+1]])
			if !ok {
				return
			}
			if c := (candidate{v, score + bonus}); best == nil || c.score > best.score {
				best = &c
			}
		}
		for _, m := range signedAmount.FindAllStringSubmatchIndex(l, -1) {
			if m[2] >= 0 { // US$
				continue
			}
			if m[4] >= 0 {
				try(m, 4, 1)
			} else {
				try(m, 6, 1)
			}
		}
		for _, m := range labelledAmount.FindAllStringSubmatchIndex(l, -1) {
			try(m, 2, 0)
		}
	}
	if best == nil {
		return nil
	}
	return &best.v
}

// notAnAmount: what follows the number makes it a RUT (-5, -k), a date
// (/03, -03-) or part of a longer token.
func notAnAmount(l string, end int) bool {
	rest := l[end:]
	if strings.HasPrefix(rest, ".-") || strings.HasPrefix(rest, "-.-") {
		return false
	}
	if len(rest) >= 2 && (rest[0] == '-' || rest[0] == '/') {
		c := rest[1]
		return c >= '0' && c <= '9' || c == 'k'
	}
	return len(rest) > 0 && (rest[0] >= 'a' && rest[0] <= 'z' || rest[0] == '/')
}

// pesos reads "45.990" or "45990" as whole pesos (1 to 10^10).
func pesos(s string) (int64, bool) {
	s = strings.ReplaceAll(s, ".", "")
	if len(s) > 11 {
		return 0, false
	}
	v, err := strconv.ParseInt(s, 10, 64)
	if err != nil || v <= 0 || v > 1e10 {
		return 0, false
	}
	return v, true
}

var (
	dmy       = regexp.MustCompile(`\b(\d{1,2})[/.-](\d{1,2})[/.-](\d{4}|\d{2})\b`)
	ymd       = regexp.MustCompile(`\b(\d{4})-(\d{1,2})-(\d{1,2})\b`)
	longDate  = regexp.MustCompile(`\b(\d{1,2})(?:\s+de\s+|\s+|-)(ene|feb|mar|abr|may|jun|jul|ago|sep|set|oct|nov|dic)[a-z]*\.?(?:\s+de\s+|\s+del\s+|\s+|-|,\s*)(\d{4})\b`)
	dateLine  = regexp.MustCompile(`\bfecha\b`)
	notPaidOn = regexp.MustCompile(`\b(vencimiento|vence|emision|emitida|periodo|nacimiento)\b`)
	months    = map[string]int{"ene": 1, "feb": 2, "mar": 3, "abr": 4, "may": 5, "jun": 6, "jul": 7, "ago": 8, "sep": 9, "set": 9, "oct": 10, "nov": 11, "dic": 12}
)

func findDate(lines []string) *string {
	var best string
	bestScore := -1
	for _, l := range lines {
		if notPaidOn.MatchString(l) {
			continue
		}
		score := 0
		if dateLine.MatchString(l) {
			score = 1
		}
		if score <= bestScore {
			continue
		}
		if d := dateIn(l); d != "" {
			best, bestScore = d, score
		}
	}
	if best == "" {
		return nil
	}
	return &best
}

// dateIn is the first valid date in l, as YYYY-MM-DD.
func dateIn(l string) string {
	type found struct {
		at      int
		y, m, d int
	}
	var all []found
	atoi := func(s string) int { n, _ := strconv.Atoi(s); return n }
	for _, m := range dmy.FindAllStringSubmatchIndex(l, -1) {
		y := atoi(l[m[6]:m[7]])
		if y < 100 {
			y += 2000
		}
		all = append(all, found{m[0], y, atoi(l[m[4]:m[5]]), atoi(l[m[2]:m[3]])})
	}
	for _, m := range ymd.FindAllStringSubmatchIndex(l, -1) {
		all = append(all, found{m[0], atoi(l[m[2]:m[3]]), atoi(l[m[4]:m[5]]), atoi(l[m[6]:m[7]])})
	}
	for _, m := range longDate.FindAllStringSubmatchIndex(l, -1) {
		all = append(all, found{m[0], atoi(l[m[6]:m[7]]), months[l[m[4]:m[5]]], atoi(l[m[2]:m[3]])})
	}
	slices.SortFunc(all, func(a, b found) int { return a.at - b.at })
	for _, f := range all {
		if f.y < 2000 || f.y > 2100 || f.m < 1 || f.m > 12 || f.d < 1 {
			continue
		}
		t := time.Date(f.y, time.Month(f.m), f.d, 0, 0, 0, 0, time.UTC)
		if t.Day() != f.d {
			continue
		}
		return t.Format(time.DateOnly)
	}
	return ""
}

var (
	opLabel = regexp.MustCompile(`(?:\b(?:n°|no\.|nro\.?|num\.?|numero)\s*(?:de\s+(?:la\s+)?)?(?:operacion|transaccion|transferencia|comprobante|referencia|orden)` +
		`|\b(?:codigo|id|identificador|folio)\s*(?:de\s+(?:la\s+)?)?(?:operacion|transaccion|transferencia|autorizacion|comprobante)(?:\s+en\s+[a-z]+(?:\s+[a-z]+)?)?` +
		`|\b(?:comprobante|operacion|transaccion|transferencia)\s*(?:n°|nro\.?|numero|#))` +
		`[\s:#=.]*(?:n°\s*)?([a-z0-9][a-z0-9-]{2,30})`)
	// "operación 5512": the word alone before a number of 4 digits or more.
	bareOp  = regexp.MustCompile(`\boperacion\s*:?\s+(\d[\d-]{3,30})\b`)
	digits3 = regexp.MustCompile(`\d.*\d.*\d`)
)

func findOperation(lines []string) *string {
	for _, l := range lines {
		for _, m := range opLabel.FindAllStringSubmatch(l, -1) {
			v := strings.Trim(m[1], "-")
			if digits3.MatchString(v) {
				v = strings.ToUpper(v)
				return &v
			}
		}
	}
	for _, l := range lines {
		if m := bareOp.FindStringSubmatch(l); m != nil {
			return &m[1]
		}
	}
	return nil
}

var banks = []struct {
	name string
	re   *regexp.Regexp
}{
	{"BancoEstado", regexp.MustCompile(`banco\s*estado|banco del estado|\bcuenta\s*rut\b`)},
	{"Banco de Chile", regexp.MustCompile(`banco de chile|\bbanco chile\b|bancochile|banco edwards|\bbanchile\b`)},
	{"Santander", regexp.MustCompile(`\bsantander\b`)},
	{"BCI", regexp.MustCompile(`\bbci\b|banco de credito e inversiones`)},
	{"Scotiabank", regexp.MustCompile(`\bscotiabank\b|\bscotia\b`)},
	{"Itaú", regexp.MustCompile(`\bitau\b|\bcorpbanca\b`)},
	{"BICE", regexp.MustCompile(`\bbice\b`)},
	{"Security", regexp.MustCompile(`banco\s*security`)},
	{"Falabella", regexp.MustCompile(`banco\s*falabella|\bfalabella\b`)},
	{"Ripley", regexp.MustCompile(`banco\s*ripley|\bripley\b`)},
	{"Consorcio", regexp.MustCompile(`banco\s*consorcio`)},
	{"Internacional", regexp.MustCompile(`banco\s*internacional`)},
	{"Coopeuch", regexp.MustCompile(`\bcoopeuch\b`)},
}

var (
	originLine = regexp.MustCompile(`\b(origen|desde|cargo|ordenante|remitente)\b`)
	destLine   = regexp.MustCompile(`\b(destino|destinatario|beneficiario|abono a|hacia|receptor)\b`)
)

// findBank: the bank the customer paid from. A mention on an origin line
// wins, one on a destination line (the provider's account) comes last.
func findBank(lines []string) *string {
	var best string
	bestScore := -1
	for _, l := range lines {
		score := 1
		switch {
		case originLine.MatchString(l):
			score = 2
		case destLine.MatchString(l):
			score = 0
		}
		if score <= bestScore {
			continue
		}
		at := -1
		for _, b := range banks {
			if loc := b.re.FindStringIndex(l); loc != nil && (at < 0 || loc[0] < at) {
				at, best = loc[0], b.name
			}
		}
		if at >= 0 {
			bestScore = score
		}
	}
	if best == "" {
		return nil
	}
	return &best
}

var (
	wallets = []struct {
		name string
		re   *regexp.Regexp
	}{
		{MethodMercadoPago, regexp.MustCompile(`mercado\s*pago`)},
		{MethodTenpo, regexp.MustCompile(`\btenpo\b`)},
		{MethodMach, regexp.MustCompile(`\bmach\b|somosmach`)},
		{MethodWebpay, regexp.MustCompile(`\bweb\s*pay\b|\bwebpay\s*plus\b|\bonepay\b`)},
	}
	plainMethods = regexp.MustCompile(`\b(transferencia|transferi|transferimos|transferido|deposito|deposite|depositamos|depositado|efectivo|cheque)`)
	methodOf     = map[string]string{"transferencia": MethodTransfer, "transferi": MethodTransfer, "transferimos": MethodTransfer,
		"transferido": MethodTransfer, "deposito": MethodDeposit, "deposite": MethodDeposit, "depositamos": MethodDeposit,
		"depositado": MethodDeposit, "efectivo": MethodCash, "cheque": MethodCheque}
)

// findMethod: a wallet or Webpay when named, else the first of transfer,
// deposit, cash or cheque the text names.
func findMethod(lines []string) *string {
	all := strings.Join(lines, "\n")
	for _, w := range wallets {
		if w.re.MatchString(all) {
			return &w.name
		}
	}
	if m := plainMethods.FindStringSubmatch(all); m != nil {
		v := methodOf[m[1]]
		return &v
	}
	return nil
}

var (
	invoiceRef = regexp.MustCompile(`\b(?:facturas?|notas? de cobro|boletas?|invoices?)(?:\s+electronicas?)?` +
		`\s*(?:n°s?\.?|nros?\.?|numeros?|#)?\s*:?\s*(\d{1,10}(?:\s*(?:,|\by\b|\be\b|/|&)\s*(?:n°\s*|#)?\d{1,10}\b)*)`)
	numberRe = regexp.MustCompile(`\d{1,10}`)
)

func findInvoices(lines []string) []int64 {
	var out []int64
	for _, l := range lines {
		for _, m := range invoiceRef.FindAllStringSubmatchIndex(l, -1) {
			end := m[1]
			if end < len(l) && (l[end] == '/' || l[end] == '-' || l[end] == '.' && end+1 < len(l) && l[end+1] >= '0' && l[end+1] <= '9') {
				continue // a date or a formatted amount, not a number
			}
			for _, d := range numberRe.FindAllString(l[m[2]:m[3]], -1) {
				n, _ := strconv.ParseInt(d, 10, 64)
				if n > 0 && !slices.Contains(out, n) {
					out = append(out, n)
				}
			}
		}
	}
	return out
}

var paidPhrase = regexp.MustCompile(`\b(transferi|transferimos|deposite|depositamos|pague|pagamos|cancele|cancelamos|abone|abonamos` +
	`|(?:realice|realizamos|realizo|hice|hicimos|efectue|efectuamos|efectuo)\s+(?:el|la|un|una|mi|nuestro|nuestra)\s+(?:pago|transferencia|deposito|abono)` +
	`|(?:pago|transferencia|deposito|abono|operacion)\s+(?:realizad[oa]|efectuad[oa]|exitos[oa]|aprobad[oa]|recibid[oa]|completad[oa]|procesad[oa])` +
	`|comprobante de (?:pago|transferencia|deposito)|adjunt[oa]\s+(?:el\s+|la\s+|mi\s+|nuestro\s+)?(?:comprobante|voucher|recibo)` +
	`|has realizado una|se ha realizado|te ha transferido|ha transferido|te transfirio|transferencia de fondos` +
	`|(?:informo|informar|informamos|reporto|reportar|reportamos|aviso)\s+(?:de\s+)?(?:el\s+|un\s+|mi\s+|nuestro\s+)?pago)`)

var receiptName = regexp.MustCompile(`comprobante|transferencia|transfer|voucher|recibo|receipt|deposito|pago`)

func receiptAttached(names []string) bool {
	for _, n := range names {
		if receiptName.MatchString(fold(n)) {
			return true
		}
	}
	return false
}
