package console

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"mime"
	"net/http"
	"strconv"

	"turno/mailin/parse"
	"turno/tickets"
)

// maxFileBytes bounds one attachment served (the intake keeps larger
// ones out of tickets anyway).
const maxFileBytes = 50 << 20

// file serves attachment i of message m (its index in the thread) of
// ticket n: the ticket is read through tickets.Service with the agent as
// the actor (another department's is a 404), the bytes come back from the
// raw message store by the message's raw reference, found by the
// attachment's SHA-256 (by position when it has none). Always a download:
// Content-Disposition attachment, application/octet-stream, nosniff.
func (c *Console) file(w http.ResponseWriter, r *http.Request) {
	n, ok := ticketNumber(r)
	mi, err1 := strconv.Atoi(r.PathValue("m"))
	fi, err2 := strconv.Atoi(r.PathValue("i"))
	if !ok || err1 != nil || err2 != nil || mi < 0 || fi < 0 {
		c.Site.Error(w, r, http.StatusNotFound)
		return
	}
	th, ok := c.threadOr404(w, r, n, "attachment")
	if !ok {
		return
	}
	if mi >= len(th.Messages) || fi >= len(th.Messages[mi].Attachments) || !downloadable(th.Messages[mi]) {
		c.Site.Error(w, r, http.StatusNotFound)
		return
	}
	m := th.Messages[mi]
	want := m.Attachments[fi]
	rc, _, err := c.raw.Open(r.Context(), m.RawRef)
	if err != nil {
		c.log.Warn("console: attachment's raw message", "ticket", n, "raw", m.RawRef, "err", err)
		c.Site.Error(w, r, http.StatusNotFound)
		return
	}
	defer rc.Close()
	var data []byte
	found, idx := false, 0
	_, err = parse.Parse(rc, &parse.Options{Attachment: func(a *parse.Attachment, content io.Reader) error {
		at := idx
		idx++
		if found {
			return nil
		}
		b, err := io.ReadAll(io.LimitReader(content, maxFileBytes+1))
		if err != nil || len(b) > maxFileBytes {
			return nil
		}
		sum := sha256.Sum256(b)
		if (want.SHA256 != "" && hex.EncodeToString(sum[:]) == want.SHA256) || (want.SHA256 == "" && at == fi) {
			data, found = b, true
		}
		return nil
	}})
	if err != nil || !found {
		c.log.Warn("console: attachment not in its raw message", "ticket", n, "file", want.Filename, "err", err)
		c.Site.Error(w, r, http.StatusNotFound)
		return
	}
	name := want.Filename
	if name == "" {
		name = "adjunto"
	}
	h := w.Header()
	h.Set("Content-Type", "application/octet-stream")
	h.Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": name}))
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Security-Policy", "default-src 'none'; sandbox")
	h.Set("Cache-Control", "private, no-store")
	h.Set("Content-Length", strconv.Itoa(len(data)))
	c.log.Info("console: attachment", "agent", agentOf(r).Email, "ticket", n, "file", name)
	_, _ = w.Write(data)
}

// downloadable: the message's bytes are in the raw store (customer mail;
// an agent's reply keeps only its files' metadata).
func downloadable(m tickets.Message) bool {
	return m.Direction == tickets.DirIn && m.RawRef != ""
}

// threadOr404 reads ticket n as the request's agent sees it, answering
// 404 when the agent does not see it and 500 (logged as what) on a store
// error; ok says whether the caller goes on.
func (c *Console) threadOr404(w http.ResponseWriter, r *http.Request, n int64, what string) (*tickets.Thread, bool) {
	th, err := c.o.Tickets.Get(r.Context(), agentOf(r).Actor(), n)
	if errors.Is(err, tickets.ErrNotFound) {
		c.Site.Error(w, r, http.StatusNotFound)
		return nil, false
	}
	if err != nil {
		c.internal(w, r, what, err)
		return nil, false
	}
	return th, true
}
