package cli

import (
	"context"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"turno/clients"
)

// newClientsMailCmd builds password, welcome and request-data: each queues
// one mail in the outbox, which `turno serve` delivers.
func newClientsMailCmd(which string) func(*env, *clientFlags) *cobra.Command {
	return func(e *env, cf *clientFlags) *cobra.Command {
		var cycle string
		cmd := &cobra.Command{Use: which + " CLIENT", Args: cobra.ExactArgs(1)}
		switch which {
		case "password":
			cmd.Short = "Regenerate a client's portal access and mail it to the principal address"
		case "welcome":
			cmd.Short = "Mail a client's welcome with its first access (once per client)"
		case "request-data":
			cmd.Short = "Ask a client to complete its billing data (once per cycle)"
			cmd.Flags().StringVar(&cycle, "cycle", "", "billing cycle, YYYY-MM (default: this month)")
		}
		cmd.RunE = func(_ *cobra.Command, args []string) error {
			return e.withRegistry(true, time.Minute, func(ctx context.Context, r *clients.Registry) error {
				var id string
				var err error
				switch which {
				case "password":
					id, err = r.Password(ctx, args[0], e.who(cf.by))
				case "welcome":
					id, err = r.Welcome(ctx, args[0], e.who(cf.by))
				default:
					id, err = r.RequestData(ctx, args[0], cycle, e.who(cf.by))
				}
				if err != nil {
					return err
				}
				if cf.asJSON {
					return printJSON(e.stdout, map[string]any{"client_id": args[0], "outbox_id": id, "queued": id != ""})
				}
				if id == "" {
					fmt.Fprintf(e.stdout, "%s was welcomed already; nothing sent\n", args[0])
					return nil
				}
				fmt.Fprintf(e.stdout, "queued %s mail for %s: outbox entry %s\n", which, args[0], id)
				return nil
			})
		}
		return cmd
	}
}
