package console

import (
	"errors"
	"net/http"

	"turno/billing"
	"turno/scheduler"
)

// jobsView is the scheduled jobs and their latest runs (turno jobs list,
// turno jobs history).
type jobsView struct {
	Available bool
	Zone      string
	Jobs      []scheduler.JobInfo
	Runs      []scheduler.RunRecord
}

const runsShown = 50

func (c *Console) opsJobs(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := opsCtx(r)
	defer cancel()
	v := c.opsView(r, "jobs")
	jv := &jobsView{}
	if s := c.o.Scheduler; s != nil {
		jv.Available, jv.Jobs, jv.Zone = true, s.Jobs(), s.Location().String()
		var err error
		if jv.Runs, err = s.History(ctx, "", runsShown); err != nil {
			c.opsFail(w, r, "jobs", err)
			return
		}
	}
	v.Jobs = jv
	c.Site.Render(w, r, http.StatusOK, "ops", v)
}

// billingView is the periods held for incomplete billing data and the
// clients whose billing or principal address is undeliverable (turno
// billing holds, turno billing undeliverable).
type billingView struct {
	Available     bool
	Holds         []billing.Hold
	Undeliverable []billing.UndeliverableContact
	NoLookup      bool
}

func (c *Console) opsBilling(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := opsCtx(r)
	defer cancel()
	v := c.opsView(r, "billing")
	bv := &billingView{}
	if b := c.o.Billing; b != nil {
		bv.Available = true
		var err error
		if bv.Holds, err = b.Holds(ctx, ""); err != nil {
			c.opsFail(w, r, "billing", err)
			return
		}
		bv.Undeliverable, err = b.Undeliverable(ctx)
		if errors.Is(err, billing.ErrNoLookup) {
			bv.NoLookup, err = true, nil
		}
		if err != nil {
			c.opsFail(w, r, "billing", err)
			return
		}
	}
	v.Billing = bv
	c.Site.Render(w, r, http.StatusOK, "ops", v)
}
