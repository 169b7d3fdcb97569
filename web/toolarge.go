package web

import (
	"io"
	"net/http"
	"strings"
)

// A multipart form whose body is over Options.MaxForm (a file too big)
// cannot have its CSRF token read: the token is a field of the body. It
// used to get the generic 403 page. With Options.TooLarge set, such a
// request that passed the cross-origin check (Sec-Fetch-Site / Origin) is
// handed to TooLarge instead, when it carries a session (forms with
// files are behind login; without one it is still 403), which answers the
// form again with an error beside the file field and changes nothing. That is safe without the
// token: CSRF protection guards state changes, and none happens; the page
// a cross-site form would get back is unreadable to that site (no CORS),
// and the session cookie is SameSite=Lax, so a cross-site POST carries no
// session anyway.
//
// Too large is known before reading when Content-Length says so (browsers
// send it for forms). The rest of the body is then read and discarded up
// to drainLimit, so the browser, still uploading, gets the page rather
// than a reset connection; a body beyond that has its connection closed.

const drainLimit = 64 << 20

// tooLarge answers an over-size multipart form through Options.TooLarge
// and reports whether it did.
func (s *Site) tooLarge(w http.ResponseWriter, r *http.Request, body io.Reader) bool {
	if s.opts.TooLarge == nil || r.ContentLength <= s.opts.MaxForm ||
		!strings.HasPrefix(r.Header.Get("Content-Type"), "multipart/form-data") {
		return false
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(body, drainLimit))
	s.opts.Logger.Info("web: form over the size limit", "surface", s.opts.Surface, "path", r.URL.Path,
		"bytes", r.ContentLength, "limit", s.opts.MaxForm)
	s.opts.TooLarge(w, r)
	return true
}

// MaxForm is the bound of a form's body.
func (s *Site) MaxForm() int64 { return s.opts.MaxForm }
