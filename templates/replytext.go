package templates

import (
	"bytes"
	"embed"
	"fmt"
	"reflect"
	"slices"
	"sync"
	texttemplate "text/template"
	"time"
)

// Reply texts are what Turno itself writes on a ticket as an agent's
// reply: the body that the ticket_reply email then carries, so they have
// no subject, layout or HTML part of their own (ticket_reply adds them and
// signs as the agent). They are embedded from replies/<lang>/<name>.txt,
// text/template with the helpers of the emails' text parts (money, date,
// plural, oneline...; company is empty and date shows the day as given:
// the data carry calendar days), and tidied like a text part. They are not
// overridable: an operator's ticket_reply override still wraps them.
//
//	payment_report_rejected   PaymentReportRejected

//go:embed replies
var replyFiles embed.FS

// PaymentReportRejected ("payment_report_rejected") answers a customer
// whose payment report an agent rejected: what they reported and the
// agent's reason, as written.
type PaymentReportRejected struct {
	TicketNumber int64  `json:"ticket_number"`
	Amount       int64  `json:"amount"`    // the amount reported; 0 omits the line
	Operation    string `json:"operation"` // the operation number; empty omits the line
	// Date is the payment's date as reported, a calendar day (its own
	// location's date is shown); zero omits the line.
	Date   time.Time `json:"date,omitzero"`
	Reason string    `json:"reason"` // the agent's words, as written
}

// replyKinds lists every reply text with its sample data.
func replyKinds() []kind {
	return []kind{
		{"payment_report_rejected", samplePaymentReportRejected},
	}
}

func samplePaymentReportRejected() any {
	return PaymentReportRejected{TicketNumber: 10482, Amount: 45990, Operation: "55012398",
		Date:   time.Date(2026, 11, 16, 0, 0, 0, 0, time.UTC),
		Reason: "El monto no coincide con ninguna nota de cobro pendiente.\nSu saldo es $54.728."}
}

// ReplyNames lists the reply texts, in a stable order.
func ReplyNames() []string {
	var out []string
	for _, k := range replyKinds() {
		out = append(out, k.name)
	}
	return out
}

// ReplySample is realistic data for the named reply text (nil for an
// unknown name).
func ReplySample(name string) any {
	for _, k := range replyKinds() {
		if k.name == name {
			return k.sample()
		}
	}
	return nil
}

var (
	replyOnce sync.Once
	replyTmpl map[string]*texttemplate.Template // by entryKey(lang, name)
	replyErr  error
)

func parseReplies() {
	replyTmpl = map[string]*texttemplate.Template{}
	for _, lang := range Langs() {
		for _, k := range replyKinds() {
			file := "replies/" + lang + "/" + k.name + ".txt"
			b, err := replyFiles.ReadFile(file)
			if err != nil {
				replyErr = fmt.Errorf("reply text %s: %w", file, err)
				return
			}
			t, err := texttemplate.New(file).Option("missingkey=error").Funcs(textFuncs(lang, Company{}, time.UTC)).Parse(string(b))
			if err != nil {
				replyErr = err
				return
			}
			replyTmpl[entryKey(lang, k.name)] = t
		}
	}
}

// RenderReply renders the named reply text in lang ("" means "es") with
// data, which must be the type ReplySample(name) returns. The text ends in
// one newline, with no runs of blank lines.
func RenderReply(name, lang string, data any) (string, error) {
	replyOnce.Do(parseReplies)
	if replyErr != nil {
		return "", replyErr
	}
	if lang == "" {
		lang = Langs()[0]
	}
	if !knownLang(lang) {
		return "", fmt.Errorf("reply text %s: unknown language %q (known: %v)", name, lang, Langs())
	}
	if !slices.Contains(ReplyNames(), name) {
		return "", fmt.Errorf("unknown reply text %q (known: %v)", name, ReplyNames())
	}
	v := reflect.ValueOf(data)
	if v.Kind() == reflect.Pointer && !v.IsNil() {
		v = v.Elem()
	}
	want := reflect.TypeOf(ReplySample(name))
	if !v.IsValid() || v.Type() != want {
		return "", fmt.Errorf("reply text %s: data is %T, want templates.%s", name, data, want.Name())
	}
	var b bytes.Buffer
	if err := replyTmpl[entryKey(lang, name)].Execute(&b, v.Interface()); err != nil {
		return "", err
	}
	return tidyText(b.String()), nil
}
