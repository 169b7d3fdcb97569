package daemon

import (
	"context"
	"errors"
	"fmt"

	"turno/clients"
)

// The development customer, so that `serve --dev` shows the portal working:
// a registered client whose principal address is DevClientAddress. Mail
// from that address becomes a registered contact's ticket; its welcome
// mail (with the link to choose a portal password) lands in dev-mail.
const (
	DevClientID      = "DEV-1"
	DevClientAddress = "cliente@turno.test"
)

// startDevClient creates the development customer once (a restart keeps
// it and its password) and mails its welcome once; `turno clients
// password DEV-1` sends another link.
func (d *Daemon) startDevClient(ctx context.Context) error {
	if d.Clients == nil {
		return nil
	}
	_, err := d.Clients.Get(ctx, DevClientID)
	var nf *clients.NotFoundError
	switch {
	case errors.As(err, &nf):
		c := clients.Client{
			ID: DevClientID, Name: "Cliente de Desarrollo SpA", PersonType: "legal",
			Email: DevClientAddress, Phone: "+56 2 2345 6789",
			Address: "Av. Providencia 1234, of. 56", Comuna: "Providencia", Ciudad: "Santiago",
			Active: true, BillingEnabled: true, Lang: "es",
			Billing: clients.BillingData{RazonSocial: "Cliente de Desarrollo SpA", TaxCountry: "CL",
				TaxID: "76086428-5", Giro: "Servicios informáticos", Domicilio: "Av. Providencia 1234, of. 56",
				Comuna: "Providencia", Ciudad: "Santiago"},
			Mail: clients.MailSwitches{Invoice: true, CollectionNote: true, PaymentConfirmation: true,
				Ticket: true, Account: true},
		}
		if _, err := d.Clients.Add(ctx, c, "dev"); err != nil && !errors.As(err, new(*clients.ExistsError)) {
			return fmt.Errorf("dev client: %w", err)
		}
	case err != nil:
		return fmt.Errorf("dev client: %w", err)
	}
	if _, err := d.Clients.Welcome(ctx, DevClientID, "dev"); err != nil && !errors.Is(err, clients.ErrNoMailer) {
		return fmt.Errorf("dev client welcome: %w", err)
	}
	return nil
}
