package billing

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"time"
)

// DTEInvoice is what the issuer is handed for one invoice (JSON on the
// command's standard input, or the POST body). IdempotencyKey is the same
// every time Turno asks for this invoice's document: the issuer must
// answer the same folio for it.
type DTEInvoice struct {
	IdempotencyKey string         `json:"idempotency_key"`
	InvoiceID      string         `json:"invoice_id"`
	Number         int64          `json:"number"`   // Turno's document number
	Document       string         `json:"document"` // nota_de_cobro or factura
	DTEType        int            `json:"dte_type"` // 33, or 34 when all is exempt
	Trigger        string         `json:"trigger"`  // on_issue or on_payment
	IssueDate      string         `json:"issue_date"`
	DueDate        string         `json:"due_date"`
	Period         string         `json:"period"`
	Issuer         *Issuer        `json:"issuer,omitempty"`
	Receiver       DTEReceiver    `json:"receiver"`
	Lines          []DTELine      `json:"lines"`
	Net            int64          `json:"net"`    // taxed amount before IVA
	Exempt         int64          `json:"exempt"` // amount exempt from IVA
	IVA            int64          `json:"iva"`
	Total          int64          `json:"total"`
	Paid           int64          `json:"paid"`
	Extra          map[string]any `json:"extra,omitempty"`
}

// DTEReceiver is the client as its billing data were on the invoice.
type DTEReceiver struct {
	RUT         string `json:"rut"`
	TaxCountry  string `json:"tax_country,omitempty"`
	RazonSocial string `json:"razon_social"`
	Giro        string `json:"giro"`
	Address     string `json:"address"`
	Comuna      string `json:"comuna"`
	City        string `json:"city"`
	ClientID    string `json:"client_id"`
}

// DTELine is one line of the document in whole pesos.
type DTELine struct {
	Description string `json:"description"`
	Quantity    int64  `json:"quantity"`
	UnitPrice   int64  `json:"unit_price"`
	Amount      int64  `json:"amount"`
	Exempt      bool   `json:"exempt"`
	From        string `json:"from,omitempty"`
	To          string `json:"to,omitempty"`
}

// DTEAnswer is the issuer's answer. Status ok carries the type, the folio
// and the PDF (pdf_base64, or pdf_path: a file the command wrote);
// refused is permanent (message says why); retry is transient.
type DTEAnswer struct {
	Status    string `json:"status"`
	DTEType   int    `json:"dte_type"`
	Folio     int64  `json:"folio"`
	PDFPath   string `json:"pdf_path"`
	PDFBase64 string `json:"pdf_base64"`
	Message   string `json:"message"`
}

// maxDTEPDF bounds the tax document's size (it is stored and mailed).
const maxDTEPDF = 8 << 20

func dteRequestBody(inv *Invoice, r *DTERequest, when string) DTEInvoice {
	b := inv.Billing
	out := DTEInvoice{
		IdempotencyKey: r.Key, InvoiceID: inv.ID, Number: inv.Number, Document: inv.series(), DTEType: dteType(inv),
		Trigger: r.Trigger, IssueDate: inv.IssueDate, DueDate: inv.DueDate, Period: inv.Period, Issuer: inv.Issuer,
		Receiver: DTEReceiver{RUT: b.TaxID, TaxCountry: b.TaxCountry, RazonSocial: b.RazonSocial, Giro: b.Giro,
			Address: b.Domicilio, Comuna: b.Comuna, City: b.Ciudad, ClientID: inv.ClientID},
		Exempt: inv.ExemptPart(), IVA: inv.Tax, Total: inv.Total, Paid: inv.Paid,
	}
	out.Net = inv.Net - out.Exempt
	if out.Trigger == "" {
		out.Trigger = when
	}
	for _, l := range docLines(inv) {
		out.Lines = append(out.Lines, DTELine{Description: l.Description, Quantity: l.Quantity, UnitPrice: l.UnitPrice,
			Amount: l.Amount, Exempt: l.Exempt, From: l.From, To: l.To})
	}
	return out
}

