package tickets

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"mime"
	"mime/multipart"
	"net/textproto"

	"turno/mailin/parse"
)

// customerMIME is the request as the mail it stands for: multipart/mixed,
// the text then each file as a base64 attachment. It is a function of the
// request alone (the boundary comes from the client and nonce, no Date),
// so a resubmission stores the same bytes under the same hash.
func customerMIME(r CustomerRequest, m *parse.Message) []byte {
	h := sha256.Sum256([]byte(r.ClientID + "\x00" + r.Nonce + "\x00boundary"))
	boundary := "turno-" + hex.EncodeToString(h[:12])
	var b bytes.Buffer
	from := m.From.Address
	if m.From.Name != "" {
		from = mime.QEncoding.Encode("utf-8", m.From.Name) + " <" + from + ">"
	}
	fmt.Fprintf(&b, "Message-ID: <%s>\r\nFrom: %s\r\nSubject: %s\r\n", m.MessageID, from, mime.QEncoding.Encode("utf-8", m.Subject))
	if m.InReplyTo != "" {
		fmt.Fprintf(&b, "In-Reply-To: <%s>\r\n", m.InReplyTo)
	}
	fmt.Fprintf(&b, "MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=%q\r\n\r\n", boundary)
	w := multipart.NewWriter(&b)
	_ = w.SetBoundary(boundary) // a valid boundary: letters, digits and '-'
	part := func(h textproto.MIMEHeader, data []byte) {
		h.Set("Content-Transfer-Encoding", "base64")
		pw, _ := w.CreatePart(h) // writes to a bytes.Buffer: no error
		enc := base64.StdEncoding.EncodeToString(data)
		for len(enc) > 76 {
			_, _ = pw.Write([]byte(enc[:76] + "\r\n"))
			enc = enc[76:]
		}
		_, _ = pw.Write([]byte(enc + "\r\n"))
	}
	part(textproto.MIMEHeader{"Content-Type": {"text/plain; charset=utf-8"}}, []byte(m.Text))
	for _, f := range r.Files {
		part(textproto.MIMEHeader{
			"Content-Type":        {f.ContentType},
			"Content-Disposition": {mime.FormatMediaType("attachment", map[string]string{"filename": f.Filename})},
		}, f.Data)
	}
	_ = w.Close()
	return b.Bytes()
}

// storeFiles, for a request with files, stores its MIME message in
// r.Store once by hash, adds the files' metadata to m and returns the raw
// reference; "portal" for a request without files.
func (s *Service) storeFiles(ctx context.Context, r CustomerRequest, m *parse.Message) (string, error) {
	if len(r.Files) == 0 {
		return "portal", nil
	}
	if r.Store == nil {
		return "", errors.New("customer request: files but no file store")
	}
	for _, f := range r.Files {
		sum := sha256.Sum256(f.Data)
		m.Attachments = append(m.Attachments, parse.Attachment{Filename: f.Filename, ContentType: f.ContentType,
			Size: int64(len(f.Data)), SHA256: hex.EncodeToString(sum[:])})
	}
	raw := customerMIME(r, m)
	sum := sha256.Sum256(raw)
	ref := hex.EncodeToString(sum[:])
	if _, err := r.Store.Put(ctx, ref, int64(len(raw)), bytes.NewReader(raw), s.clk.Now()); err != nil {
		return "", failed("store the request's files", err)
	}
	return ref, nil
}

// seenRequest completes and returns the message a request with this
// nonce already made (nil: none): one nonce is one message, whatever was
// sent the second time.
func (s *Service) seenRequest(ctx context.Context, m *parse.Message) (*Result, error) {
	key, err := DedupKey(m, "")
	if err != nil {
		return nil, err
	}
	old, err := s.findMessage(ctx, key)
	if err != nil || old == nil {
		return nil, err
	}
	res, err := s.complete(ctx, old, true)
	if err != nil {
		return nil, err
	}
	return &res, nil
}
