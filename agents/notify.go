package agents

import (
	"slices"
	"strings"
)

// Kinds of notification mail an agent may want (Agent.Notify).
const (
	NotifyNew     = "new"     // a new ticket in one of their departments
	NotifyReply   = "reply"   // a customer reply on their ticket, or on an unassigned one of their departments
	NotifyAssign  = "assign"  // a ticket assigned to them
	NotifyMention = "mention" // a note that mentions them
	NotifySLA     = "sla"     // a service-level breach on their ticket (admins: on unassigned ones)
	// NotifyNone, alone, turns every notification off.
	NotifyNone = "none"
)

// NotifyKinds lists every kind, in the order shown.
func NotifyKinds() []string {
	return []string{NotifyNew, NotifyReply, NotifyAssign, NotifyMention, NotifySLA}
}

// normNotify puts preferences in stored form: nil stays nil (the
// defaults), "none" alone is ["none"], anything else is a sorted list of
// known kinds without repeats. Every kind listed is the defaults again:
// nil.
func normNotify(in []string) ([]string, error) {
	if in == nil {
		return nil, nil
	}
	var out []string
	for _, k := range in {
		k = strings.ToLower(strings.TrimSpace(k))
		switch {
		case k == NotifyNone:
			if len(in) != 1 {
				return nil, badInput("notify", "none turns every notification off and goes alone")
			}
			return []string{NotifyNone}, nil
		case !slices.Contains(NotifyKinds(), k):
			return nil, badInput("notify", "%q is not a notification kind (known: %s, or none)", k, strings.Join(NotifyKinds(), ", "))
		}
		out = append(out, k)
	}
	if len(out) == 0 {
		return nil, badInput("notify", "give at least one kind (%s), or none", strings.Join(NotifyKinds(), ", "))
	}
	slices.Sort(out)
	out = slices.Compact(out)
	if len(out) == len(NotifyKinds()) {
		return nil, nil
	}
	return out, nil
}

// Wants reports whether the agent wants notification kind k.
func (a Agent) Wants(k string) bool {
	if a.Notify == nil {
		return true
	}
	return slices.Contains(a.Notify, k)
}

// NotifyLabel is how the preferences read: "new, reply, …", "default" or
// "none".
func (a Agent) NotifyLabel() string {
	if a.Notify == nil {
		return "default (" + strings.Join(NotifyKinds(), ", ") + ")"
	}
	return strings.Join(a.Notify, ", ")
}