// callIssuer asks the configured issuer (the command when set, else the
// URL). An error is transient: the request is tried again.
func (s *Service) callIssuer(ctx context.Context, req DTEInvoice) (*DTEAnswer, error) {
	body, err := json.Marshal(req)
	if err != nil {
		return nil, err
	}
	cfg := s.opts.Billing.DTE
	ctx, cancel := context.WithTimeout(ctx, cfg.Timeout.D())
	defer cancel()
	var out []byte
	if cfg.Command != "" {
		out, err = runIssuerCommand(ctx, cfg.Command, cfg.Args, body)
	} else {
		out, err = s.postIssuer(ctx, cfg.URL, cfg.Secret, req.IdempotencyKey, body)
	}
	if err != nil {
		return nil, err
	}
	var ans DTEAnswer
	if err := json.Unmarshal(out, &ans); err != nil {
		return nil, fmt.Errorf("the issuer's answer is not JSON (%v): %q", err, excerpt(out))
	}
	switch ans.Status {
	case "ok":
		if ans.Folio <= 0 {
			return nil, fmt.Errorf("the issuer answered ok without a folio")
		}
		if ans.DTEType != 0 && ans.DTEType != req.DTEType {
			return nil, fmt.Errorf("the issuer answered DTE type %d for a document of type %d", ans.DTEType, req.DTEType)
		}
	case "refused", "retry":
	default:
		return nil, fmt.Errorf("the issuer answered status %q (want ok, refused or retry)", ans.Status)
	}
	return &ans, nil
}

// document is the PDF the answer carries.
func (a *DTEAnswer) document() ([]byte, error) {
	var pdf []byte
	switch {
	case a.PDFBase64 != "":
		if base64.StdEncoding.DecodedLen(len(a.PDFBase64)) > maxDTEPDF {
			return nil, fmt.Errorf("the tax document is larger than %d bytes", maxDTEPDF)
		}
		b, err := base64.StdEncoding.DecodeString(a.PDFBase64)
		if err != nil {
			return nil, fmt.Errorf("the tax document's pdf_base64: %w", err)
		}
		pdf = b
	case a.PDFPath != "":
		f, err := os.Open(a.PDFPath)
		if err != nil {
			return nil, fmt.Errorf("the tax document's pdf_path: %w", err)
		}
		defer f.Close()
		b, err := io.ReadAll(io.LimitReader(f, maxDTEPDF+1))
		if err != nil {
			return nil, fmt.Errorf("read the tax document %s: %w", a.PDFPath, err)
		}
		if len(b) > maxDTEPDF {
			return nil, fmt.Errorf("the tax document %s is larger than %d bytes", a.PDFPath, maxDTEPDF)
		}
		pdf = b
	default:
		return nil, errors.New("the issuer answered ok without the tax document's PDF (pdf_path or pdf_base64)")
	}
	if !bytes.HasPrefix(pdf, []byte("%PDF-")) {
		return nil, errors.New("the tax document the issuer answered is not a PDF")
	}
	return pdf, nil
}

// runIssuerCommand runs the issuer with the invoice on stdin; a non-zero
// exit is a transient failure (with what it wrote to stderr).
func runIssuerCommand(ctx context.Context, command string, args []string, in []byte) ([]byte, error) {
	cmd := exec.CommandContext(ctx, command, args...)
	cmd.Stdin = bytes.NewReader(in)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	cmd.WaitDelay = 5 * time.Second
	if err := cmd.Run(); err != nil {
		if ctx.Err() != nil {
			return nil, fmt.Errorf("the issuer command did not answer in time: %w", ctx.Err())
		}
		return nil, fmt.Errorf("the issuer command failed: %v: %s", err, excerpt(stderr.Bytes()))
	}
	return stdout.Bytes(), nil
}

// postIssuer POSTs the invoice with the Bearer secret and the idempotency
// key; a 2xx answer or a 4xx with a JSON status is an answer, anything else
// is transient. The secret is never logged.
func (s *Service) postIssuer(ctx context.Context, url, secret, key string, body []byte) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Idempotency-Key", key)
	req.Header.Set("Authorization", "Bearer "+secret)
	resp, err := s.httpClient().Do(req)
	if err != nil {
		return nil, fmt.Errorf("the issuer URL: %w", err)
	}
	defer resp.Body.Close()
	out, err := io.ReadAll(io.LimitReader(resp.Body, 2*maxDTEPDF))
	if err != nil {
		return nil, fmt.Errorf("read the issuer's answer: %w", err)
	}
	switch {
	case resp.StatusCode >= 200 && resp.StatusCode < 300:
		return out, nil
	case resp.StatusCode >= 400 && resp.StatusCode < 500 && resp.StatusCode != 401 && resp.StatusCode != 403 &&
		resp.StatusCode != 408 && resp.StatusCode != 429 && json.Valid(out):
		return out, nil
	}
	return nil, fmt.Errorf("the issuer URL answered %s: %s", resp.Status, excerpt(out))
}

func (s *Service) httpClient() *http.Client {
	if s.opts.HTTPClient != nil {
		return s.opts.HTTPClient
	}
	return http.DefaultClient
}

// excerpt is the start of b, for an error message.
func excerpt(b []byte) string {
	t := strings.TrimSpace(string(b))
	if len(t) > 300 {
		t = t[:300] + "…"
	}
	return t
}
