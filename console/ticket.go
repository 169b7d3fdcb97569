package console

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"

	"turno/replies"
	"turno/tickets"
	"turno/web"
)

// item is one entry of a ticket's thread: a message (customer mail, reply
// or note) or an event.
type item struct {
	Kind    string // in, reply, note, event
	Who     string
	Address string
	At      time.Time
	Ago     string
	Text    string
	Quoted  string
	Files   []tickets.Attach
	// Msg is the message's index in the thread (file links); Download:
	// its files can be downloaded (files.go).
	Msg      int
	Download bool
	// HasHTML: the message came with an HTML part (htmlview.go); ShowHTML:
	// the page shows it (?html=Msg).
	HasHTML, ShowHTML bool
	State             string // a reply's, when not sent
	// Event is an event's sentence (after Who), in the page's language.
	Event string
}

// draft is what the agent typed, kept when a form is refused.
type draft struct {
	Text, Saved, Status, Note string
}

type ticketView struct {
	T            tickets.Ticket
	Client       *clientPanel
	Report       *reportView
	Reason       string // a refused rejection's reason, kept
	AssigneeName string
	Items        []item
	Answers      string
	Key          string
	NoteKey      string
	Saved        []replies.Saved
	Agents       []option
	Statuses     []option
	ReplyStatus  []option
	Labels       []option
	Done         string
	Error        string
	Conflict     string
	Draft        draft
	Due          []dueLine
	// Presence says who else is on the ticket (presence.go); Replying:
	// one of them is writing a reply.
	Presence string
	Replying bool
	// Move, merge and link (manage.go): the departments to move to, and
	// what a refused form held.
	MoveTo []option
	Manage manageDraft
	// showHTML is 1 + the message whose HTML the page shows (0: none);
	// others: the presence marks read already (marked is true then).
	showHTML int
	others   []tickets.Presence
	marked   bool
}

type dueLine struct {
	Label   string // message key
	At      time.Time
	Overdue bool
	Met     bool
}

func newKey() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

func ticketNumber(r *http.Request) (int64, bool) {
	n, err := strconv.ParseInt(r.PathValue("n"), 10, 64)
	return n, err == nil && n > 0
}

func (c *Console) ticket(w http.ResponseWriter, r *http.Request) {
	n, ok := ticketNumber(r)
	if !ok {
		c.Site.Error(w, r, http.StatusNotFound)
		return
	}
	v := ticketView{Done: r.URL.Query().Get("done")}
	switch v.Done {
	case "reply", "note", "assign", "status", "priority", "confirm", "reject", "move", "merge", "link":
	default:
		v.Done = ""
	}
	if m, err := strconv.Atoi(r.URL.Query().Get("html")); err == nil && m >= 0 {
		v.showHTML = m + 1
	}
	// Opening the page marks the agent as viewing it (presence.go).
	others, err := c.o.Tickets.MarkPresence(r.Context(), agentOf(r).Actor(), n, tickets.PresenceViewing)
	switch {
	case errors.Is(err, tickets.ErrNotFound):
		c.Site.Error(w, r, http.StatusNotFound)
		return
	case err != nil:
		c.log.Warn("console: presence", "ticket", n, "err", err)
	default:
		v.others, v.marked = others, true
	}
	c.renderTicket(w, r, n, http.StatusOK, v)
}

