package api_test

import (
	"encoding/json"
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
