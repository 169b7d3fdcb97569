package daemon

import (
	"turno/billing"
	"turno/clients"
	"turno/mailin"
	"turno/mailout"
	"turno/scheduler"
	"turno/store"
	"turno/tickets"
)

// Indexes gathers the indexes every package declares. Each package that owns
// collections adds its list here; EnsureIndexes creates them at start.
func Indexes() []store.Index {
	var all []store.Index
	for _, pkg := range [][]store.Index{
		// Packages append their Indexes() here as they gain collections.
		mailin.Indexes(),
		mailout.Indexes(),
		tickets.Indexes(),
		clients.Indexes(),
		scheduler.Indexes(), billing.Indexes(),
	} {
		all = append(all, pkg...)
	}
	return all
}
