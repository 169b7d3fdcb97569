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

func newJobsCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{Use: "jobs", Short: "Scheduled jobs: list, history, run"}
	list := &cobra.Command{
		Use: "list", Short: "List the scheduled jobs", Args: cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			return e.withBilling(func(_ context.Context, _ *billing.Service, s *scheduler.Scheduler) error {
				for _, j := range s.Jobs() {
					fmt.Fprintf(e.stdout, "%s\tdaily at %02d:00 %s\n", j.Name, j.Hour, s.Location())
				}
				if len(s.Jobs()) == 0 {
					fmt.Fprintln(e.stdout, "no jobs: billing needs the clients registry and the outbox wired")
				}
				return nil
			})
		},
	}
	var limit int
	history := &cobra.Command{
		Use: "history [JOB]", Short: "Show recorded runs, newest first", Args: cobra.MaximumNArgs(1),
		RunE: func(_ *cobra.Command, args []string) error {
			return e.withBilling(func(ctx context.Context, _ *billing.Service, s *scheduler.Scheduler) error {
				runs, err := s.History(ctx, firstArg(args), limit)
				if err != nil {
					return err
				}
				w := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
				fmt.Fprintln(w, "JOB\tDATE\tTRIGGER\tSTATUS\tATTEMPTS\tSTARTED\tTOOK\tCOUNTS\tERROR")
				for _, r := range runs {
					took := ""
					if !r.Ended.IsZero() {
						took = r.Ended.Sub(r.Started).Round(time.Millisecond).String()
					}
					fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%d\t%s\t%s\t%v\t%s\n", r.Job, r.Date, r.Trigger, r.Status, r.Attempts,
						r.Started.Format(time.RFC3339), took, r.Counts, r.Error)
				}
				return w.Flush()
			})
		},
	}
	history.Flags().IntVar(&limit, "limit", 50, "how many runs")
	var day string
	var dry bool
	run := &cobra.Command{
		Use: "run NAME", Short: "Run a job now for a business date (--dry-run: print, change nothing)", Args: cobra.ExactArgs(1),
		RunE: func(_ *cobra.Command, args []string) error {
			return e.withBilling(func(ctx context.Context, _ *billing.Service, s *scheduler.Scheduler) error {
				d := scheduler.DateOf(time.Now(), s.Location())
				if day != "" {
					var err error
					if d, err = scheduler.ParseDate(day); err != nil {
						return err
					}
				}
				return s.RunNow(ctx, args[0], scheduler.Run{Date: d, DryRun: dry, Out: e.stdout})
			})
		},
	}
	run.Flags().StringVar(&day, "date", "", "business date YYYY-MM-DD (default today)")
	run.Flags().BoolVar(&dry, "dry-run", false, "print what it would do and change nothing")
	cmd.AddCommand(list, history, run)
	return cmd
}
