package cli

import (
	"context"
	"fmt"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"turno/clients"
)

// filterFlags are the list/export filters, the seed systems' "advanced search".
type filterFlags struct {
	active, billing, zone, seller, collector, tier, taxCondition, search string
}

func (ff *filterFlags) add(cmd *cobra.Command) {
	fs := cmd.Flags()
	fs.StringVar(&ff.active, "active", "", "true: active clients only; false: deactivated only")
	fs.StringVar(&ff.billing, "billing-complete", "", "true or false: whether billing data are complete")
	fs.StringVar(&ff.zone, "zone", "", "zone")
	fs.StringVar(&ff.seller, "seller", "", "seller")
	fs.StringVar(&ff.collector, "collector", "", "collector")
	fs.StringVar(&ff.tier, "tier", "", "support tier")
	fs.StringVar(&ff.taxCondition, "tax-condition", "", "tax condition")
	fs.StringVar(&ff.search, "search", "", "text in the ID, name, razón social, email or tax ID")
}

func (ff *filterFlags) filter() (clients.Filter, error) {
	var terms []string
	for _, kv := range []struct{ k, v string }{
		{"active", ff.active}, {"billing_complete", ff.billing}, {"zone", ff.zone}, {"seller", ff.seller},
		{"collector", ff.collector}, {"tier", ff.tier}, {"tax_condition", ff.taxCondition}, {"search", ff.search},
	} {
		if kv.v != "" {
			terms = append(terms, kv.k+"="+kv.v)
		}
	}
	return clients.ParseFilter(terms)
}

func newClientsListCmd(e *env, cf *clientFlags) *cobra.Command {
	var ff filterFlags
	cmd := &cobra.Command{
		Use: "list [filters]", Short: "List clients", Args: cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			f, err := ff.filter()
			if err != nil {
				return err
			}
			return e.withRegistry(false, 5*time.Minute, func(ctx context.Context, r *clients.Registry) error {
				cs, err := r.List(ctx, f)
				if err != nil {
					return err
				}
				if cf.asJSON {
					if cs == nil {
						cs = []clients.Client{}
					}
					return printJSON(e.stdout, cs)
				}
				tw := tabwriter.NewWriter(e.stdout, 2, 4, 2, ' ', 0)
				fmt.Fprintln(tw, "ID\tNAME\tEMAIL\tTAX ID\tZONE\tACTIVE\tBILLING")
				for _, c := range cs {
					billing := "complete"
					if n := len(c.Billing.Check()); n > 0 {
						billing = fmt.Sprintf("%d missing", n)
					}
					fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%v\t%s\n", c.ID, c.Name, c.Email, c.Billing.TaxID, c.Zone, c.Active, billing)
				}
				return tw.Flush()
			})
		},
	}
	ff.add(cmd)
	return cmd
}

func newClientsBulkEditCmd(e *env, cf *clientFlags) *cobra.Command {
	var filters, sets []string
	var dryRun bool
	cmd := &cobra.Command{
		Use:   "bulk-edit --filter key=value... --set field=value... [--dry-run]",
		Short: "Set fields on every client a filter selects (audited)",
		Long: `Set the same fields on every client the filter selects. Filter keys: active,
billing_complete, zone, seller, collector, tier, tax_condition, search. With
--dry-run it prints how many and which clients would change, and changes nothing.`,
		Args: cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			f, err := clients.ParseFilter(filters)
			if err != nil {
				return err
			}
			as, err := parseSets(sets)
			if err != nil {
				return err
			}
			return e.withRegistry(false, 0, func(ctx context.Context, r *clients.Registry) error {
				res, err := r.BulkEdit(ctx, f, as, e.who(cf.by), dryRun)
				if err != nil {
					return err
				}
				if cf.asJSON {
					return printJSON(e.stdout, map[string]any{"dry_run": dryRun, "result": res})
				}
				verb := "changed"
				if dryRun {
					verb = "would change"
				}
				fmt.Fprintf(e.stdout, "%d clients matched; %s %d:\n", res.Matched, verb, len(res.Changed))
				for _, id := range res.Changed {
					fmt.Fprintf(e.stdout, "  %s\n", id)
				}
				for id, why := range res.Failed {
					fmt.Fprintf(e.stdout, "not changed %s: %s\n", id, why)
				}
				return nil
			})
		},
	}
	cmd.Flags().StringArrayVar(&filters, "filter", nil, "key=value (repeatable; all must match)")
	cmd.Flags().StringArrayVar(&sets, "set", nil, "field=value (repeatable)")
	cmd.Flags().BoolVar(&dryRun, "dry-run", false, "show what would change; change nothing")
	return cmd
}
