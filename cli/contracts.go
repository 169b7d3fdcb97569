package cli

import (
	"context"
	"fmt"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"turno/billing"
	"turno/scheduler"
)

func newContractsCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{Use: "contracts", Short: "Add, list, show and end contracts"}
	var c billing.Contract
	add := &cobra.Command{
		Use:   "add ID",
		Short: "Add a contract (amount in pesos, or thousandths of a UF with --currency UF)",
		Args:  cobra.ExactArgs(1),
		RunE: func(_ *cobra.Command, args []string) error {
			c.ID = args[0]
			return e.withBilling(func(ctx context.Context, svc *billing.Service, _ *scheduler.Scheduler) error {
				if err := svc.AddContract(ctx, c); err != nil {
					return err
				}
				fmt.Fprintf(e.stdout, "contract %s added\n", c.ID)
				return nil
			})
		},
	}
	f := add.Flags()
	f.StringVar(&c.ClientID, "client", "", "client ID (required)")
	f.StringVar(&c.Description, "description", "", "plan or description printed on the invoice")
	f.StringVar(&c.Currency, "currency", billing.CLP, "CLP or UF")
	f.Int64Var(&c.Amount, "amount", 0, "monthly net amount: pesos, or thousandths of a UF")
	f.BoolVar(&c.Exempt, "exempt", false, "exempt from IVA")
	f.IntVar(&c.AnchorDay, "anchor", 1, "billing day 1-31, kept forever (31: last day of short months)")
	f.StringVar(&c.Start, "start", time.Now().Format(time.DateOnly), "first day it may bill, YYYY-MM-DD")
	f.StringVar(&c.End, "end", "", "last day it may bill, YYYY-MM-DD (optional)")
	f.StringVar(&c.SupportTier, "support-tier", "", "support tier")
	list := &cobra.Command{
		Use: "list [CLIENT]", Short: "List contracts", Args: cobra.MaximumNArgs(1),
		RunE: func(_ *cobra.Command, args []string) error {
			return e.withBilling(func(ctx context.Context, svc *billing.Service, _ *scheduler.Scheduler) error {
				cs, err := svc.Contracts(ctx, firstArg(args))
				if err != nil {
					return err
				}
				w := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
				fmt.Fprintln(w, "ID\tCLIENT\tAMOUNT\tANCHOR\tSTART\tEND\tDESCRIPTION")
				for _, c := range cs {
					fmt.Fprintf(w, "%s\t%s\t%d %s\t%d\t%s\t%s\t%s\n", c.ID, c.ClientID, c.Amount, c.Currency, c.AnchorDay, c.Start, c.End, c.Description)
				}
				return w.Flush()
			})
		},
	}
	show := &cobra.Command{
		Use: "show ID", Short: "Show a contract", Args: cobra.ExactArgs(1),
		RunE: func(_ *cobra.Command, args []string) error {
			return e.withBilling(func(ctx context.Context, svc *billing.Service, _ *scheduler.Scheduler) error {
				c, err := svc.Contract(ctx, args[0])
				if err != nil {
					return err
				}
				return e.printJSON(c)
			})
		},
	}
	end := &cobra.Command{
		Use: "end ID YYYY-MM-DD", Short: "Set the last day a contract bills", Args: cobra.ExactArgs(2),
		RunE: func(_ *cobra.Command, args []string) error {
			d, err := scheduler.ParseDate(args[1])
			if err != nil {
				return err
			}
			return e.withBilling(func(ctx context.Context, svc *billing.Service, _ *scheduler.Scheduler) error {
				return svc.EndContract(ctx, args[0], d)
			})
		},
	}
	cmd.AddCommand(add, list, show, end)
	return cmd
}
