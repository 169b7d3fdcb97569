package web

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"testing/fstest"
)

func TestServeAssets(t *testing.T) {
	fsys := fstest.MapFS{"turno.css": {Data: []byte("body{margin:0}")}, "app.js": {Data: []byte("// js")}}
	h := ServeAssets("/portal/static/", fsys)
	get := func(method, target string, hdr map[string]string) *httptest.ResponseRecorder {
		r := httptest.NewRequest(method, target, nil)
		for k, v := range hdr {
			r.Header.Set(k, v)
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		return w
	}
	w := get("GET", "/portal/static/turno.css", map[string]string{"Range": "bytes=0-1,2-3,4-5"})
	if w.Code != 200 || w.Body.String() != "body{margin:0}" || !strings.HasPrefix(w.Header().Get("Content-Type"), "text/css") ||
		w.Header().Get("X-Content-Type-Options") != "nosniff" {
		t.Fatalf("css: %d %q %v", w.Code, w.Body.String(), w.Header())
	}
	if w := get("GET", "/portal/static/app.js", nil); w.Code != 200 || !strings.Contains(w.Header().Get("Content-Type"), "javascript") {
		t.Fatalf("js: %d %v", w.Code, w.Header())
	}
	if w := get("HEAD", "/portal/static/turno.css", nil); w.Code != 200 || w.Body.Len() != 0 {
		t.Fatalf("head: %d %q", w.Code, w.Body.String())
	}
	for _, p := range []string{"/portal/static/", "/portal/static/missing.css", "/portal/static/../static/turno.css",
		"/portal/static/turno", "/other/turno.css"} {
		if w := get("GET", p, nil); w.Code != http.StatusNotFound {
			t.Errorf("GET %s: %d, want 404", p, w.Code)
		}
	}
	if w := get("POST", "/portal/static/turno.css", nil); w.Code != http.StatusMethodNotAllowed {
		t.Errorf("POST: %d, want 405", w.Code)
	}
}
