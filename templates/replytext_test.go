package templates

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestGoldenReplies renders every reply text in every language from its
// sample, and with only the reason (no facts reported), and compares them
// with testdata/golden/<lang>/<name>.reply.txt and <name>.bare.reply.txt;
// -update rewrites them.
func TestGoldenReplies(t *testing.T) {
	for _, lang := range Langs() {
		for _, name := range ReplyNames() {
			bare := PaymentReportRejected{TicketNumber: 10482, Reason: "No recibimos ninguna transferencia con esos datos."}
			for file, data := range map[string]any{name + ".reply.txt": ReplySample(name), name + ".bare.reply.txt": bare} {
				got, err := RenderReply(name, lang, data)
				if err != nil {
					t.Fatalf("RenderReply(%s, %s): %v", name, lang, err)
				}
				path := filepath.Join("testdata", "golden", lang, file)
				if *update {
					if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
						t.Fatal(err)
					}
					continue
				}
				want, err := os.ReadFile(path)
				if err != nil {
					t.Fatalf("%v (run go test -update to create it)", err)
				}
				if got != string(want) {
					t.Errorf("%s differs from the rendering:\n--- got\n%s\n--- want\n%s", path, got, want)
				}
			}
		}
	}
}

// Bad input to RenderReply is an error naming it; the zero value renders.
func TestRenderReplyInput(t *testing.T) {
	for _, tt := range []struct {
		name, lang string
		data       any
		want       string
	}{
		{"nope", "es", PaymentReportRejected{}, "unknown reply text"},
		{"payment_report_rejected", "fr", PaymentReportRejected{}, "unknown language"},
		{"payment_report_rejected", "es", TicketReply{}, "want templates.PaymentReportRejected"},
		{"payment_report_rejected", "es", nil, "want templates.PaymentReportRejected"},
	} {
		if _, err := RenderReply(tt.name, tt.lang, tt.data); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("RenderReply(%s, %s, %T): %v, want %q", tt.name, tt.lang, tt.data, err, tt.want)
		}
	}
	for _, lang := range append(Langs(), "") {
		got, err := RenderReply("payment_report_rejected", lang, &PaymentReportRejected{})
		if err != nil || !strings.HasSuffix(got, "\n") || strings.Contains(got, "\n\n\n") {
			t.Errorf("zero value in %q: %q, %v", lang, got, err)
		}
	}
}
