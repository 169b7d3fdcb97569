package console

import (
	"errors"
	"net/http"
	"strings"
	"time"

	"turno/billing"
	"turno/mailout"
)

// outboxView is the outbox without reading it: depth by state (the ready
// markers and the last retention pass's counts), the entries that ended
// failed (their markers) and the suppressed addresses.
type outboxView struct {
	Waiting      []stateCount
	Final        []stateCount
	FinalAt      time.Time
	Failures     []mailout.Failure
	Suppressions []mailout.Suppression
}

type stateCount struct {
	State string
	N     int
}

const failuresShown = 50

func (c *Console) opsOutbox(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := opsCtx(r)
	defer cancel()
	v := c.opsView(r, "outbox")
	d, err := mailout.ReadDepth(ctx, c.o.DB)
	if err != nil {
		c.opsFail(w, r, "outbox", err)
		return
	}
	ov := &outboxView{FinalAt: d.FinalAt}
	for _, s := range []mailout.State{mailout.StateQueued, mailout.StateRetry, mailout.StateSending} {
		ov.Waiting = append(ov.Waiting, stateCount{string(s), d.Waiting[s]})
	}
	for _, s := range []mailout.State{mailout.StateSent, mailout.StateFailed, mailout.StateSuppressed, mailout.StateCancelled} {
		ov.Final = append(ov.Final, stateCount{string(s), d.Final[s]})
	}
	if ov.Failures, err = mailout.RecentFailures(ctx, c.o.DB, failuresShown); err != nil {
		c.opsFail(w, r, "outbox", err)
		return
	}
	if ov.Suppressions, err = mailout.ListSuppressions(ctx, c.o.DB); err != nil {
		c.opsFail(w, r, "outbox", err)
		return
	}
	v.Outbox = ov
	c.Site.Render(w, r, http.StatusOK, "ops", v)
}

// opsUnsuppress lets mail go to an address again, as `turno outbox
// suppressions clear ADDR` does, and has billing re-decide the
// undeliverable markers of the clients the address belongs to.
func (c *Console) opsUnsuppress(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	addr := strings.TrimSpace(r.PostForm.Get("address"))
	if addr == "" || len(addr) > 320 {
		back(w, r, "/outbox", "e", "unsuppress", "")
		return
	}
	ok, err := mailout.ClearSuppression(ctx, c.o.DB, addr)
	if err != nil {
		c.opsFail(w, r, "clear suppression", err)
		return
	}
	if !ok {
		back(w, r, "/outbox", "e", "unsuppress", addr)
		return
	}
	c.log.Info("console: suppression cleared", "agent", agentOf(r).Email, "address", addr)
	if c.o.Billing != nil {
		if err := c.o.Billing.AddressChanged(ctx, addr); err != nil && !errors.Is(err, billing.ErrNoLookup) {
			c.log.Warn("console: billing's undeliverable markers after clearing a suppression; the next reconcile repairs them",
				"address", addr, "err", err)
		}
	}
	back(w, r, "/outbox", "n", "unsuppress", addr)
}
