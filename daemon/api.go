package daemon

import (
	"turno/api"
	"turno/mailin"
)

// startAPI mounts /api/v1 (and its OpenAPI document) on the HTTP listener.
// It runs after billing started: the API records payments and shows a
// ticket's client with its contracts and unpaid invoices.
func (d *Daemon) startAPI() error {
	_, err := api.Mount(d.HTTP, api.Options{
		Tickets:       d.Tickets,
		Agents:        d.Agents,
		Replies:       d.Replies,
		Clients:       d.Clients,
		Billing:       d.Billing,
		PaymentsToken: d.opts.Config.Billing.APIToken,
		Held:          d.heldReleaser(), // daemon/agentmail.go
		Raw:           mailin.NewRawStore(d.Store.DB),
		Version:       Version,
		Logger:        d.log,
	})
	return err
}
