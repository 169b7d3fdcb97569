package tickets

import "turno/config"

// OptionsFromConfig maps the [tickets] section onto Options. The caller
// adds DB, Directory, Mailer, Bounces, MessageIDKey, Clock and Logger.
func OptionsFromConfig(c config.TicketsConfig) Options {
	budget := c.AutoReplyBudget
	if budget == 0 {
		budget = -1 // config: 0 sends none; Options: 0 means the default
	}
	p := c.Priority
	return Options{
		NumberStart:              c.NumberStart,
		ReopenWindow:             c.ReopenWindow.D(),
		UnknownSenderReplyWindow: c.UnknownSenderReplyWindow.D(),
		AutoReplyBudget:          budget,
		CloseAfter:               c.CloseAfter.D(),
		ProviderKind:             c.ProviderKind,
		Weights: &Weights{
			ChannelEmail: p.ChannelEmail, ChannelPortal: p.ChannelPortal, ChannelAPI: p.ChannelAPI,
			RegisteredContact: p.RegisteredContact,
			Tiers:             p.Tiers, Departments: p.Departments,
			High: p.High, Medium: p.Medium,
		},
	}
}
