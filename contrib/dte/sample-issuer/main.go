// Command sample-issuer is an example DTE issuer for Turno's billing.dte
// hook, for trying the hook out and for tests: it does not talk to the SII.
// A real one hands the invoice to the provider's DTE system (signing with
// the provider's certificate and a folio from its CAF) and answers the same.
//
// Protocol: Turno runs the command with the invoice as JSON on standard
// input (billing.DTEInvoice: idempotency_key, dte_type, issuer, receiver,
// lines, net, exempt, iva, total…) and reads one JSON answer on standard
// output:
//
//	{"status": "ok", "dte_type": 33, "folio": 1234, "pdf_base64": "…"}
//	{"status": "ok", "dte_type": 34, "folio": 1235, "pdf_path": "/var/lib/dte/1235.pdf"}
//	{"status": "refused", "message": "the receiver's RUT is not registered"}
//	{"status": "retry", "message": "SII unavailable"}
//
// A non-zero exit counts as "retry". The same idempotency key must always
// get the same folio: Turno asks again after a crash.
//
// This one keeps its folios in a JSON state file (-state), one per key,
// numbered from -first-folio, under an exclusive lock, and writes a small
// PDF. For tests, -retry-first N answers "retry" to the first N calls of
// each key, and -refuse-rut refuses documents for that receiver.
//
// Usage in turno.toml:
//
//	[billing.dte]
//	command = "/usr/local/bin/sample-issuer"
//	args = ["-state", "/var/lib/turno/dte-state.json"]
package main

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"syscall"

	"github.com/go-pdf/fpdf"
)

type invoice struct {
	IdempotencyKey string `json:"idempotency_key"`
	InvoiceID      string `json:"invoice_id"`
	Number         int64  `json:"number"`
	DTEType        int    `json:"dte_type"`
	IssueDate      string `json:"issue_date"`
	Issuer         *struct {
		RUT         string `json:"rut"`
		RazonSocial string `json:"razon_social"`
		Name        string `json:"name"`
	} `json:"issuer"`
	Receiver struct {
		RUT         string `json:"rut"`
		RazonSocial string `json:"razon_social"`
		Giro        string `json:"giro"`
		Address     string `json:"address"`
		Comuna      string `json:"comuna"`
	} `json:"receiver"`
	Lines []struct {
		Description string `json:"description"`
		Quantity    int64  `json:"quantity"`
		UnitPrice   int64  `json:"unit_price"`
		Amount      int64  `json:"amount"`
		Exempt      bool   `json:"exempt"`
	} `json:"lines"`
	Net    int64 `json:"net"`
	Exempt int64 `json:"exempt"`
	IVA    int64 `json:"iva"`
	Total  int64 `json:"total"`
}

type answer struct {
	Status    string `json:"status"`
	DTEType   int    `json:"dte_type,omitempty"`
	Folio     int64  `json:"folio,omitempty"`
	PDFPath   string `json:"pdf_path,omitempty"`
	PDFBase64 string `json:"pdf_base64,omitempty"`
	Message   string `json:"message,omitempty"`
}

// State is the state file: the next folio and every key seen.
type State struct {
	NextFolio int64             `json:"next_folio"`
	Keys      map[string]*Issue `json:"keys"`
}

// Issue is what one idempotency key got.
type Issue struct {
	InvoiceID string `json:"invoice_id"`
	Calls     int    `json:"calls"`
	Folio     int64  `json:"folio,omitempty"`
	DTEType   int    `json:"dte_type,omitempty"`
	Refused   string `json:"refused,omitempty"`
}

