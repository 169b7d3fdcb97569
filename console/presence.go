package console

import (
	"encoding/json"
	"errors"
	"net/http"
	"strings"

	"turno/tickets"
)

// Presence: who else has a ticket open. The marks are tickets' (package
// tickets, ticket_presence): the ticket page marks "viewing" when it is
// served, and console.js marks "viewing" or "replying" (the reply box has
// focus or text) every 20 s, and "gone" when the page is left. The queue
// rows and the ticket page show the others' current marks.

// presenceBeacon is POST /console/tickets/{n}/presence (state = viewing,
// replying or gone, with the page's CSRF token): the mark, then what the
// ticket page shows about the others, as {"text": "…", "replying": bool}.
func (c *Console) presenceBeacon(w http.ResponseWriter, r *http.Request) {
	n, ok := ticketNumber(r)
	if !ok {
		c.Site.Error(w, r, http.StatusNotFound)
		return
	}
	others, err := c.o.Tickets.MarkPresence(r.Context(), agentOf(r).Actor(), n, r.PostForm.Get("state"))
	var ie *tickets.InputError
	switch {
	case errors.Is(err, tickets.ErrNotFound):
		c.Site.Error(w, r, http.StatusNotFound)
		return
	case errors.As(err, &ie):
		http.Error(w, `{"error":"bad state"}`, http.StatusBadRequest)
		return
	case err != nil:
		c.log.Error("console: presence", "ticket", n, "err", err)
		http.Error(w, `{"error":"unavailable"}`, http.StatusServiceUnavailable)
		return
	}
	text, replying := c.presenceText(r, others, false)
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]any{"text": text, "replying": replying})
}

// presenceText says who else is on a ticket: "Ana Rojas está
// respondiendo", "Ana Rojas y Carla Díaz están viendo este ticket"; short
// is the queue's (no "este ticket"). replying: someone is writing.
func (c *Console) presenceText(r *http.Request, ps []tickets.Presence, short bool) (string, bool) {
	var rep, view []string
	for _, p := range ps {
		who := p.Name
		if who == "" {
			who = p.Agent
		}
		if p.State == tickets.PresenceReplying {
			rep = append(rep, who)
		} else {
			view = append(view, who)
		}
	}
	and := c.Site.T(r, "presence.and")
	join := func(names []string) (string, string) {
		if len(names) == 1 {
			return names[0], "one"
		}
		return strings.Join(names[:len(names)-1], ", ") + " " + and + " " + names[len(names)-1], "many"
	}
	var parts []string
	if len(rep) > 0 {
		who, n := join(rep)
		parts = append(parts, c.Site.T(r, "presence.replying."+n, who))
	}
	if len(view) > 0 && !(short && len(rep) > 0) {
		who, n := join(view)
		key := "presence.viewing." + n
		if short {
			key = "presence.queue.viewing." + n
		}
		parts = append(parts, c.Site.T(r, key, who))
	}
	text := strings.Join(parts, " · ")
	if len(rep) > 0 && !short {
		text += ". " + c.Site.T(r, "presence.hint")
	}
	return text, len(rep) > 0
}
