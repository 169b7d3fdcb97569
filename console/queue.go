package console

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"time"

	"turno/agents"
	"turno/tickets"
)

// queueParams are the queue page's filters, as in its URL.
type queueParams struct {
	View    string // all, mine, unassigned
	Dept    string
	Status  string // "" (not closed), a status, or all
	Overdue bool
	Cursor  string
}

func readQueueParams(q url.Values) queueParams {
	p := queueParams{View: q.Get("view"), Dept: q.Get("dept"), Status: q.Get("status"), Overdue: q.Get("overdue") == "1",
		Cursor: q.Get("cursor")}
	if p.View != "mine" && p.View != "unassigned" {
		p.View = "all"
	}
	return p
}

// query is the URL query of p (cursor aside unless with).
func (p queueParams) query(withCursor bool) string {
	v := url.Values{}
	if p.View != "all" {
		v.Set("view", p.View)
	}
	if p.Dept != "" {
		v.Set("dept", p.Dept)
	}
	if p.Status != "" {
		v.Set("status", p.Status)
	}
	if p.Overdue {
		v.Set("overdue", "1")
	}
	if withCursor && p.Cursor != "" {
		v.Set("cursor", p.Cursor)
	}
	if len(v) == 0 {
		return ""
	}
	return "?" + v.Encode()
}

// Query is the URL query of the filters (no cursor), for links.
func (p queueParams) Query() string { return p.query(false) }

func (p queueParams) filter(a *agents.Agent) tickets.QueueFilter {
	f := tickets.QueueFilter{Status: p.Status, Department: p.Dept, Overdue: p.Overdue, Cursor: p.Cursor, Limit: pageSize}
	switch p.View {
	case "mine":
		f.Assignee = a.Email
	case "unassigned":
		f.Assignee = "none"
	}
	return f
}

const pageSize = 50

type link struct {
	Label   string // message key
	Href    string
	Current bool
	Count   int
	Counted bool
}

type option struct {
	Value, Label string // Label: a message key, or the value itself when Raw
	Raw          bool
	Selected     bool
	Disabled     bool
	Count        int
	Counted      bool
}

type row struct {
	Number     int64
	Href       string
	Subject    string
	Requester  string
	Address    string
	Unverified bool
	ClientID   string
	Label      string
	Status     string
	Age        string
	Arrived    time.Time
	Overdue    bool
	Due        string
	DueAt      time.Time
	Assignee   string
	// Presence says who else has it open (presence.go); Replying: one of
	// them is writing a reply.
	Presence string
	Replying bool
}

type queueView struct {
	P        queueParams
	Views    []link
	Depts    []option
	Statuses []option
	Rows     []row
	Next     string
	Marker   string
	Error    string
	Total    int
	Filtered bool
	Moved    int64 // a ticket this agent just moved out of their sight
}

// marker is a hash of what the page shows: it changes when a row is added,
// removed, reordered or changed, or someone else opens or leaves one.
func marker(ts []tickets.Ticket, ps map[int64][]tickets.Presence) string {
	h := sha256.New()
	for _, t := range ts {
		for _, p := range ps[t.Number] {
			fmt.Fprintf(h, "p|%s|%s\n", p.Agent, p.State)
		}
		lp := ""
		if t.LastPublic != nil {
			lp = t.LastPublic.Key
		}
		fmt.Fprintf(h, "%d|%d|%s|%s|%s|%s|%s|%d|%t\n", t.Number, t.Version, t.Status, t.Assignee, t.Label, lp,
			t.UpdatedAt.Format(time.RFC3339Nano), len(t.MessageKeys), t.Overdue)
	}
	return hex.EncodeToString(h.Sum(nil)[:12])
}

func (c *Console) queue(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	a := agentOf(r)
	lang := langOf(r)
	p := readQueueParams(r.URL.Query())
	v := queueView{P: p, Filtered: p.Dept != "" || p.Status != "" || p.Overdue}
	status := http.StatusOK
	page, err := c.o.Tickets.Queue(ctx, a.Actor(), p.filter(a))
	var ie *tickets.InputError
	switch {
	case errors.As(err, &ie):
		status, v.Error = http.StatusBadRequest, c.inputMessage(r, ie.Field, ie.Msg)
	case err != nil:
		c.internal(w, r, "queue", err)
		return
	}
	names, err := c.agentNames(ctx)
	if err != nil {
		c.internal(w, r, "queue", err)
		return
	}
	// One read by _id per row (tickets.PresenceOn), never a filter.
	ps, err := c.o.Tickets.PresenceOn(ctx, a.Actor(), page.Tickets...)
	if err != nil {
		c.internal(w, r, "queue", err)
		return
	}
	now := c.o.Clock.Now()
	for _, t := range page.Tickets {
		rw := c.row(lang, now, t, names)
		rw.Presence, rw.Replying = c.presenceText(r, ps[t.Number], true)
		v.Rows = append(v.Rows, rw)
	}
	v.Marker = marker(page.Tickets, ps)
	if m, err := strconv.ParseInt(r.URL.Query().Get("moved"), 10, 64); err == nil && m > 0 {
		v.Moved = m
	}
	if page.Next != "" {
		np := p
		np.Cursor = page.Next
		v.Next = Prefix + "/queue" + np.query(true)
	}
	counts, err := c.deptCounts(ctx, a)
	if err != nil {
		c.internal(w, r, "queue", err)
		return
	}
	// The views' counts are of the open queue: of one department when the
	// filter names one, none when it filters by status or overdue.
	vc := counts.views[p.Dept]
	for _, view := range []string{"all", "mine", "unassigned"} {
		vp := p
		vp.View, vp.Cursor = view, ""
		l := link{Label: "queue.view." + view, Href: Prefix + "/queue" + vp.query(false), Current: p.View == view}
		if p.Status == "" && !p.Overdue {
			l.Count, l.Counted = vc[view], true
		}
		v.Views = append(v.Views, l)
	}
	v.Total = counts.total
	v.Depts = append(v.Depts, option{Value: "", Label: "queue.dept.any", Selected: p.Dept == ""})
	depts := c.departments(a)
	for d := range counts.by {
		depts = append(depts, d)
	}
	slices.Sort(depts)
	for _, d := range slices.Compact(depts) {
		v.Depts = append(v.Depts, option{Value: d, Label: d, Raw: true, Selected: p.Dept == d, Count: counts.by[d], Counted: true})
	}
	v.Statuses = append(v.Statuses, option{Value: "", Label: "queue.status.queue", Selected: p.Status == ""})
	for _, s := range append(slices.Clone(tickets.Statuses), "all") {
		v.Statuses = append(v.Statuses, option{Value: s, Label: "status." + s, Selected: p.Status == s})
	}
	c.Site.Render(w, r, status, "queue", v)
}

