package templates

import (
	"fmt"
	"reflect"
	"slices"
)

// kind describes one email: its name and the sample data that fixes the
// type its templates are rendered with.
type kind struct {
	name   string
	sample func() any
}

// catalog lists every email Turno sends. It is a function, not a variable,
// so that nothing can change it.
func catalog() []kind {
	return []kind{
		{"ticket_ack", sampleTicketAck},
		{"ticket_reply", sampleTicketReply},
		{"ticket_unknown_sender", sampleTicketUnknownSender},
		{"ticket_attachment_too_large", sampleTicketAttachmentTooLarge},
		{"ticket_under_review", sampleTicketUnderReview},
		{"agent_mail_held", sampleAgentMailHeld},
		{"agent_notification", sampleAgentNotification},
		{"invoice_issued", sampleInvoiceIssued},
		{"collection_note", sampleCollectionNote},
		{"payment_received", samplePaymentReceived},
		{"password_reset", samplePasswordReset},
		{"welcome", sampleWelcome},
		{"billing_data_required", sampleBillingDataRequired},
		{"login_locked", sampleLoginLocked},
	}
}

func lookup(name string) (kind, error) {
	for _, k := range catalog() {
		if k.name == name {
			return k, nil
		}
	}
	return kind{}, fmt.Errorf("unknown template %q (known: %v)", name, Names())
}

// dataType is the struct type name's templates are rendered with.
func (k kind) dataType() reflect.Type { return reflect.TypeOf(k.sample()) }

// Names returns the name of every email, in a stable order.
func Names() []string {
	var names []string
	for _, k := range catalog() {
		names = append(names, k.name)
	}
	return names
}

// Langs returns the supported languages; the first is the default.
func Langs() []string { return []string{"es", "en"} }

func knownLang(lang string) bool { return slices.Contains(Langs(), lang) }

// SampleData returns realistic data for the named email, of the type Render
// expects for it, or nil for an unknown name. Load renders every template
// with it, and `turno templates render` uses it when given no data.
func SampleData(name string) any {
	k, err := lookup(name)
	if err != nil {
		return nil
	}
	return k.sample()
}
