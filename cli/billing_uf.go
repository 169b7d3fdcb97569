package cli

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/spf13/cobra"

	"turno/billing"
	"turno/scheduler"
)

// newUFCmd is `turno billing uf`: the UF's daily peso value that prices UF
// contracts on each invoice's issue date.
func newUFCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{Use: "uf", Short: "Record and list the UF's value per date (prices UF contracts)"}
	set := &cobra.Command{
		Use:   "set DATE VALUE",
		Short: "Record the UF's peso value on DATE (YYYY-MM-DD), e.g. 39876.54 or 39.876,54",
		Args:  cobra.ExactArgs(2),
		RunE: func(_ *cobra.Command, args []string) error {
			d, err := scheduler.ParseDate(args[0])
			if err != nil {
				return err
			}
			cents, err := billing.ParseUFValue(args[1])
			if err != nil {
				return err
			}
			return e.withBilling(func(ctx context.Context, svc *billing.Service, _ *scheduler.Scheduler) error {
				if err := svc.SetUFRate(ctx, d, cents, "cli"); err != nil {
					return err
				}
				fmt.Fprintf(e.stdout, "UF %s = $%.2f\n", d, float64(cents)/100)
				return nil
			})
		},
	}
	var from, to string
	var asJSON bool
	list := &cobra.Command{
		Use: "list", Short: "List recorded UF values (default: the last 31 days)", Args: cobra.NoArgs,
		RunE: func(_ *cobra.Command, _ []string) error {
			if _, _, err := ufRange(from, to, time.UTC); err != nil {
				return err // bad input: refused before the store is opened
			}
			return e.withBilling(func(ctx context.Context, svc *billing.Service, s *scheduler.Scheduler) error {
				fd, td, _ := ufRange(from, to, s.Location())
				rates, err := svc.UFRates(ctx, fd, td)
				if err != nil {
					return err
				}
				return e.emit(asJSON, rates, func(w io.Writer) error {
					tw := newTable(w, "DATE\tVALUE\tSOURCE\tSET AT")
					for _, r := range rates {
						fmt.Fprintf(tw, "%s\t%.2f\t%s\t%s\n", r.Date, r.Value(), r.Source, e.when(r.SetAt))
					}
					return tw.Flush()
				})
			})
		},
	}
	list.Flags().StringVar(&from, "from", "", "first date, YYYY-MM-DD")
	list.Flags().StringVar(&to, "to", "", "last date, YYYY-MM-DD (default today)")
	jsonFlag(list, &asJSON)
	cmd.AddCommand(set, list)
	return cmd
}

// ufRange is --from..--to; --to defaults to today in the business time
// zone, --from to 31 days before --to.
func ufRange(from, to string, loc *time.Location) (scheduler.Date, scheduler.Date, error) {
	td := scheduler.DateOf(time.Now(), loc)
	if to != "" {
		d, err := scheduler.ParseDate(to)
		if err != nil {
			return td, td, fmt.Errorf("--to: %w", err)
		}
		td = d
	}
	fd := td.AddDays(-31)
	if from != "" {
		d, err := scheduler.ParseDate(from)
		if err != nil {
			return fd, td, fmt.Errorf("--from: %w", err)
		}
		fd = d
	}
	if td.Before(fd) {
		return fd, td, fmt.Errorf("--from %s is after --to %s", fd, td)
	}
	return fd, td, nil
}