// renderTicket reads ticket n for the agent and renders its page with v's
// notices and draft. Another department's ticket is a 404.
func (c *Console) renderTicket(w http.ResponseWriter, r *http.Request, n int64, status int, v ticketView) {
	ctx := r.Context()
	a := agentOf(r)
	act := a.Actor()
	th, err := c.o.Tickets.Get(ctx, act, n)
	if errors.Is(err, tickets.ErrNotFound) {
		c.Site.Error(w, r, http.StatusNotFound)
		return
	}
	if err != nil {
		c.internal(w, r, "ticket", err)
		return
	}
	list, err := c.o.Agents.List(ctx)
	if err != nil {
		c.internal(w, r, "ticket", err)
		return
	}
	names := map[string]string{}
	for _, ag := range list {
		names[ag.Email] = ag.Name
	}
	now := c.o.Clock.Now()
	t := th.Ticket
	v.T = t
	v.AssigneeName = names[t.Assignee]
	if v.Client, err = c.clientPanel(ctx, act, t); err != nil {
		c.internal(w, r, "ticket's client", err)
		return
	}
	if v.Report, err = c.report(ctx, act, n); err != nil {
		c.internal(w, r, "ticket's payment report", err)
		return
	}
	if v.Report != nil {
		v.Report.Reason = v.Reason
	}
	v.Items = c.thread(r, now, th, names)
	for i := range v.Items {
		if v.Items[i].HasHTML && v.Items[i].Msg+1 == v.showHTML && v.Items[i].Kind != "event" {
			v.Items[i].ShowHTML = true
			// The page frames the sanitised view (htmlview.go): allow it.
			w.Header().Set("Content-Security-Policy", w.Header().Get("Content-Security-Policy")+"; frame-src 'self'")
		}
	}
	if !v.marked {
		ps, err := c.o.Tickets.PresenceOn(ctx, act, t)
		if err != nil {
			c.internal(w, r, "ticket's presence", err)
			return
		}
		v.others = ps[n]
	}
	v.Presence, v.Replying = c.presenceText(r, v.others, false)
	for _, d := range c.o.Departments {
		if d != t.Department {
			v.MoveTo = append(v.MoveTo, option{Value: d, Label: d, Raw: true, Selected: d == v.Manage.Department})
		}
	}
	v.Answers = answersKey(th)
	v.Key, v.NoteKey = newKey(), newKey()
	if c.o.Replies != nil {
		if v.Saved, err = c.o.Replies.List(ctx); err != nil {
			c.internal(w, r, "ticket", err)
			return
		}
	}
	v.Agents = append(v.Agents, option{Value: "", Label: "ticket.assign.none", Selected: t.Assignee == ""})
	for _, ag := range list {
		if ag.Active && ag.Actor().Sees(t.Department) {
			v.Agents = append(v.Agents, option{Value: ag.Email, Label: ag.Name + " <" + ag.Email + ">", Raw: true,
				Selected: t.Assignee == ag.Email})
		}
	}
	if t.Status == tickets.StatusNew { // shown, not chosen: agents never set it
		v.Statuses = append(v.Statuses, option{Value: "", Label: "status.new", Selected: true, Disabled: true})
	}
	for _, s := range []string{tickets.StatusOpen, tickets.StatusPending, tickets.StatusSolved, tickets.StatusClosed} {
		v.Statuses = append(v.Statuses, option{Value: s, Label: "status." + s, Selected: t.Status == s})
	}
	if v.Draft.Status == "" {
		v.Draft.Status = tickets.StatusPending
	}
	for _, s := range []string{tickets.StatusPending, tickets.StatusOpen, tickets.StatusSolved} {
		v.ReplyStatus = append(v.ReplyStatus, option{Value: s, Label: "reply.status." + s, Selected: v.Draft.Status == s})
	}
	v.Labels = append(v.Labels, option{Value: "", Label: "priority.auto", Selected: t.ManualLabel == ""})
	for _, l := range []string{tickets.LabelHigh, tickets.LabelMedium, tickets.LabelLow} {
		v.Labels = append(v.Labels, option{Value: l, Label: "label." + l, Selected: t.ManualLabel == l})
	}
	if !t.FirstResponseDue.IsZero() {
		v.Due = append(v.Due, dueLine{Label: "due.first", At: t.FirstResponseDue.In(c.o.Location),
			Met: !t.FirstResponseAt.IsZero(), Overdue: t.FirstResponseAt.IsZero() && now.After(t.FirstResponseDue)})
	}
	if !t.ResolutionDue.IsZero() {
		v.Due = append(v.Due, dueLine{Label: "due.resolution", At: t.ResolutionDue.In(c.o.Location),
			Met: t.Status == tickets.StatusSolved || t.Status == tickets.StatusClosed, Overdue: now.After(t.ResolutionDue)})
	}
	c.Site.Render(w, r, status, "ticket", v)
}

// answersKey is the newest customer-visible message the page shows: what
// the reply form says the agent read (the collision check compares it).
func answersKey(th *tickets.Thread) string {
	if th.Ticket.LastPublic != nil {
		return th.Ticket.LastPublic.Key
	}
	for i := len(th.Messages) - 1; i >= 0; i-- {
		if m := th.Messages[i]; m.Direction != tickets.DirNote {
			return m.Key
		}
	}
	return th.Ticket.Origin
}

