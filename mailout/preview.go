package mailout

import (
	"encoding/json"
	"fmt"
	"reflect"
	"time"

	"turno/config"
	"turno/msgid"
	"turno/templates"
)

// Preview composes the full MIME message for one email as the outbox would
// send it, to a placeholder recipient, for `turno templates render --eml`.
func Preview(set *templates.Set, mc config.MailConfig, name, lang string, data any, now time.Time) ([]byte, error) {
	b, err := json.Marshal(data)
	if err != nil {
		return nil, fmt.Errorf("preview: %w", err)
	}
	var ticket int64
	if f := reflect.Indirect(reflect.ValueOf(data)).FieldByName("TicketNumber"); f.IsValid() && f.CanInt() {
		ticket = f.Int()
	}
	o := &Outbox{opts: Options{Templates: set}}
	r, err := o.render(name, lang, string(b), ticket)
	if err != nil {
		return nil, err
	}
	e := &Entry{To: []string{"cliente@example.invalid"}, Ticket: ticket,
		MessageID: msgid.New(mc.Domain, ticket, []byte("preview")), AutoSubmitted: "auto-generated"}
	return compose(composeInput{FromName: mc.FromName, FromAddress: mc.FromAddress, Entry: e, Rendered: r, Date: now, LoopValue: mc.Domain})
}
