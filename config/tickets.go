package config

import (
	"slices"
	"strings"
	"time"
)

// TicketsConfig is the [tickets] section: numbering, threading windows, the
// automatic-reply budget and the priority weights of the queue.
type TicketsConfig struct {
	// NumberStart is the first ticket number handed out.
	NumberStart int64 `toml:"number_start"`
	// ReopenWindow: a reply to a ticket closed less than this long ago
	// reopens it; after it the reply opens a new ticket linked to the old.
	ReopenWindow Duration `toml:"reopen_window"`
	// UnknownSenderReplyWindow: at most one "how to regain access" reply per
	// unknown address within this window.
	UnknownSenderReplyWindow Duration `toml:"unknown_sender_reply_window"`
	// AutoReplyBudget is the most automatic replies (acknowledgements and
	// unknown-sender replies) sent to one address per clock hour.
	AutoReplyBudget int `toml:"auto_reply_budget"`
	// CloseAfter: a solved ticket is closed automatically this long after
	// it was solved (a customer reply before then reopens it).
	CloseAfter Duration `toml:"close_after"`
	// ProviderKind is what the provider sells, which decides the proof of
	// identity the unknown-sender reply asks for: "hosting" (a domain
	// hosted with us) or "isp" (the holder's RUT and the service address
	// or contract number).
	ProviderKind string `toml:"provider_kind"`
	// PaymentsDepartment is the department whose mail is read for payment
	// reports (amount, operation number, receipt) and where the portal's
	// payment reports open tickets.
	PaymentsDepartment string  `toml:"payments_department"`
	Priority           Weights `toml:"priority"`
}

// Weights are the terms of a ticket's priority score and the thresholds of
// its label.
type Weights struct {
	ChannelEmail      int `toml:"channel_email"`
	ChannelPortal     int `toml:"channel_portal"`
	ChannelAPI        int `toml:"channel_api"`
	RegisteredContact int `toml:"registered_contact"`
	// High and Medium are the lowest scores labelled high and medium;
	// anything below Medium is low.
	High   int `toml:"high"`
	Medium int `toml:"medium"`
	// Tiers adds to the score by the client's support tier.
	Tiers map[string]int `toml:"tiers"`
	// Departments adds to the score by the ticket's department.
	Departments map[string]int `toml:"departments"`
}

func defaultTickets() TicketsConfig {
	return TicketsConfig{
		NumberStart:              100000,
		ReopenWindow:             Duration(30 * 24 * time.Hour),
		UnknownSenderReplyWindow: Duration(7 * 24 * time.Hour),
		AutoReplyBudget:          5,
		CloseAfter:               Duration(4 * 24 * time.Hour),
		ProviderKind:             ProviderHosting,
		PaymentsDepartment:       DefaultPaymentsDepartment,
		Priority: Weights{
			ChannelEmail:      20,
			ChannelPortal:     30,
			ChannelAPI:        30,
			RegisteredContact: 10,
			High:              45,
			Medium:            30,
			Tiers:             map[string]int{"premium": 15},
			Departments:       map[string]int{"soporte": 0},
		},
	}
}

// DefaultPaymentsDepartment is tickets.payments_department's default.
const DefaultPaymentsDepartment = "pagos"

// Provider kinds (tickets.provider_kind).
const (
	ProviderHosting = "hosting"
	ProviderISP     = "isp"
)

func (c *Config) validateTickets(add func(key, format string, args ...any)) {
	t := c.Tickets
	if t.ProviderKind != ProviderHosting && t.ProviderKind != ProviderISP {
		add("tickets.provider_kind", "must be hosting or isp (got %q)", t.ProviderKind)
	}
	if t.NumberStart < 1 {
		add("tickets.number_start", "must be at least 1 (got %d)", t.NumberStart)
	}
	if t.ReopenWindow.D() <= 0 {
		add("tickets.reopen_window", "must be greater than zero")
	}
	if t.UnknownSenderReplyWindow.D() <= 0 {
		add("tickets.unknown_sender_reply_window", "must be greater than zero")
	}
	if t.CloseAfter.D() <= 0 {
		add("tickets.close_after", "must be greater than zero")
	}
	if t.AutoReplyBudget < 0 {
		add("tickets.auto_reply_budget", "must not be negative (0 sends no automatic replies)")
	}
	c.validatePaymentsDepartment(add)
	if t.Priority.High <= t.Priority.Medium {
		add("tickets.priority.high", "must be greater than tickets.priority.medium (%d)", t.Priority.Medium)
	}
}

// validatePaymentsDepartment: one line, and a department other than the
// default must be one the configuration lists (a mailbox's department or
// a [departments] table) when it lists any, which catches typos. The
// default needs no mailbox: portal reports open tickets there anyway.
func (c *Config) validatePaymentsDepartment(add func(key, format string, args ...any)) {
	d := c.Tickets.PaymentsDepartment
	if strings.TrimSpace(d) == "" || d != strings.TrimSpace(d) || strings.ContainsAny(d, "\r\n\x00") {
		add("tickets.payments_department", "must be a department name such as %q (got %q)", DefaultPaymentsDepartment, d)
		return
	}
	if d == DefaultPaymentsDepartment {
		return
	}
	listed := c.DepartmentNames()
	for _, m := range c.Mailboxes {
		if m.Department != "" {
			listed = append(listed, m.Department)
		}
	}
	if len(listed) > 0 && !slices.Contains(listed, d) {
		slices.Sort(listed)
		add("tickets.payments_department", "%q is not a configured department (mailboxes and [departments] name %s)",
			d, strings.Join(slices.Compact(listed), ", "))
	}
}
