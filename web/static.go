package web

import (
	"io/fs"
	"mime"
	"net/http"
	"path"
	"strings"
)

// ServeAssets serves the files of fsys under prefix: a GET or HEAD of an
// exact file name, with its type by extension, nosniff and an hour of
// caching. It writes the bytes itself rather than through
// http.FileServer: assets are a few small embedded files, so nothing needs
// ranges, directory listings or index files, and net/http's Range parsing
// (GO-2026-6609 in go1.26.8) stays off the request path.
func ServeAssets(prefix string, fsys fs.FS) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		name, ok := strings.CutPrefix(r.URL.Path, prefix)
		if !ok || name == "" || path.Ext(name) == "" || strings.Contains(name, "..") || !fs.ValidPath(name) {
			http.NotFound(w, r)
			return
		}
		b, err := fs.ReadFile(fsys, name)
		if err != nil {
			http.NotFound(w, r)
			return
		}
		ct := mime.TypeByExtension(path.Ext(name))
		if ct == "" {
			ct = "application/octet-stream"
		}
		h := w.Header()
		h.Set("Content-Type", ct)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Cache-Control", "public, max-age=3600")
		if r.Method == http.MethodHead {
			return
		}
		_, _ = w.Write(b)
	})
}
