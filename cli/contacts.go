package cli

import (
	"context"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"turno/clients"
)

func newContactsCmd(e *env) *cobra.Command {
	var cf clientFlags
	cmd := &cobra.Command{Use: "contacts", Short: "Manage the technical and billing contacts of clients"}
	cmd.PersistentFlags().BoolVar(&cf.asJSON, "json", false, "print JSON")
	cmd.PersistentFlags().StringVar(&cf.by, "by", "", "who makes the change, for the audit trail (default $USER)")
	var role, name string
	printContacts := func(ctx context.Context, r *clients.Registry, id string) error {
		cs, err := r.Contacts(ctx, id)
		if err != nil {
			return err
		}
		if cf.asJSON {
			return printJSON(e.stdout, cs)
		}
		for _, c := range cs {
			fmt.Fprintf(e.stdout, "%s\t%s\t%s\n", c.Role, c.Address, c.Name)
		}
		return nil
	}
	add := &cobra.Command{
		Use: "add CLIENT ADDRESS --role technical|billing", Short: "Add a contact to a client", Args: cobra.ExactArgs(2),
		RunE: func(_ *cobra.Command, args []string) error {
			return e.withRegistry(false, time.Minute, func(ctx context.Context, r *clients.Registry) error {
				if err := r.AddContact(ctx, args[0], clients.Contact{Address: args[1], Name: name, Role: clients.Role(role)}, e.who(cf.by)); err != nil {
					return err
				}
				return printContacts(ctx, r, args[0])
			})
		},
	}
	add.Flags().StringVar(&role, "role", "technical", "technical (may open tickets) or billing (receives collection notes)")
	add.Flags().StringVar(&name, "name", "", "contact's name")
	var rmRole string
	remove := &cobra.Command{
		Use: "remove CLIENT ADDRESS [--role technical|billing]", Short: "Remove a contact from a client", Args: cobra.ExactArgs(2),
		RunE: func(_ *cobra.Command, args []string) error {
			return e.withRegistry(false, time.Minute, func(ctx context.Context, r *clients.Registry) error {
				if err := r.RemoveContact(ctx, args[0], args[1], clients.Role(rmRole), e.who(cf.by)); err != nil {
					return err
				}
				return printContacts(ctx, r, args[0])
			})
		},
	}
	remove.Flags().StringVar(&rmRole, "role", "", "only this role (default: every role of the address)")
	cmd.AddCommand(add, remove)
	return cmd
}
