package api_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/pb33f/libopenapi"
	validator "github.com/pb33f/libopenapi-validator"
)

// route is one operation of the OpenAPI document.
type route struct {
	method, path, id string
	security         string
}

// routes reads the served document: every test that must cover every
// route iterates over it, so a new route cannot be forgotten.
func (e *env) routes() ([]route, []byte) {
	e.t.Helper()
	r := e.do("GET", "/api/v1/openapi.json", "", nil)
	if r.code != 200 {
		e.t.Fatalf("openapi.json: %d %s", r.code, r.body)
	}
	var doc struct {
		OpenAPI string `json:"openapi"`
		Paths   map[string]map[string]struct {
			OperationID string                `json:"operationId"`
			Tags        []string              `json:"tags"`
			Security    []map[string][]string `json:"security"`
		} `json:"paths"`
	}
	r.json(e.t, &doc)
	var out []route
	for p, ops := range doc.Paths {
		for m, o := range ops {
			if o.OperationID == "" || len(o.Tags) == 0 || len(o.Security) != 1 {
				e.t.Errorf("%s %s: operation ID %q, tags %v, security %v", m, p, o.OperationID, o.Tags, o.Security)
			}
			sec := ""
			for k := range o.Security[0] {
				sec = k
			}
			out = append(out, route{method: strings.ToUpper(m), path: p, id: o.OperationID, security: sec})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].path+out[i].method < out[j].path+out[j].method })
	return out, r.body
}

var pathParam = regexp.MustCompile(`\{[^}]+\}`)

// concrete fills a path's parameters.
func concrete(p string) string {
	return pathParam.ReplaceAllStringFunc(p, func(s string) string {
		if s == "{name}" {
			return "saludo"
		}
		return "100000"
	})
}

// The document lists every route the issue asks for, validates as OpenAPI
// 3.1, and every route in it is served (an authenticated route answers
// 401, not the mux's 404 or 405).
func TestOpenAPIDocument(t *testing.T) {
	e := newEnv(t)
	routes, body := e.routes()
	want := []string{
		"GET /api/v1/tickets", "GET /api/v1/tickets/{number}",
		"POST /api/v1/tickets/{number}/replies", "POST /api/v1/tickets/{number}/notes",
		"POST /api/v1/tickets/{number}/assign", "POST /api/v1/tickets/{number}/status",
		"POST /api/v1/tickets/{number}/priority", "POST /api/v1/tickets/{number}/department",
		"POST /api/v1/tickets/{number}/merge", "POST /api/v1/tickets/{number}/link",
		"GET /api/v1/agents/me", "GET /api/v1/agents",
		"GET /api/v1/replies", "GET /api/v1/replies/{name}",
		"POST /api/v1/payments",
		"POST /api/v1/tickets/{number}/held/{key}/release",
		"POST /api/v1/tickets/{number}/payment/confirm", "POST /api/v1/tickets/{number}/payment/reject",
		"GET /api/v1/portal/me", "PUT /api/v1/portal/me", "GET /api/v1/portal/invoices",
		"GET /api/v1/portal/invoices/{number}/pdf", "GET /api/v1/portal/tickets", "POST /api/v1/portal/tickets",
		"GET /api/v1/portal/tickets/{number}", "POST /api/v1/portal/tickets/{number}/replies",
		"GET /api/v1/portal/tickets/{number}/messages/{message}/files/{file}",
		"POST /api/v1/portal/payment-reports",
	}
	have := map[string]bool{}
	for _, r := range routes {
		have[r.method+" "+r.path] = true
	}
	for _, w := range want {
		if !have[w] {
			t.Errorf("the document lacks %s", w)
		}
	}
	if len(routes) != len(want) {
		t.Errorf("the document has %d routes, the test knows %d: add the new ones to want", len(routes), len(want))
	}

	var head struct {
		OpenAPI string `json:"openapi"`
	}
	if err := json.Unmarshal(body, &head); err != nil || head.OpenAPI != "3.1.0" {
		t.Fatalf("openapi %q (%v)", head.OpenAPI, err)
	}
	doc, err := libopenapi.NewDocument(body)
	if err != nil {
		t.Fatal(err)
	}
	v, errs := validator.NewValidator(doc)
	if len(errs) > 0 {
		t.Fatalf("validator: %v", errs)
	}
	if ok, verrs := v.ValidateDocument(); !ok {
		for _, ve := range verrs {
			t.Errorf("OpenAPI 3.1: %s: %s", ve.Message, ve.Reason)
		}
	}
	// The error shape is the document's own.
	if !strings.Contains(string(body), `"idempotency_key_reused"`) {
		t.Error("the error schema does not list its codes")
	}
	for _, r := range routes {
		if got := e.do(r.method, concrete(r.path), "", nil); got.code != http.StatusUnauthorized {
			t.Errorf("%s %s is in the document but answers %d", r.method, r.path, got.code)
		}
	}
}

// Real responses (successes and errors) match the document's schemas.
func TestResponsesMatchTheDocument(t *testing.T) {
	e := newEnv(t)
	_, body := e.routes()
	doc, err := libopenapi.NewDocument(body)
	if err != nil {
		t.Fatal(err)
	}
	v, errs := validator.NewValidator(doc)
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	res := e.mail("Pedro <pedro@gmail.com>", "Ayuda", "")
	p := fmt.Sprintf("/api/v1/tickets/%d", res.Ticket)
	check := func(method, path, token string, body any, hdr ...string) {
		t.Helper()
		var rd io.Reader
		if body != nil {
			j, _ := json.Marshal(body)
			rd = bytes.NewReader(j)
		}
		req, _ := http.NewRequest(method, e.base+path, rd)
		if rd != nil {
			req.Header.Set("Content-Type", "application/json")
		}
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		for i := 0; i+1 < len(hdr); i += 2 {
			req.Header.Set(hdr[i], hdr[i+1])
		}
		r, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(r.Body)
		r.Body.Close()
		r.Body = io.NopCloser(bytes.NewReader(b))
		if rd != nil {
			j, _ := json.Marshal(body)
			req.Body = io.NopCloser(bytes.NewReader(j))
		}
		req.URL.Host, req.URL.Scheme = "", ""
		if ok, verrs := v.ValidateHttpResponse(req, r); !ok {
			for _, ve := range verrs {
				t.Errorf("%s %s → %d: %s: %s %v", method, path, r.StatusCode, ve.Message, ve.Reason, ve.SchemaValidationErrors)
			}
		}
	}
	check("GET", "/api/v1/tickets", e.ana, nil)
	check("GET", p, e.ana, nil)
	check("POST", p+"/replies", e.ana, map[string]any{"text": "Hola", "answers": res.Key, "status": "pending"}, "Idempotency-Key", "v-1")
	check("POST", p+"/replies", e.ana, map[string]any{"text": "Hola", "answers": res.Key, "status": "pending"}, "Idempotency-Key", "v-1")
	check("POST", p+"/notes", e.ana, map[string]any{"text": "nota"}, "Idempotency-Key", "v-2")
	check("POST", p+"/status", e.ana, map[string]any{"status": "solved"})
	check("GET", p, e.ana, nil)
	check("GET", "/api/v1/agents/me", e.ana, nil)
	check("GET", "/api/v1/agents", e.ana, nil)
	check("GET", "/api/v1/replies", e.ana, nil)
	check("GET", p, e.beto, nil)
	check("GET", p, "", nil)
	check("POST", p+"/notes", e.ana, map[string]any{"txt": "x"}, "Idempotency-Key", "v-3")
}
