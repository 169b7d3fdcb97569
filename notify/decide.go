package notify

import (
	"context"
	"slices"
	"strings"

	"turno/agents"
	"turno/mailin/parse"
	"turno/tickets"
)

// EventSLABreach is the event the service-level tracking writes when a
// target is missed (To: first_response or resolution).
const EventSLABreach = tickets.EventSLABreach

// state walks one ticket's new events.
type state struct {
	w      *Worker
	t      *tickets.Ticket
	agents []agents.Agent
	auto   int // automatic messages not yet mentioned
}

// notice is one event to mail about.
type notice struct {
	kind  string // agents.Notify* kind
	ev    tickets.Event
	to    []agents.Agent
	text  string
	actor string
}

// event decides who hears of event i and enqueues their mail.
func (s *state) event(ctx context.Context, i int) error {
	ev := s.t.Events[i]
	if s.w.opts.Clock.Now().Sub(ev.At) > s.w.opts.MaxAge || copied(s.t, ev) {
		return nil
	}
	dept, assignee := s.deptAt(i), s.assigneeAt(i)
	n := notice{ev: ev}
	switch ev.Type {
	case tickets.EventCreated:
		m, err := s.message(ctx, firstNonEmpty(ev.Key, s.t.Origin))
		if err != nil {
			return err
		}
		if m != nil && m.Kind != string(parse.KindNormal) {
			s.auto++
			return nil
		}
		n.kind = agents.NotifyNew
		n.to = s.department(dept, false)
		if m != nil {
			n.text = m.Text
		}
	case tickets.EventMessage:
		if ev.By != tickets.ByCustomer {
			return nil
		}
		if ev.Note != "" { // automatic mail: counted, mentioned next time
			s.auto++
			return nil
		}
		m, err := s.message(ctx, ev.Key)
		if err != nil {
			return err
		}
		if m != nil && m.Kind != string(parse.KindNormal) {
			s.auto++
			return nil
		}
		n.kind = agents.NotifyReply
		if assignee != "" {
			n.to = s.agent(assignee, dept)
		} else {
			n.to = s.department(dept, false)
		}
		if m != nil {
			n.text = m.Text
		}
	case tickets.EventAssign:
		if ev.To == "" {
			return nil
		}
		n.kind = agents.NotifyAssign
		n.to = s.agent(ev.To, dept)
		n.actor = s.name(ev.By)
	case tickets.EventNote:
		m, err := s.message(ctx, firstNonEmpty(ev.Key, ev.Note))
		if err != nil || m == nil {
			return err
		}
		n.kind = agents.NotifyMention
		for _, a := range s.department(dept, false) {
			if mentions(m.Text, a) {
				n.to = append(n.to, a)
			}
		}
		n.text, n.actor = m.Text, s.name(ev.By)
	case EventSLABreach:
		n.kind = agents.NotifySLA
		if assignee != "" {
			n.to = s.agent(assignee, dept)
		} else {
			n.to = s.department(dept, true)
		}
	default:
		return nil
	}
	var to []agents.Agent
	for _, a := range n.to {
		if a.Wants(n.kind) && !caused(a, ev.By) {
			to = append(to, a)
		}
	}
	if len(to) == 0 {
		return nil
	}
	n.to = to
	if err := s.w.send(ctx, s.t, n, s.auto); err != nil {
		return err
	}
	s.auto = 0
	return nil
}

// copied: an event a merge brought from another ticket ("on #N: …").
func copied(t *tickets.Ticket, ev tickets.Event) bool {
	return t.MergedInto == 0 && strings.HasPrefix(ev.Note, "on #") && ev.Type != tickets.EventMergedFrom &&
		slices.ContainsFunc(t.Events, func(e tickets.Event) bool { return e.Type == tickets.EventMergedFrom })
}

// deptAt is the ticket's department when event i happened: the From of
// the first later move, else the current one.
func (s *state) deptAt(i int) string {
	for _, e := range s.t.Events[i+1:] {
		if e.Type == tickets.EventDepartment {
			return e.From
		}
	}
	return s.t.Department
}

// assigneeAt is the ticket's assignee when event i happened (after it,
// for an assign event).
func (s *state) assigneeAt(i int) string {
	for _, e := range s.t.Events[i+1:] {
		if e.Type == tickets.EventAssign {
			return e.From
		}
	}
	return s.t.Assignee
}

func (s *state) message(ctx context.Context, key string) (*tickets.Message, error) {
	if key == "" {
		return nil, nil
	}
	return s.w.opts.Tickets.Message(ctx, key)
}

// department lists the active agents who see dept (admins: only those
// listing it, or every admin when none does).
func (s *state) department(dept string, admins bool) []agents.Agent {
	var out, all []agents.Agent
	for _, a := range s.agents {
		if !a.Active || !a.Actor().Sees(dept) {
			continue
		}
		if admins {
			if a.Role != agents.RoleAdmin {
				continue
			}
			all = append(all, a)
			if !slices.Contains(a.Departments, dept) {
				continue
			}
		}
		out = append(out, a)
	}
	if admins && len(out) == 0 {
		return all
	}
	return out
}

// agent is the active agent with that address, if they see dept.
func (s *state) agent(addr, dept string) []agents.Agent {
	for _, a := range s.agents {
		if has(a, addr) && a.Active && a.Actor().Sees(dept) {
			return []agents.Agent{a}
		}
	}
	return nil
}

// name is how an agent (by address) is shown: "Name <address>".
func (s *state) name(addr string) string {
	for _, a := range s.agents {
		if has(a, addr) {
			return a.Name + " <" + a.Email + ">"
		}
	}
	if addr == tickets.ByCustomer || addr == tickets.BySystem {
		return ""
	}
	return addr
}

func has(a agents.Agent, addr string) bool {
	addr = strings.ToLower(strings.TrimSpace(addr))
	return addr != "" && (a.Email == addr || slices.Contains(a.Addresses, addr))
}

// caused: the agent is who made the event.
func caused(a agents.Agent, by string) bool { return has(a, by) }

// mentions reports whether text names agent a: one of its addresses, or
// @ and the local part of the primary address as a word of its own.
func mentions(text string, a agents.Agent) bool {
	low := strings.ToLower(text)
	for _, addr := range append([]string{a.Email}, a.Addresses...) {
		if wordAt(low, addr) {
			return true
		}
	}
	local, _, _ := strings.Cut(a.Email, "@")
	return local != "" && wordAt(low, "@"+local)
}

// wordAt finds w in s standing alone: not inside a longer address or
// name (a trailing dot ends a sentence, not the word).
func wordAt(s, w string) bool {
	for from := 0; ; {
		i := strings.Index(s[from:], w)
		if i < 0 {
			return false
		}
		i += from
		end := i + len(w)
		before := i == 0 || !addrChar(s[i-1])
		after := end == len(s) || !addrChar(s[end]) ||
			(s[end] == '.' && (end+1 == len(s) || !addrChar(s[end+1])))
		if before && after {
			return true
		}
		from = i + 1
	}
}

func addrChar(c byte) bool {
	switch {
	case c >= 'a' && c <= 'z', c >= '0' && c <= '9', c == '_', c == '-', c == '+', c == '@', c == '.', c >= 0x80:
		return true
	}
	return false
}

func firstNonEmpty(ss ...string) string {
	for _, s := range ss {
		if s != "" {
			return s
		}
	}
	return ""
}
