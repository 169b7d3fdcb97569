package tickets

import (
	"fmt"
	"strings"
	"time"
)

// Channels a ticket can arrive by.
const (
	ChannelEmail  = "email"
	ChannelPortal = "portal"
	ChannelAPI    = "api"
)

// Priority labels.
const (
	LabelHigh   = "high"
	LabelMedium = "medium"
	LabelLow    = "low"
)

// Weights are the terms of the priority score: channel weight + the
// registered-contact bonus + the client's tier weight + the department
// offset. High and Medium are the lowest scores with those labels.
type Weights struct {
	ChannelEmail, ChannelPortal, ChannelAPI int
	RegisteredContact                       int
	Tiers                                   map[string]int // by support tier, lower case
	Departments                             map[string]int // by department
	High, Medium                            int
}

// DefaultWeights are the defaults: portal/API 30, email 20,
// registered contact +10, premium +15; high from 45, medium from 30.
func DefaultWeights() Weights {
	return Weights{
		ChannelEmail: 20, ChannelPortal: 30, ChannelAPI: 30,
		RegisteredContact: 10,
		Tiers:             map[string]int{"premium": 15},
		High:              45, Medium: 30,
	}
}

// PriorityInput is what the score depends on.
type PriorityInput struct {
	Channel    string
	Registered bool
	Tier       string
	Department string
}

// Score computes a ticket's priority and label. An unknown sender gets no
// contact bonus and no tier, so its ticket is the lowest of its channel and
// department.
func (w Weights) Score(in PriorityInput) (int, string) {
	p := 0
	switch in.Channel {
	case ChannelPortal:
		p = w.ChannelPortal
	case ChannelAPI:
		p = w.ChannelAPI
	default:
		p = w.ChannelEmail
	}
	if in.Registered {
		p += w.RegisteredContact
		p += w.Tiers[strings.ToLower(in.Tier)]
	}
	p += w.Departments[in.Department]
	return p, w.Label(p)
}

// Label names a score.
func (w Weights) Label(p int) string {
	switch {
	case p >= w.High:
		return LabelHigh
	case p >= w.Medium:
		return LabelMedium
	default:
		return LabelLow
	}
}

// sortKey is the queue order as one ascending string, so listing the queue
// is one indexed query: priority descending (inverted, fixed width), then
// the first message's arrival (UTC nanoseconds, fixed width), then the
// number as a tie-break.
func sortKey(priority int, firstArrival time.Time, number int64) string {
	p := min(max(priority, -9999), 9999)
	ns := max(firstArrival.UTC().UnixNano(), 0)
	return fmt.Sprintf("%05d|%019d|%019d", 9999-p, ns, number)
}
