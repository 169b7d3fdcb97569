package clients

import (
	"context"
	"errors"
	"fmt"

	"turno/mailout"
	"turno/templates"
)

// ErrBillingComplete says there is nothing to ask for.
var ErrBillingComplete = errors.New("billing data are complete")

// RequestData mails the client (principal address) the list of what is
// missing or wrong in their billing data (template billing_data_required),
// at most once per cycle: the idempotency key is
// billing_data_required:<client>:<cycle>, cycle being e.g. "2026-11" (empty:
// the current month). Messages are in the client's language.
func (r *Registry) RequestData(ctx context.Context, clientID, cycle, by string) (string, error) {
	if r.mailer == nil {
		return "", ErrNoMailer
	}
	c, err := r.Get(ctx, clientID)
	if err != nil {
		return "", err
	}
	ps := c.Billing.Check()
	if len(ps) == 0 {
		return "", ErrBillingComplete
	}
	if cycle == "" {
		cycle = r.clock.Now().UTC().Format("2006-01")
	}
	missing := make([]string, len(ps))
	for i, p := range ps {
		missing[i] = p.MessageES
		if c.Lang == "en" {
			missing[i] = p.Message
		}
	}
	m := mailout.Message{
		Key:      fmt.Sprintf("billing_data_required:%s:%s", clientID, cycle),
		Template: "billing_data_required", Lang: c.Lang, To: []string{c.Email},
		Data:     templates.BillingDataRequired{ClientName: c.Name, Missing: missing},
		Priority: mailout.PriorityBulk, AutoSubmitted: "auto-generated", ClientID: clientID, Kind: "account",
	}
	id, err := r.mailer.Enqueue(ctx, m)
	if err != nil {
		return "", fmt.Errorf("enqueue billing data request for %s: %w", clientID, err)
	}
	r.log.Info("billing data request enqueued", "client", clientID, "cycle", cycle, "outbox_id", id, "missing", len(ps), "by", by)
	return id, nil
}
