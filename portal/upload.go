package portal

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"

	"turno/tickets"
)

// MaxUpload bounds a file a customer uploads (a payment receipt).
const MaxUpload = 5 << 20

// maxForm bounds a portal form's body: a ticket's files at their total
// limit (tickets.MaxCustomerFilesTotal, 10 MB) and the rest of the form,
// with room so that files somewhat over a limit still get their own
// error; a body over it gets the form again with an error beside the
// file field (tooLarge), never a generic refusal.
const maxForm = 12 << 20

// Upload errors: message keys shown beside the file field.
var (
	errUploadType = errors.New("upload.error.type")
	errUploadSize = errors.New("upload.error.size")
	errUploadRead = errors.New("upload.error.read")
)

// upload is a file a customer sent, checked by its content.
type upload struct {
	Name, ContentType, SHA256 string
	Data                      []byte
}

// uploadTypes are the files a receipt may be, by sniffed content type,
// with the extension the stored name gets.
var uploadTypes = map[string]string{"application/pdf": ".pdf", "image/jpeg": ".jpg", "image/png": ".png"}

// readUpload reads the file of form field name: nil without one; an error
// (errUpload…) when it is too big, empty, or not a PDF, JPEG or PNG by its
// bytes, whatever its name or the type the browser claimed.
func readUpload(r *http.Request, field string) (*upload, error) {
	f, h, err := r.FormFile(field)
	if errors.Is(err, http.ErrMissingFile) {
		return nil, nil
	}
	if err != nil {
		return nil, errUploadRead
	}
	defer f.Close()
	if h.Size == 0 && h.Filename == "" {
		return nil, nil // the browser's empty file part: nothing chosen
	}
	data, err := io.ReadAll(io.LimitReader(f, MaxUpload+1))
	if err != nil {
		return nil, errUploadRead
	}
	if len(data) > MaxUpload {
		return nil, errUploadSize
	}
	ct, _, _ := strings.Cut(http.DetectContentType(data), ";")
	ext, ok := uploadTypes[ct]
	if len(data) == 0 || !ok {
		return nil, errUploadType
	}
	sum := sha256.Sum256(data)
	return &upload{Name: safeName(h.Filename, ext), ContentType: ct, SHA256: hex.EncodeToString(sum[:]), Data: data}, nil
}

// safeName is the uploaded name reduced as tickets keeps customers'
// files' names (comprobante.pdf.html that is a PNG becomes
// comprobante.pdf.png).
func safeName(name, ext string) string { return tickets.CustomerFilename(name, ext, "comprobante") }

// storeUpload keeps the file's bytes in the raw store once per SHA-256
// (the intake's store: a second upload of the same file stores nothing)
// and returns the receipt that points at them.
func (p *Portal) storeUpload(r *http.Request, u *upload) (*tickets.Receipt, error) {
	if _, err := p.raw.Put(r.Context(), u.SHA256, int64(len(u.Data)), bytes.NewReader(u.Data), p.Site.Clock().Now()); err != nil {
		return nil, err
	}
	return &tickets.Receipt{Filename: u.Name, ContentType: u.ContentType, Size: int64(len(u.Data)), SHA256: u.SHA256, Ref: u.SHA256}, nil
}

// serveStored writes a stored file as a download: its checked type,
// Content-Disposition attachment (the browser never renders it here), and
// nosniff (set by the site's headers).
func (p *Portal) serveStored(w http.ResponseWriter, r *http.Request, rc *tickets.Receipt) {
	body, size, err := p.raw.Open(r.Context(), rc.Ref)
	if err != nil {
		p.internal(w, r, "open stored file", err)
		return
	}
	defer body.Close()
	ct := rc.ContentType
	if _, ok := uploadTypes[ct]; !ok {
		ct = "application/octet-stream"
	}
	ext := uploadTypes[ct]
	w.Header().Set("Content-Type", ct)
	w.Header().Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": safeName(rc.Filename, ext)}))
	if size > 0 {
		w.Header().Set("Content-Length", strconv.FormatInt(size, 10))
	}
	_, _ = io.Copy(w, body)
}
