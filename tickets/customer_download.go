package tickets

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"

	"turno/mailin/parse"
)

// RawOpener reads raw bytes back by their hash (mailin.RawStore).
type RawOpener interface {
	Open(ctx context.Context, hash string) (io.ReadCloser, int64, error)
}

// maxDownload bounds a file read back for a customer.
const maxDownload = 50 << 20

// ClientFile is file fi of message mi (its index among ClientThread's
// messages) of the client's ticket n, with its bytes: a file the customer
// sent, by mail or through the portal (an agent's reply keeps only its
// files' names). The bytes come from the message's raw reference: the
// MIME message, whose attachment with the recorded SHA-256 is the file,
// or the file itself (a portal payment report's receipt). Another
// client's ticket, a message or file that is not there, or bytes no
// longer kept (retention) are ErrNotFound.
func (s *Service) ClientFile(ctx context.Context, raw RawOpener, clientID string, n int64, mi, fi int) (*Attach, []byte, error) {
	if _, err := s.clientTicket(ctx, clientID, n); err != nil {
		return nil, nil, err
	}
	_, msgs, err := s.Show(ctx, n)
	if err != nil {
		return nil, nil, err
	}
	var pub []Message
	for _, m := range msgs {
		if public(m) {
			pub = append(pub, m)
		}
	}
	notFound := fmt.Errorf("ticket %d file %d/%d: %w", n, mi, fi, ErrNotFound)
	if mi < 0 || mi >= len(pub) || fi < 0 || fi >= len(pub[mi].Attachments) {
		return nil, nil, notFound
	}
	m := pub[mi]
	want := m.Attachments[fi]
	if m.Direction != DirIn || m.RawRef == "" || m.RawRef == "portal" || want.SHA256 == "" {
		return nil, nil, notFound
	}
	rc, _, err := raw.Open(ctx, m.RawRef)
	if err != nil {
		s.log.Warn("tickets: a customer's file's raw message", "ticket", n, "err", err)
		return nil, nil, notFound
	}
	defer rc.Close()
	if m.RawRef == want.SHA256 { // the raw bytes are the file
		b, err := io.ReadAll(io.LimitReader(rc, maxDownload+1))
		if err != nil || len(b) > maxDownload || sha(b) != want.SHA256 {
			return nil, nil, notFound
		}
		return &want, b, nil
	}
	var data []byte
	_, err = parse.Parse(rc, &parse.Options{Attachment: func(a *parse.Attachment, content io.Reader) error {
		if data != nil {
			return nil
		}
		b, err := io.ReadAll(io.LimitReader(content, maxDownload+1))
		if err == nil && len(b) <= maxDownload && sha(b) == want.SHA256 {
			data = b
		}
		return nil
	}})
	if err != nil || data == nil {
		return nil, nil, notFound
	}
	return &want, data, nil
}

func sha(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}
