package api

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"turno/mailin/parse/payreport"
	"turno/tickets"
)

// POST /api/v1/portal/payment-reports: the portal's "Reportar pago" as
// JSON, through tickets.OpenPaymentReport. The receipt, when sent, is
// checked by its bytes (PDF, JPEG or PNG, up to 5 MB, as the portal's)
// and kept once by its SHA-256 in Options.Raw.

type portalPayReportInput struct {
	Key  string `header:"Idempotency-Key" maxLength:"200" doc:"The same key opens one report"`
	Body struct {
		Invoices  []int64       `json:"invoices" minItems:"1" maxItems:"50" doc:"Numbers of the client's unpaid documents paid"`
		Amount    int64         `json:"amount" minimum:"1" doc:"Whole pesos"`
		Method    string        `json:"method" enum:"transferencia,deposito,webpay,efectivo,cheque,mercadopago,tenpo,mach"`
		Bank      string        `json:"bank,omitempty" maxLength:"60"`
		Date      string        `json:"date" format:"date" doc:"The day paid, YYYY-MM-DD"`
		Operation string        `json:"operation,omitempty" maxLength:"60" doc:"The bank's operation number"`
		Receipt   *attachmentIn `json:"receipt,omitempty" doc:"The proof of payment, base64: a PDF, JPEG or PNG by its bytes, up to 5 MB (else 400, field receipt); content_type is ignored"`
	}
}

type portalPayReportOutput struct {
	Body struct {
		Ticket int64 `json:"ticket" doc:"The ticket holding the report, in the payments department"`
	}
}

func (s *Server) registerPortalPayReports() {
	op := s.portalOp("portalPaymentReport", http.MethodPost, "/payment-reports", "Report a payment")
	op.Description = "Opens a ticket in the payments department holding the report, for an agent to confirm. " +
		"The documents must be the client's unpaid ones (else 400, field invoices)."
	op.DefaultStatus = http.StatusCreated
	op.MaxBodyBytes = MaxReplyBody
	huma.Register(s.api, op, s.portalPayReport)
}

func (s *Server) portalPayReport(ctx context.Context, in *portalPayReportInput) (*portalPayReportOutput, error) {
	c, err := s.portalClient(ctx)
	if err != nil {
		return nil, err
	}
	b := in.Body
	r := payreport.Report{Invoices: b.Invoices, Amount: &b.Amount, Method: &b.Method, Date: &b.Date}
	if b.Bank != "" {
		r.Bank = &b.Bank
	}
	if b.Operation != "" {
		r.Operation = &b.Operation
	}
	receipt, err := s.storeReceipt(ctx, b.Receipt)
	if err != nil {
		return nil, err
	}
	doc, err := s.opts.Tickets.OpenPaymentReport(ctx, tickets.PortalCustomer{ClientID: c.ID, From: c.Email, Name: c.Name,
		Nonce: nonceOr(in.Key)}, r, receipt)
	if err != nil {
		return nil, s.fail("payment report", err)
	}
	s.log.Info("api: portal payment reported", "client", c.ID, "ticket", doc.Ticket, "amount", b.Amount)
	out := &portalPayReportOutput{}
	out.Body.Ticket = doc.Ticket
	return out, nil
}

// maxReceipt bounds a receipt (the portal's MaxUpload).
const maxReceipt = 5 << 20

// storeReceipt checks a receipt by its bytes and keeps it once by hash;
// nil without one.
func (s *Server) storeReceipt(ctx context.Context, f *attachmentIn) (*tickets.Receipt, error) {
	if f == nil {
		return nil, nil
	}
	if s.opts.Raw == nil {
		return nil, newErr(http.StatusServiceUnavailable, CodeUnavailable, "", "no file store: receipts are not taken here")
	}
	if len(f.Data) == 0 || len(f.Data) > maxReceipt {
		return nil, newErr(http.StatusBadRequest, CodeBadRequest, "receipt", "the receipt must have 1 byte to 5 MB")
	}
	ct := tickets.SniffFile(f.Filename, f.Data)
	if ct != "application/pdf" && ct != "image/jpeg" && ct != "image/png" {
		return nil, newErr(http.StatusBadRequest, CodeBadRequest, "receipt", "the receipt must be a PDF, JPEG or PNG")
	}
	sum := sha256.Sum256(f.Data)
	hash := hex.EncodeToString(sum[:])
	if _, err := s.opts.Raw.Put(ctx, hash, int64(len(f.Data)), bytes.NewReader(f.Data), time.Now()); err != nil {
		return nil, s.fail("store receipt", err)
	}
	return &tickets.Receipt{Filename: tickets.CustomerFilename(f.Filename, tickets.FileExt(ct), "comprobante"),
		ContentType: ct, Size: int64(len(f.Data)), SHA256: hash, Ref: hash}, nil
}
