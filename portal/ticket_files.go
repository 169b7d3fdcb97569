package portal

import (
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strconv"

	"turno/tickets"
)

// Files on portal tickets and replies: the form's "files" field (several
// at once), read here and judged by tickets (by their bytes: PDF, images,
// text, CSV, DOCX/XLSX/ODT; at most tickets.MaxCustomerFiles, each up to
// tickets.MaxCustomerFile, all up to tickets.MaxCustomerFilesTotal); a
// refusal is an error beside the field and nothing is stored.

// filesField is the file input's view.
type filesField struct {
	Accept                      string
	MaxFiles, MaxMB, MaxTotalMB int
	Errors                      map[string]string
}

const acceptFiles = ".pdf,.png,.jpg,.jpeg,.gif,.txt,.csv,.docx,.xlsx,.odt"

func newFilesField(errs map[string]string) filesField {
	if errs == nil {
		errs = map[string]string{}
	}
	return filesField{Accept: acceptFiles, MaxFiles: tickets.MaxCustomerFiles, MaxMB: tickets.MaxCustomerFile >> 20,
		MaxTotalMB: tickets.MaxCustomerFilesTotal >> 20, Errors: errs}
}

// readFiles reads the form's files (none: nil). A file is read up to one
// byte over the limit, so tickets can say it is too big.
func readFiles(r *http.Request) ([]tickets.CustomerFile, error) {
	if r.MultipartForm == nil {
		return nil, nil
	}
	var out []tickets.CustomerFile
	for _, h := range r.MultipartForm.File["files"] {
		if h.Size == 0 && h.Filename == "" {
			continue // the browser's empty part: nothing chosen
		}
		if len(out) == tickets.MaxCustomerFiles {
			return nil, &tickets.FileError{Code: "count"}
		}
		f, err := h.Open()
		if err != nil {
			return nil, errUploadRead
		}
		data, err := io.ReadAll(io.LimitReader(f, tickets.MaxCustomerFile+1))
		_ = f.Close()
		if err != nil {
			return nil, errUploadRead
		}
		out = append(out, tickets.CustomerFile{Filename: h.Filename, Data: data})
	}
	return out, nil
}

// filesError is the text shown beside the file field for err (ok false:
// err is not about the files).
func (p *Portal) filesError(r *http.Request, err error) (string, bool) {
	var fe *tickets.FileError
	switch {
	case errors.Is(err, errUploadRead):
		return p.Site.T(r, errUploadRead.Error()), true
	case errors.As(err, &fe):
		switch fe.Code {
		case "count":
			return p.Site.T(r, "files.error.count", tickets.MaxCustomerFiles), true
		case "total":
			return p.Site.T(r, "files.error.total", tickets.MaxCustomerFilesTotal>>20), true
		case "size":
			return p.Site.T(r, "files.error.size", fe.File, tickets.MaxCustomerFile>>20), true
		}
		return p.Site.T(r, "files.error."+fe.Code, fe.File), true
	}
	return "", false
}

// msgFile is a file on a message of the thread.
type msgFile struct {
	Name, Size, Href string // Href "": not downloadable (an agent's file)
}

func sizeText(n int64) string {
	if n < 1<<20 {
		return fmt.Sprintf("%d KB", (n+1023)>>10)
	}
	return fmt.Sprintf("%.1f MB", float64(n)/(1<<20))
}

func messageFiles(n int64, mi int, m tickets.Message) []msgFile {
	var out []msgFile
	for i, a := range m.Attachments {
		if a.Inline {
			continue
		}
		f := msgFile{Name: a.Filename, Size: sizeText(a.Size)}
		if f.Name == "" {
			f.Name = "adjunto"
		}
		if m.Direction == tickets.DirIn && a.SHA256 != "" {
			f.Href = fmt.Sprintf("%s/tickets/%d/archivos/%d/%d", Prefix, n, mi, i)
		}
		out = append(out, f)
	}
	return out
}

// ticketFile serves file i of message m of the session client's ticket n
// as a download (its checked type when it is one the portal takes, else
// application/octet-stream; attachment; nosniff); anything else is 404.
func (p *Portal) ticketFile(w http.ResponseWriter, r *http.Request) {
	s := p.mustSession(w, r)
	if s == nil {
		return
	}
	n := ticketNumber(r)
	mi, err1 := strconv.Atoi(r.PathValue("m"))
	fi, err2 := strconv.Atoi(r.PathValue("i"))
	if n == 0 || err1 != nil || err2 != nil {
		p.Site.Error(w, r, http.StatusNotFound)
		return
	}
	a, data, err := p.tickets.ClientFile(r.Context(), p.raw, s.SubjectID, n, mi, fi)
	if errors.Is(err, tickets.ErrNotFound) {
		p.Site.Error(w, r, http.StatusNotFound)
		return
	}
	if err != nil {
		p.internal(w, r, "ticket file", err)
		return
	}
	ct, name := tickets.DownloadAs(a.Filename, data)
	h := w.Header()
	h.Set("Content-Type", ct)
	h.Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": name}))
	h.Set("Content-Security-Policy", "default-src 'none'; sandbox")
	h.Set("Content-Length", strconv.Itoa(len(data)))
	p.log.Info("portal: ticket file", "client", s.SubjectID, "ticket", n)
	_, _ = w.Write(data)
}