func main() {
	statePath := flag.String("state", "", "the state file (required)")
	pdfDir := flag.String("pdf-dir", "", "write the PDFs here and answer pdf_path (default: pdf_base64)")
	firstFolio := flag.Int64("first-folio", 1, "the first folio handed out")
	retryFirst := flag.Int("retry-first", 0, "answer retry to the first N calls of each key")
	refuseRUT := flag.String("refuse-rut", "", "refuse documents for this receiver RUT")
	flag.Parse()
	if *statePath == "" {
		fail(errors.New("-state is required"))
	}
	var inv invoice
	if err := json.NewDecoder(os.Stdin).Decode(&inv); err != nil {
		fail(fmt.Errorf("read the invoice: %w", err))
	}
	if inv.IdempotencyKey == "" {
		fail(errors.New("the invoice has no idempotency_key"))
	}
	unlock, err := lock(*statePath + ".lock")
	if err != nil {
		fail(err)
	}
	defer unlock()
	st, err := load(*statePath, *firstFolio)
	if err != nil {
		fail(err)
	}
	is := st.Keys[inv.IdempotencyKey]
	if is == nil {
		is = &Issue{InvoiceID: inv.InvoiceID}
		st.Keys[inv.IdempotencyKey] = is
	}
	is.Calls++
	var ans answer
	switch {
	case is.Folio != 0: // asked again: the same folio
		ans = answer{Status: "ok", DTEType: is.DTEType, Folio: is.Folio}
	case *refuseRUT != "" && inv.Receiver.RUT == *refuseRUT:
		is.Refused = "receptor " + inv.Receiver.RUT + " no autorizado"
		ans = answer{Status: "refused", Message: is.Refused}
	case is.Calls <= *retryFirst:
		ans = answer{Status: "retry", Message: "SII no disponible (simulado)"}
	default:
		is.Folio, is.DTEType = st.NextFolio, inv.DTEType
		st.NextFolio++
		ans = answer{Status: "ok", DTEType: is.DTEType, Folio: is.Folio}
	}
	if err := save(*statePath, st); err != nil {
		fail(err)
	}
	if ans.Status == "ok" {
		pdf, err := render(inv, ans.Folio, ans.DTEType)
		if err != nil {
			fail(err)
		}
		if *pdfDir != "" {
			ans.PDFPath = filepath.Join(*pdfDir, "dte-"+strconv.FormatInt(ans.Folio, 10)+".pdf")
			if err := os.WriteFile(ans.PDFPath, pdf, 0o644); err != nil {
				fail(err)
			}
		} else {
			ans.PDFBase64 = base64.StdEncoding.EncodeToString(pdf)
		}
	}
	if err := json.NewEncoder(os.Stdout).Encode(ans); err != nil {
		fail(err)
	}
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "sample-issuer:", err)
	os.Exit(1)
}

func lock(path string) (func(), error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, err
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
		f.Close()
		return nil, err
	}
	return func() { f.Close() }, nil
}

func load(path string, first int64) (*State, error) {
	st := &State{NextFolio: first, Keys: map[string]*Issue{}}
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return st, nil
	}
	if err != nil {
		return nil, err
	}
	if err := json.Unmarshal(b, st); err != nil {
		return nil, fmt.Errorf("state file %s: %w", path, err)
	}
	if st.Keys == nil {
		st.Keys = map[string]*Issue{}
	}
	return st, nil
}

// save writes the state file whole, then renames it into place.
func save(path string, st *State) error {
	b, err := json.MarshalIndent(st, "", "  ")
	if err != nil {
		return err
	}
	tmp := path + ".tmp"
	f, err := os.Create(tmp)
	if err != nil {
		return err
	}
	if _, err := f.Write(b); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

// render draws a one-page sample tax document.
func render(inv invoice, folio int64, typ int) ([]byte, error) {
	title := "FACTURA ELECTRÓNICA"
	if typ == 34 {
		title = "FACTURA NO AFECTA O EXENTA ELECTRÓNICA"
	}
	p := fpdf.New("P", "mm", "A4", "")
	tr := p.UnicodeTranslatorFromDescriptor("")
	p.AddPage()
	p.SetFont("Helvetica", "B", 13)
	if inv.Issuer != nil {
		p.CellFormat(0, 7, tr(inv.Issuer.RazonSocial+"  RUT "+inv.Issuer.RUT), "", 1, "L", false, 0, "")
	}
	p.CellFormat(0, 8, tr(fmt.Sprintf("%s N° %d", title, folio)), "", 1, "L", false, 0, "")
	p.SetFont("Helvetica", "", 10)
	p.CellFormat(0, 6, tr("Receptor: "+inv.Receiver.RazonSocial+"  RUT "+inv.Receiver.RUT), "", 1, "L", false, 0, "")
	p.CellFormat(0, 6, tr("Giro: "+inv.Receiver.Giro+"  "+inv.Receiver.Address+", "+inv.Receiver.Comuna), "", 1, "L", false, 0, "")
	p.CellFormat(0, 6, tr(fmt.Sprintf("Fecha: %s  Referencia: documento N° %d", inv.IssueDate, inv.Number)), "", 1, "L", false, 0, "")
	for _, l := range inv.Lines {
		ex := ""
		if l.Exempt {
			ex = " (exento)"
		}
		p.CellFormat(0, 6, tr(fmt.Sprintf("%d x %s%s: $%d", l.Quantity, l.Description, ex, l.Amount)), "", 1, "L", false, 0, "")
	}
	p.CellFormat(0, 6, tr(fmt.Sprintf("Neto $%d  Exento $%d  IVA $%d  Total $%d", inv.Net, inv.Exempt, inv.IVA, inv.Total)), "", 1, "L", false, 0, "")
	p.SetFont("Helvetica", "I", 9)
	p.CellFormat(0, 6, tr("Documento de ejemplo (contrib/dte/sample-issuer): sin validez tributaria."), "", 1, "L", false, 0, "")
	var buf bytes.Buffer
	if err := p.Output(&buf); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
