package api

import (
	"context"
	"net/http"

	"github.com/danielgtaylor/huma/v2"

	"turno/billing"
	"turno/scheduler"
)

type paymentInput struct {
	Body struct {
		Invoices  []int64 `json:"invoices" minItems:"1" doc:"Invoice numbers the payment covers (oldest paid first)"`
		Amount    int64   `json:"amount" minimum:"1" doc:"Whole pesos"`
		Method    string  `json:"method" minLength:"1" doc:"e.g. webpay, transfer"`
		Reference string  `json:"reference" minLength:"1" doc:"The gateway's or bank's operation number: the same reference records one payment"`
		Date      string  `json:"date" format:"date" doc:"YYYY-MM-DD"`
	}
}

type paymentOutput struct {
	Body billing.Payment
}

func (s *Server) registerPayments() {
	op := huma.Operation{
		OperationID: "recordPayment",
		Method:      http.MethodPost,
		Path:        Prefix + "/payments",
		Tags:        []string{"payments"},
		Summary:     "Record a payment (gateways)",
		Description: "For payment gateways and the customer portal: applies the payment to the invoices, oldest first, and " +
			"mails the confirmation. Retrying with the same reference records one payment; the same reference with another " +
			"amount or other invoices is 409 conflict. Takes billing.api_token or a " +
			"gateway token; agent tokens are refused. The old path POST /api/payments still works.",
		Security:     []map[string][]string{{"paymentsToken": {}}},
		Errors:       []int{http.StatusBadRequest, http.StatusUnauthorized, http.StatusConflict, http.StatusTooManyRequests, http.StatusServiceUnavailable},
		Middlewares:  huma.Middlewares{s.paymentsAuth},
		MaxBodyBytes: MaxBody,
	}
	huma.Register(s.api, op, s.pay)
}

func (s *Server) pay(ctx context.Context, in *paymentInput) (*paymentOutput, error) {
	if s.opts.Billing == nil || !s.opts.Billing.Wired() {
		return nil, newErr(http.StatusServiceUnavailable, CodeUnavailable, "", "payments are not available: billing is not wired")
	}
	d, err := scheduler.ParseDate(in.Body.Date)
	if err != nil {
		return nil, newErr(http.StatusBadRequest, CodeBadRequest, "date", "must be YYYY-MM-DD")
	}
	p, err := s.opts.Billing.Pay(ctx, billing.PaymentRequest{Numbers: in.Body.Invoices, Amount: in.Body.Amount,
		Method: in.Body.Method, Reference: in.Body.Reference, Date: d})
	if err != nil {
		e := s.fail("payment", err).(*Error)
		if e.Status == http.StatusInternalServerError {
			e.Body.Message = "payment not completed; retry with the same reference"
		}
		return nil, e
	}
	return &paymentOutput{Body: *p}, nil
}
