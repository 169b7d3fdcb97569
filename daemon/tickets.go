package daemon

import (
	"go.mongodb.org/mongo-driver/v2/mongo"

	"turno/tickets"
)

// startTickets builds the ticket service the mail intake hands messages to.
// It runs nothing in the background. Until the outbox, the clients registry
// and a Message-ID key are wired here, it sends no automatic replies (no
// Mailer), treats every sender as unknown (no Directory) and threads by
// stored Message-IDs and subject tags only (no key to verify Turno's own).
func (d *Daemon) startTickets(db *mongo.Database) error {
	opts := tickets.OptionsFromConfig(d.opts.Config.Tickets)
	opts.DB, opts.Clock, opts.Logger = db, d.opts.Clock, d.log.With("component", "tickets")
	svc, err := tickets.New(opts)
	if err != nil {
		return err
	}
	d.Tickets = svc
	return nil
}
