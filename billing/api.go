package billing

import (
	"crypto/subtle"
	"encoding/json"
	"errors"
	"net/http"
	"strings"

	"turno/scheduler"
)

// PaymentsHandler is POST /api/payments for payment gateways and the
// customer portal: {"invoices":[12,13],"amount":45990,"method":"webpay",
// "reference":"OP-991","date":"2026-06-10"}, authenticated by
// "Authorization: Bearer <token>" compared in constant time. The reference
// is required here (it makes a gateway's retry harmless). Answers 200 with
// the payment, 400 for a bad request (nothing changed), 401 without the
// token, 500 otherwise (retry with the same reference).
func (s *Service) PaymentsHandler(token string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		if token == "" || !ok || subtle.ConstantTimeCompare([]byte(got), []byte(token)) != 1 {
			w.Header().Set("WWW-Authenticate", `Bearer realm="turno"`)
			writeJSON(w, http.StatusUnauthorized, map[string]string{"error": "missing or wrong bearer token"})
			return
		}
		var body struct {
			PaymentRequest
			Date string `json:"date"`
		}
		dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, 64<<10))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&body); err != nil {
			writeJSON(w, http.StatusBadRequest, map[string]string{"error": "bad JSON: " + err.Error()})
			return
		}
		d, err := scheduler.ParseDate(body.Date)
		if err != nil || strings.TrimSpace(body.Reference) == "" {
			writeJSON(w, http.StatusBadRequest, map[string]string{"error": "date (YYYY-MM-DD) and reference are required"})
			return
		}
		req := body.PaymentRequest
		req.Date = d
		p, err := s.Pay(r.Context(), req)
		var ie *InputError
		switch {
		case errors.As(err, &ie):
			writeJSON(w, http.StatusBadRequest, map[string]string{"error": ie.Msg})
		case err != nil:
			s.opts.Logger.Error("payment failed", "reference", req.Reference, "err", err)
			writeJSON(w, http.StatusInternalServerError, map[string]string{"error": "payment not completed; retry with the same reference"})
		default:
			writeJSON(w, http.StatusOK, p)
		}
	})
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v)
}