// shownEvents are the events the thread lists between its messages (the
// messages themselves stand for created, message, reply and note).
var shownEvents = map[string]bool{tickets.EventStatus: true, tickets.EventAssign: true, tickets.EventPriority: true,
	tickets.EventDepartment: true, tickets.EventMerged: true, tickets.EventMergedFrom: true, tickets.EventLink: true,
	tickets.EventReopened: true, tickets.EventSLABreach: true}

func (c *Console) thread(r *http.Request, now time.Time, th *tickets.Thread, names map[string]string) []item {
	lang := langOf(r)
	tr := func(key string, args ...any) string { return c.Site.T(r, key, args...) }
	var out []item
	for i, m := range th.Messages {
		it := item{Kind: "in", Who: m.From.Name, Address: m.From.Address, At: m.ArrivedAt.In(c.o.Location),
			Text: m.Text, Quoted: m.Quoted, Files: m.Attachments, Msg: i, Download: downloadable(m), HasHTML: hasHTML(m)}
		switch m.Direction {
		case tickets.DirReply:
			it.Kind = "reply"
		case tickets.DirNote:
			it.Kind = "note"
		}
		if m.Direction != tickets.DirIn {
			it.Who, it.Address = m.AgentName, m.Agent
			if m.State != tickets.StateSent {
				it.State = m.State
			}
		}
		if it.Who == "" {
			it.Who = it.Address
		}
		it.Ago = ago(lang, now, m.ArrivedAt)
		out = append(out, it)
	}
	who := func(by string) string {
		switch by {
		case tickets.ByCustomer, tickets.BySystem:
			return tr("by." + by)
		}
		if n := names[by]; n != "" {
			return n
		}
		return by
	}
	for _, e := range th.Ticket.Events {
		if !shownEvents[e.Type] {
			continue
		}
		it := item{Kind: "event", At: e.At.In(c.o.Location), Ago: ago(lang, now, e.At), Who: who(e.By)}
		key, args := "event."+e.Type, []any(nil)
		switch e.Type {
		case tickets.EventStatus:
			args = []any{tr("status." + e.From), tr("status." + e.To)}
		case tickets.EventPriority:
			args = []any{tr("label." + e.From), tr("label." + e.To)}
		case tickets.EventAssign:
			to := names[e.To]
			if to == "" {
				to = e.To
			}
			if e.To == "" {
				key = "event.unassign"
			}
			args = []any{to}
		case tickets.EventMerged:
			args = []any{e.To}
		case tickets.EventMergedFrom:
			args = []any{e.From}
		case tickets.EventLink:
			args = []any{e.From, e.To}
		case tickets.EventSLABreach:
			args = []any{tr("due." + map[string]string{tickets.TargetFirstResponse: "first", tickets.TargetResolution: "resolution"}[e.To])}
		case tickets.EventDepartment:
			args = []any{e.From, e.To}
		}
		it.Event = tr(key, args...)
		out = append(out, it)
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].At.Before(out[j].At) })
	return out
}

