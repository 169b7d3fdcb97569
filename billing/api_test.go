package billing

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestPaymentsEndpoint(t *testing.T) {
	f := oneInvoice(t)
	const token = "s3cret-token-for-tests"
	srv := httptest.NewServer(f.svc.PaymentsHandler(token))
	defer srv.Close()
	post := func(auth, body string) int {
		req, _ := http.NewRequest(http.MethodPost, srv.URL, strings.NewReader(body))
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res.StatusCode
	}
	ok := `{"invoices":[1],"amount":45990,"method":"webpay","reference":"WP-77","date":"2026-06-10"}`
	for _, tc := range []struct {
		auth, body string
		want       int
	}{
		{"", ok, 401},
		{"Bearer wrong-token-of-same-size!", ok, 401},
		{"Bearer " + token, `{"invoices":[1],"amount":99999,"method":"webpay","reference":"WP-1","date":"2026-06-10"}`, 400},
		{"Bearer " + token, `{"invoices":[1],"amount":1,"method":"webpay","date":"2026-06-10"}`, 400}, // no reference
		{"Bearer " + token, ok, 200},
		{"Bearer " + token, ok, 200}, // the gateway retries: same payment
	} {
		if got := post(tc.auth, tc.body); got != tc.want {
			t.Errorf("auth %q body %s: %d, want %d", tc.auth, tc.body, got, tc.want)
		}
	}
	if n := len(f.box.withPrefix("payment:")); n != 1 {
		t.Fatalf("%d confirmations, want 1", n)
	}
}
