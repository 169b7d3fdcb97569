package cli

import (
	"context"
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"turno/billing"
	"turno/scheduler"
)

// newUndeliverableCmd is `turno billing undeliverable`: the clients whose
// billing contact or principal address the outbox marked undeliverable.
func newUndeliverableCmd(e *env) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "undeliverable",
		Short: "List clients whose billing contact or principal address is suppressed",
		Long: `List clients whose billing contact (where collection notes go) or principal
address is marked undeliverable, with the reply or bounce that decided it and
since when. A note held because no address of the client is deliverable is
shown with its stage. The list is read live: after "turno outbox suppressions
clear ADDR" or a change of the client's billing contact the client drops off
it, and the next collection run sends a held note.`,
		Args: cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			return e.withBilling(func(ctx context.Context, svc *billing.Service, _ *scheduler.Scheduler) error {
				rows, err := svc.Undeliverable(ctx)
				if err != nil {
					return err
				}
				return e.emit(asJSON, rows, func(w io.Writer) error {
					if len(rows) == 0 {
						_, err := fmt.Fprintln(w, "no client has an undeliverable billing contact or principal address")
						return err
					}
					tw := newTable(w, "CLIENT\tROLE\tADDRESS\tSINCE\tSOURCE\tNOTE HELD\tREASON")
					for _, r := range rows {
						held := "-"
						if r.HeldStage != nil {
							since := "-"
							if r.HeldSince != nil {
								since = e.when(*r.HeldSince)
							}
							held = fmt.Sprintf("stage %+d since %s", *r.HeldStage, since)
						}
						fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", r.ClientID, r.Role, r.Address,
							e.when(r.Since), r.Source, held, r.Reason)
					}
					return tw.Flush()
				})
			})
		},
	}
	jsonFlag(cmd, &asJSON)
	return cmd
}