// marker answers the queue's change marker for the same filters as the
// page: {"marker": "…"}.
func (c *Console) marker(w http.ResponseWriter, r *http.Request) {
	a := agentOf(r)
	p := readQueueParams(r.URL.Query())
	page, err := c.o.Tickets.Queue(r.Context(), a.Actor(), p.filter(a))
	var ie *tickets.InputError
	if errors.As(err, &ie) {
		http.Error(w, `{"error":"bad filter"}`, http.StatusBadRequest)
		return
	}
	var ps map[int64][]tickets.Presence
	if err == nil {
		ps, err = c.o.Tickets.PresenceOn(r.Context(), a.Actor(), page.Tickets...)
	}
	if err != nil {
		c.log.Error("console: queue marker", "err", err)
		http.Error(w, `{"error":"unavailable"}`, http.StatusServiceUnavailable)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]string{"marker": marker(page.Tickets, ps)})
}

func (c *Console) row(lang string, now time.Time, t tickets.Ticket, names map[string]string) row {
	rw := row{Number: t.Number, Href: fmt.Sprintf("%s/tickets/%d", Prefix, t.Number), Subject: t.Subject,
		Requester: t.Requester.Name, Address: t.Requester.Address, Unverified: t.Unverified, ClientID: t.ClientID,
		Label: t.Label, Status: t.Status, Overdue: t.Overdue, Arrived: t.FirstArrival.In(c.o.Location)}
	if rw.Arrived.IsZero() {
		rw.Arrived = t.CreatedAt.In(c.o.Location)
	}
	rw.Age = short(now, rw.Arrived)
	if t.Assignee != "" {
		rw.Assignee = names[t.Assignee]
		if rw.Assignee == "" {
			rw.Assignee = t.Assignee
		}
	}
	if due := nextDue(t); !due.IsZero() {
		rw.DueAt = due.In(c.o.Location)
		if !t.Overdue {
			rw.Due = in(lang, now, due)
		}
	}
	return rw
}

// nextDue is the next service-level due time not yet met: the first
// response, then the resolution; zero when none (no targets, or the
// ticket waits on the customer or is solved).
func nextDue(t tickets.Ticket) time.Time {
	if t.Status == tickets.StatusSolved || t.Status == tickets.StatusClosed {
		return time.Time{}
	}
	if t.FirstResponseAt.IsZero() && !t.FirstResponseDue.IsZero() {
		return t.FirstResponseDue
	}
	return t.ResolutionDue
}

func (c *Console) agentNames(ctx context.Context) (map[string]string, error) {
	list, err := c.o.Agents.List(ctx)
	if err != nil {
		return nil, err
	}
	out := make(map[string]string, len(list))
	for _, a := range list {
		out[a.Email] = a.Name
	}
	return out, nil
}

// departments are the filter's choices: the agent's own, or for an admin
// every configured one.
func (c *Console) departments(a *agents.Agent) []string {
	var out []string
	if a.Role == agents.RoleAdmin {
		out = slices.Clone(c.o.Departments)
	}
	out = append(out, a.Departments...)
	slices.Sort(out)
	return slices.Compact(out)
}

type counts struct {
	total int
	by    map[string]int
	// views are the open tickets per view (all, mine, unassigned), of
	// every department the agent sees (key "") and of each.
	views map[string]map[string]int
}

// deptCounts counts the open queue of the departments the agent sees, by
// department and by view (tickets.QueueStats: one read of the queue
// projection).
func (c *Console) deptCounts(ctx context.Context, a *agents.Agent) (counts, error) {
	st, err := c.o.Tickets.QueueStats(ctx)
	if err != nil {
		return counts{}, err
	}
	out := counts{by: map[string]int{}, views: map[string]map[string]int{"": {}}}
	act := a.Actor()
	for _, s := range st {
		if !act.Sees(s.Department) {
			continue
		}
		out.by[s.Department] = s.Open
		out.total += s.Open
		d := map[string]int{"all": s.Open, "mine": s.Assigned[a.Email], "unassigned": s.Unassigned}
		out.views[s.Department] = d
		for k, n := range d {
			out.views[""][k] += n
		}
	}
	return out, nil
}
