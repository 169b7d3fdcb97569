package console

import (
	"errors"
	"net/http"
	"strings"

	"turno/mailin"
)

// mailView is the mailboxes as their watchers last recorded them and the
// quarantine (held and waiting for a retry; retried ones are counted).
type mailView struct {
	Boxes      []mailBox
	Quarantine []mailin.Quarantined
	Done       int
}

type mailBox struct {
	mailin.Cursor
	Quarantined int
}

// mailState reads the mailboxes and the quarantine, the same calls as
// turno mail status and turno mail quarantine list.
func (c *Console) mailState(r *http.Request) (*mailView, error) {
	ctx, cancel := opsCtx(r)
	defer cancel()
	boxes, err := mailin.Statuses(ctx, c.o.DB)
	if err != nil {
		return nil, err
	}
	qs, err := mailin.ListQuarantine(ctx, c.o.DB, "")
	if err != nil {
		return nil, err
	}
	v := &mailView{}
	per := map[string]int{}
	for _, q := range qs {
		if q.State == mailin.QuarantineDone {
			v.Done++
			continue
		}
		per[q.Mailbox]++
		v.Quarantine = append(v.Quarantine, q)
	}
	for _, b := range boxes {
		v.Boxes = append(v.Boxes, mailBox{Cursor: b, Quarantined: per[b.Mailbox]})
	}
	return v, nil
}

func (c *Console) opsMail(w http.ResponseWriter, r *http.Request) {
	v := c.opsView(r, "mail")
	var err error
	if v.Mail, err = c.mailState(r); err != nil {
		c.opsFail(w, r, "mail", err)
		return
	}
	c.Site.Render(w, r, http.StatusOK, "ops", v)
}

// opsRetry asks for a quarantined message to be processed again from its
// stored bytes, as `turno mail quarantine retry ID` does: the watcher of
// its mailbox takes it at its next pass.
func (c *Console) opsRetry(w http.ResponseWriter, r *http.Request) {
	id := strings.TrimSpace(r.PostForm.Get("id"))
	if id == "" || len(id) > 1000 {
		back(w, r, "/mail", "e", "retry", "")
		return
	}
	err := mailin.RequestRetry(r.Context(), c.o.DB, id)
	switch {
	case errors.Is(err, mailin.ErrNotQuarantined):
		back(w, r, "/mail", "e", "retry", id)
		return
	case err != nil:
		c.opsFail(w, r, "quarantine retry", err)
		return
	}
	c.log.Info("console: quarantine retry requested", "agent", agentOf(r).Email, "id", id)
	back(w, r, "/mail", "n", "retry", id)
}
