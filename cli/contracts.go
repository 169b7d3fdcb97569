package cli

import (
	"context"
	"fmt"
	"io"

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
				if c.Start == "" {
					c.Start = e.today().String()
				}
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
	f.StringVar(&c.Start, "start", "", "first day it may bill, YYYY-MM-DD (default today)")
	f.StringVar(&c.End, "end", "", "last day it may bill, YYYY-MM-DD (optional)")
	f.StringVar(&c.SupportTier, "support-tier", "", "support tier")
	var asJSON bool
	list := &cobra.Command{
		Use: "list [CLIENT]", Short: "List contracts", Args: cobra.MaximumNArgs(1),
		RunE: func(_ *cobra.Command, args []string) error {
			return e.withBilling(func(ctx context.Context, svc *billing.Service, _ *scheduler.Scheduler) error {
				cs, err := svc.Contracts(ctx, firstArg(args))
				if err != nil {
					return err
				}
				return e.emit(asJSON, cs, func(w io.Writer) error {
					tw := newTable(w, "ID\tCLIENT\tAMOUNT\tANCHOR\tSTART\tEND\tDESCRIPTION")
					for _, c := range cs {
						fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%s\t%s\t%s\n", c.ID, c.ClientID, contractAmount(c), c.AnchorDay, c.Start, dash(c.End), c.Description)
					}
					return tw.Flush()
				})
			})
		},
	}
	jsonFlag(list, &asJSON)
	show := &cobra.Command{
		Use: "show ID", Short: "Show a contract", Args: cobra.ExactArgs(1),
		RunE: func(_ *cobra.Command, args []string) error {
			return e.withBilling(func(ctx context.Context, svc *billing.Service, _ *scheduler.Scheduler) error {
				c, err := svc.Contract(ctx, args[0])
				if err != nil {
					return err
				}
				return e.emit(asJSON, c, func(w io.Writer) error { return e.printContract(w, c) })
			})
		},
	}
	jsonFlag(show, &asJSON)
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

// printContract is `turno contracts show` as text.
func (e *env) printContract(w io.Writer, c *billing.Contract) error {
	amount := contractAmount(*c)
	if c.Exempt {
		amount += " (exempt from IVA)"
	}
	_, err := fmt.Fprintf(w, "Contract     %s\nClient       %s\nDescription  %s\nAmount       %s\nBilling day  %d\nBills        from %s to %s\nActive       %s\nSupport tier %s\nCreated      %s\n",
		c.ID, c.ClientID, c.Description, amount, c.AnchorDay, c.Start, orElse(c.End, "(no end)"), yesNo(c.Active),
		dash(c.SupportTier), e.when(c.CreatedAt))
	return err
}

// contractAmount is a contract's monthly net amount as an operator reads
// it: pesos, or UF with its three decimals (2500 thousandths: "2.500 UF").
func contractAmount(c billing.Contract) string {
	if c.Currency == billing.UF {
		return fmt.Sprintf("%d.%03d UF", c.Amount/1000, c.Amount%1000)
	}
	return fmt.Sprintf("%d %s", c.Amount, c.Currency)
}

func dash(s string) string { return orElse(s, "-") }

func orElse(s, alt string) string {
	if s == "" {
		return alt
	}
	return s
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}
