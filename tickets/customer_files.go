package tickets

import (
	"archive/zip"
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"path"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Files a customer attaches to a portal ticket or reply. They are checked
// by their bytes (never by the name or the type a browser claims) against
// an allow-list, bounded in number and size, and stored the way the intake
// stores mail: the request becomes one MIME message (its text and the
// files as attachments), kept once by the SHA-256 of its bytes in the raw
// store and named by the ticket message's raw_ref. So everything that
// reads a mail's attachments (the console's downloads, retention's
// raw_mail pruning) reads a portal message's the same way, and the
// customer downloads theirs through ClientFile.

// Bounds of a customer's files.
const (
	MaxCustomerFiles      = 5
	MaxCustomerFile       = 5 << 20  // bytes of one file
	MaxCustomerFilesTotal = 10 << 20 // bytes of all the files of one request
)

// CustomerFile is one file a customer attaches. ContentType and Filename
// are normalised by the check (the sniffed type; a safe name ending in its
// extension).
type CustomerFile struct {
	Filename, ContentType string
	Data                  []byte
}

// FileStore keeps raw bytes once by their SHA-256 (mailin.RawStore).
type FileStore interface {
	Put(ctx context.Context, hash string, size int64, r io.Reader, now time.Time) (created bool, err error)
}

// FileError is a refused file: Code "count", "size", "total", "type" or
// "empty", File the name it was sent under. It unwraps to an *InputError
// on field "files".
type FileError struct {
	Code, File string
}

func (e *FileError) Error() string { return e.Unwrap().Error() }

// Unwrap is the InputError the API and other callers show.
func (e *FileError) Unwrap() error {
	msg := map[string]string{
		"count": fmt.Sprintf("at most %d files", MaxCustomerFiles),
		"size":  fmt.Sprintf("%q is over %d MB", e.File, MaxCustomerFile>>20),
		"total": fmt.Sprintf("the files add up to more than %d MB", MaxCustomerFilesTotal>>20),
		"type":  fmt.Sprintf("%q is not a PDF, image (PNG, JPEG, GIF), text, CSV or office document (DOCX, XLSX, ODT)", e.File),
		"empty": fmt.Sprintf("%q is empty", e.File),
	}[e.Code]
	return &InputError{Field: "files", Msg: msg}
}

// fileTypes are the types a customer's file may be, with their extension.
var fileTypes = map[string]string{
	"application/pdf": ".pdf", "image/png": ".png", "image/jpeg": ".jpg", "image/gif": ".gif",
	"text/plain": ".txt", "text/csv": ".csv",
	"application/vnd.openxmlformats-officedocument.wordprocessingml.document": ".docx",
	"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet":       ".xlsx",
	"application/vnd.oasis.opendocument.text":                                 ".odt",
}

// FileExt is the extension a checked type is stored under ("" if none).
func FileExt(contentType string) string { return fileTypes[contentType] }

// FileTypes are the types a customer's file may be served as, sorted,
// with application/octet-stream for one that is none of them.
func FileTypes() []string {
	out := []string{"application/octet-stream"}
	for ct := range fileTypes {
		out = append(out, ct)
	}
	slices.Sort(out)
	return out
}

// DownloadAs is how a customer's file is served for download: its type
// judged by its bytes (application/octet-stream when it is none the
// portal takes; a mailed file may be anything) and a cleaned name with
// that type's extension ("adjunto" when nothing is left of the name).
func DownloadAs(filename string, data []byte) (contentType, name string) {
	contentType, name = SniffFile(filename, data), filename
	if ext := FileExt(contentType); ext != "" {
		return contentType, CustomerFilename(name, ext, "adjunto")
	}
	if name == "" {
		name = "adjunto"
	}
	return "application/octet-stream", name
}

// SniffFile says what data is, by its bytes, among the allowed types
// ("" when none): PDF, PNG, JPEG, GIF; UTF-8 text without control bytes
// (text/csv when the name ends in .csv); and zip files that are a DOCX,
// an XLSX (their [Content_Types].xml and main part) or an ODT (its first
// entry, mimetype, says so).
func SniffFile(name string, data []byte) string {
	ct, _, _ := strings.Cut(http.DetectContentType(data), ";")
	switch ct {
	case "application/pdf", "image/png", "image/jpeg", "image/gif":
		return ct
	case "text/plain":
		if !utf8.Valid(data) || bytes.ContainsFunc(data, func(r rune) bool {
			return unicode.IsControl(r) && r != '\n' && r != '\r' && r != '\t'
		}) {
			return ""
		}
		if strings.EqualFold(path.Ext(name), ".csv") {
			return "text/csv"
		}
		return ct
	case "application/zip":
		return sniffOffice(data)
	}
	return ""
}

func sniffOffice(data []byte) string {
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil || len(zr.File) == 0 {
		return ""
	}
	if f := zr.File[0]; f.Name == "mimetype" && f.Method == zip.Store && f.UncompressedSize64 < 100 {
		rc, err := f.Open()
		if err == nil {
			b, _ := io.ReadAll(io.LimitReader(rc, 100))
			_ = rc.Close()
			if string(b) == "application/vnd.oasis.opendocument.text" {
				return string(b)
			}
		}
		return ""
	}
	has := map[string]bool{}
	for _, f := range zr.File {
		has[f.Name] = true
	}
	if !has["[Content_Types].xml"] {
		return ""
	}
	switch {
	case has["word/document.xml"]:
		return "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
	case has["xl/workbook.xml"]:
		return "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
	}
	return ""
}

// CustomerFilename is name reduced to letters, digits and a few marks, at
// most 80 characters, ending in ext (factura.pdf.html that is a PNG
// becomes factura.pdf.png); fallback when nothing is left.
func CustomerFilename(name, ext, fallback string) string {
	name = path.Base(strings.ReplaceAll(name, `\`, "/"))
	stem := name
	if e := strings.ToLower(path.Ext(name)); e == ext || (ext == ".jpg" && e == ".jpeg") {
		stem = strings.TrimSuffix(name, path.Ext(name))
	}
	var out []rune
	for _, c := range stem {
		if len(out) >= 80 {
			break
		}
		switch {
		case unicode.IsLetter(c) || unicode.IsDigit(c) || c == '-' || c == '_' || c == '.':
			out = append(out, c)
		case c == ' ':
			out = append(out, '_')
		}
	}
	s := strings.Trim(string(out), "._")
	if s == "" {
		s = fallback
	}
	return s + ext
}

// checkFiles refuses files over the bounds or of a type not allowed
// (*FileError) and normalises each one's type and name.
func checkFiles(files []CustomerFile) error {
	if len(files) > MaxCustomerFiles {
		return &FileError{Code: "count"}
	}
	total := 0
	for i := range files {
		f := &files[i]
		switch {
		case len(f.Data) == 0:
			return &FileError{Code: "empty", File: f.Filename}
		case len(f.Data) > MaxCustomerFile:
			return &FileError{Code: "size", File: f.Filename}
		}
		total += len(f.Data)
		ct := SniffFile(f.Filename, f.Data)
		if ct == "" {
			return &FileError{Code: "type", File: f.Filename}
		}
		f.ContentType, f.Filename = ct, CustomerFilename(f.Filename, fileTypes[ct], "adjunto")
	}
	if total > MaxCustomerFilesTotal {
		return &FileError{Code: "total"}
	}
	return nil
}
