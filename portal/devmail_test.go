package portal_test

import (
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-message/mail"
)

// devMailText waits for a mail to to in dev-mail (the --dev daemon's
// delivered mail) whose subject starts with subject, and returns its
// plain-text body: the mail as the customer got it.
func devMailText(t *testing.T, dir, to, subject string) string {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		files, _ := filepath.Glob(filepath.Join(dir, "dev-mail", "*.eml"))
		for _, f := range files {
			if s := mailText(f, to, subject); s != "" {
				return s
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("no mail %q to %s in dev-mail", subject, to)
	return ""
}

func mailText(file, to, subject string) string {
	fh, err := os.Open(file)
	if err != nil {
		return ""
	}
	defer fh.Close()
	mr, err := mail.CreateReader(fh)
	if err != nil {
		return ""
	}
	tos, _ := mr.Header.AddressList("To")
	if s, _ := mr.Header.Subject(); len(tos) != 1 || tos[0].Address != to || !strings.HasPrefix(s, subject) {
		return ""
	}
	for {
		p, err := mr.NextPart()
		if err != nil {
			return ""
		}
		if h, ok := p.Header.(*mail.InlineHeader); ok {
			if ct, _, _ := h.ContentType(); ct == "text/plain" {
				b, _ := io.ReadAll(p.Body)
				return string(b)
			}
		}
	}
}

var urlRe = regexp.MustCompile(`https?://\S+`)
