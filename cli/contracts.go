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
	cmd := &cobra.Command{Use: "contracts", Short: "Add, list, show and end contracts; add-ons and one-off charges"}
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
	var ch billing.Charge
	charge := &cobra.Command{
		Use:   "charge ID",
		Short: "Queue a one-off charge (pesos) on a contract's next invoice",
		Long: `Queue a one-off charge on the contract's next invoice, as a line of its
own (installation, a technical visit…). It is billed once: the next invoice
lists it and it leaves the queue. --key makes a repeat of the command queue
it once (default: a new charge each time).`,
		Args: cobra.ExactArgs(1),
		RunE: func(_ *cobra.Command, args []string) error {
			return e.withBilling(func(ctx context.Context, svc *billing.Service, _ *scheduler.Scheduler) error {
				got, err := svc.AddCharge(ctx, args[0], ch)
				if err != nil {
					return err
				}
				return e.emit(asJSON, got, func(w io.Writer) error {
					_, err := fmt.Fprintf(w, "charge %s of %d queued on contract %s for its next invoice\n", got.ID, got.Amount, args[0])
					return err
				})
			})
		},
	}
	cf := charge.Flags()
	cf.Int64Var(&ch.Amount, "amount", 0, "amount in pesos, before IVA (required)")
	cf.StringVar(&ch.Description, "description", "", "printed on the invoice (required)")
	cf.BoolVar(&ch.Exempt, "exempt", false, "exempt from IVA")
	cf.StringVar(&ch.ID, "key", "", "idempotency key: the same key queues the charge once")
	jsonFlag(charge, &asJSON)
	var addon billing.ContractLine
	addonCmd := &cobra.Command{
		Use:   "addon ID",
		Short: "Add a recurring line (an add-on) to a contract, billed every period with the plan",
		Args:  cobra.ExactArgs(1),
		RunE: func(_ *cobra.Command, args []string) error {
			return e.withBilling(func(ctx context.Context, svc *billing.Service, _ *scheduler.Scheduler) error {
				if err := svc.AddAddon(ctx, args[0], addon); err != nil {
					return err
				}
				fmt.Fprintf(e.stdout, "add-on added to contract %s\n", args[0])
				return nil
			})
		},
	}
	af := addonCmd.Flags()
	af.Int64Var(&addon.Amount, "amount", 0, "amount per period in the contract's currency: pesos, or thousandths of a UF")
	af.StringVar(&addon.Description, "description", "", "printed on the invoice")
	af.BoolVar(&addon.Exempt, "exempt", false, "exempt from IVA")
	af.StringVar(&addon.ID, "id", "", "the add-on's ID (default a1, a2…)")
	cmd.AddCommand(add, list, show, end, charge, addonCmd)
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
	for _, a := range c.Addons {
		fmt.Fprintf(w, "Add-on       %s  %s  %s%s\n", a.ID, a.Description, contractAmount(billing.Contract{Currency: c.Currency, Amount: a.Amount}), exemptMark(a.Exempt))
	}
	for _, ch := range c.Charges {
		fmt.Fprintf(w, "Queued       %s  %s  %d CLP%s (next invoice)\n", ch.ID, ch.Description, ch.Amount, exemptMark(ch.Exempt))
	}
	return err
}

func exemptMark(b bool) string {
	if b {
		return " (exempt)"
	}
	return ""
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