// ticketAction is one of the ticket page's forms: the change goes through
// tickets.Service with the agent as the actor; success redirects back
// (303), a refusal renders the page again with the reason and the draft.
func (c *Console) ticketAction(kind string) http.HandlerFunc {
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
		d := draft{Text: f.Get("text"), Saved: f.Get("saved"), Status: f.Get("status"), Note: f.Get("note")}
		var err error
		switch kind {
		case "reply":
			text := d.Text
			if d.Saved != "" {
				var saved string
				if saved, err = c.savedText(r, act, n, d.Saved); err == nil {
					if strings.TrimSpace(text) == "" {
						text = saved
					} else {
						text = saved + "\n\n" + text
					}
				}
			}
			if err == nil {
				_, err = c.o.Tickets.Reply(ctx, act, n, tickets.ReplyInput{Key: f.Get("key"), Answers: f.Get("answers"),
					Text: text, Status: d.Status, Force: f.Get("force") == "1"})
			}
		case "note":
			_, err = c.o.Tickets.Note(ctx, act, n, tickets.NoteInput{Key: f.Get("key"), Text: d.Note})
		case "assign":
			who := f.Get("assignee")
			if who == "me" {
				who = a.Email
			}
			_, err = c.o.Tickets.Assign(ctx, act, n, who)
		case "status":
			_, err = c.o.Tickets.SetStatus(ctx, act, n, f.Get("status"))
		case "priority":
			_, err = c.o.Tickets.SetPriority(ctx, act, n, f.Get("priority"))
		}
		var ce *tickets.ConflictError
		var ie *tickets.InputError
		var re *replyError
		switch {
		case err == nil:
			c.log.Info("console: "+kind, "agent", a.Email, "ticket", n)
			http.Redirect(w, r, fmt.Sprintf("%s/tickets/%d?done=%s#%s", Prefix, n, kind, anchor(kind)), http.StatusSeeOther)
		case errors.Is(err, tickets.ErrNotFound):
			c.Site.Error(w, r, http.StatusNotFound)
		case errors.As(err, &ce):
			c.renderTicket(w, r, n, http.StatusConflict, ticketView{Conflict: c.collision(r, ce), Draft: d})
		case errors.As(err, &ie):
			c.renderTicket(w, r, n, http.StatusBadRequest, ticketView{Error: c.inputMessage(r, ie.Field, ie.Msg), Draft: d})
		case errors.As(err, &re):
			c.renderTicket(w, r, n, http.StatusBadRequest, ticketView{Error: c.Site.T(r, re.key), Draft: d})
		case errors.Is(err, tickets.ErrKeyReused):
			c.renderTicket(w, r, n, http.StatusConflict, ticketView{Error: c.Site.T(r, "error.key_reused"), Draft: d})
		default:
			c.internal(w, r, kind, err)
		}
	}
}

func anchor(kind string) string {
	switch kind {
	case "reply", "note":
		return "thread-end"
	}
	return "actions"
}

// collision is the refusal of a reply that crossed newer messages:
// "Ana respondió hace 2 minutos: léalo primero".
func (c *Console) collision(r *http.Request, ce *tickets.ConflictError) string {
	if len(ce.Newer) == 0 {
		return c.Site.T(r, "collision.changed")
	}
	m := ce.Newer[len(ce.Newer)-1]
	when := ago(langOf(r), c.o.Clock.Now(), m.ArrivedAt)
	if m.Direction == tickets.DirReply {
		who := m.AgentName
		if who == "" {
			who = m.Agent
		}
		return c.Site.T(r, "collision.agent", who, when)
	}
	who := m.From.Name
	if who == "" {
		who = m.From.Address
	}
	return c.Site.T(r, "collision.customer", who, when)
}

type replyError struct{ key string }

func (e *replyError) Error() string { return e.key }

// savedText is the saved reply in the ticket's language (its customer's
// first message's), placeholders filled, as the API does.
func (c *Console) savedText(r *http.Request, a tickets.Actor, n int64, name string) (string, error) {
	if c.o.Replies == nil {
		return "", &replyError{"error.saved_reply"}
	}
	th, err := c.o.Tickets.Get(r.Context(), a, n)
	if err != nil {
		return "", err
	}
	sr, err := c.o.Replies.Get(r.Context(), name)
	if errors.Is(err, replies.ErrNotFound) {
		return "", &replyError{"error.saved_reply"}
	}
	if err != nil {
		return "", err
	}
	lang := "es"
	for _, m := range th.Messages {
		if m.Direction == tickets.DirIn && m.Lang != "" {
			lang = m.Lang
			break
		}
	}
	who := th.Ticket.Requester.Name
	if who == "" {
		who = th.Ticket.Requester.Address
	}
	return sr.Text(lang, replies.Vars{RequesterName: who, TicketNumber: n, AgentName: a.Name}), nil
}

// inputMessage is a refusal from the domain in the agent's language where
// the field is known, else the domain's own words.
func (c *Console) inputMessage(r *http.Request, field, msg string) string {
	key := "input." + field
	if s := c.Site.T(r, key); s != key {
		return s
	}
	return c.Site.T(r, "input.other", msg)
}

func langOf(r *http.Request) string { return web.Lang(r) }
