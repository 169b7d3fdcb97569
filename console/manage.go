package console

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"turno/clients"
	"turno/tickets"
)

// manageDraft is what the move, merge and link forms held, kept when one
// is refused.
type manageDraft struct {
	Department, Into, Client string
}

// manageAction is the ticket page's move, merge or link form: the change
// goes through tickets.Service (Move, Merge, Link: the CLI's calls) with
// the agent as the actor. A ticket the agent does not see is a 404; a
// refusal renders the page again with the reason and changes nothing.
//
//   - move: to another department; when the agent does not see that one,
//     back to the queue (the ticket is no longer theirs to open).
//   - merge: this ticket into #into (confirm=1 required); then the
//     surviving ticket. A ticket to merge into that the agent does not
//     see is a refusal on the page, worded as not found.
//   - link: the unverified requester becomes a technical contact of the
//     client (its ID).
func (c *Console) manageAction(kind string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		n, ok := ticketNumber(r)
		if !ok {
			c.Site.Error(w, r, http.StatusNotFound)
			return
		}
		ctx := r.Context()
		a := agentOf(r)
		act := a.Actor()
		f := r.PostForm
		d := manageDraft{Department: strings.TrimSpace(f.Get("department")), Into: strings.TrimSpace(f.Get("into")),
			Client: strings.TrimSpace(f.Get("client"))}
		refuse := func(status int, msg string) {
			c.renderTicket(w, r, n, status, ticketView{Error: msg, Manage: d})
		}
		// The ticket itself first: out of sight is a 404, whatever else.
		if _, err := c.o.Tickets.Get(ctx, act, n); err != nil {
			if errors.Is(err, tickets.ErrNotFound) {
				c.Site.Error(w, r, http.StatusNotFound)
			} else {
				c.internal(w, r, kind, err)
			}
			return
		}
		next := fmt.Sprintf("%s/tickets/%d?done=%s#actions", Prefix, n, kind)
		var err error
		switch kind {
		case "move":
			var t *tickets.Ticket
			if t, err = c.o.Tickets.Move(ctx, act, n, d.Department); err == nil && !act.Sees(t.Department) {
				next = fmt.Sprintf("%s/queue?moved=%d", Prefix, n)
			}
		case "merge":
			into, perr := strconv.ParseInt(strings.TrimPrefix(d.Into, "#"), 10, 64)
			switch {
			case perr != nil || into <= 0:
				refuse(http.StatusBadRequest, c.Site.T(r, "input.into"))
				return
			case f.Get("confirm") != "1":
				refuse(http.StatusBadRequest, c.Site.T(r, "merge.confirm.missing"))
				return
			}
			_, err = c.o.Tickets.Merge(ctx, act, n, into)
			if errors.Is(err, tickets.ErrNotFound) { // n is seen: into is not
				refuse(http.StatusBadRequest, c.Site.T(r, "merge.notfound", into))
				return
			}
			next = fmt.Sprintf("%s/tickets/%d?done=merge#thread-end", Prefix, into)
		case "link":
			_, err = c.o.Tickets.Link(ctx, act, n, d.Client)
		}
		var ie *tickets.InputError
		var nf *clients.NotFoundError
		var ve *clients.ValidationError
		switch {
		case err == nil:
			c.log.Info("console: "+kind, "agent", a.Email, "ticket", n)
			http.Redirect(w, r, next, http.StatusSeeOther)
		case errors.Is(err, tickets.ErrNotFound):
			c.Site.Error(w, r, http.StatusNotFound)
		case errors.As(err, &ie):
			refuse(http.StatusBadRequest, c.inputMessage(r, ie.Field, ie.Msg))
		case errors.As(err, &nf):
			refuse(http.StatusBadRequest, c.Site.T(r, "link.notfound", d.Client))
		case errors.As(err, &ve):
			refuse(http.StatusBadRequest, c.Site.T(r, "input.other", ve.Error()))
		default:
			c.internal(w, r, kind, err)
		}
	}
}
