package cli

import (
	"context"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"turno/billing"
	"turno/scheduler"
)

func newJobsCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{Use: "jobs", Short: "Scheduled jobs: list, history, run"}
	var asJSON bool
	list := &cobra.Command{
		Use: "list", Short: "List the scheduled jobs", Args: cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			return e.withBilling(func(_ context.Context, _ *billing.Service, s *scheduler.Scheduler) error {
				type job struct {
					Name     string `json:"name"`
					Hour     int    `json:"hour"`
					TimeZone string `json:"time_zone"`
				}
				jobs := []job{}
				for _, j := range s.Jobs() {
					jobs = append(jobs, job{j.Name, j.Hour, s.Location().String()})
				}
				return e.emit(asJSON, jobs, func(w io.Writer) error {
					if len(jobs) == 0 {
						_, err := fmt.Fprintln(w, "no jobs: billing needs the clients registry and the outbox wired")
						return err
					}
					tw := newTable(w, "JOB\tRUNS")
					for _, j := range jobs {
						fmt.Fprintf(tw, "%s\tdaily at %02d:00 %s\n", j.Name, j.Hour, j.TimeZone)
					}
					return tw.Flush()
				})
			})
		},
	}
	jsonFlag(list, &asJSON)
	var limit int
	history := &cobra.Command{
		Use: "history [JOB]", Short: "Show recorded runs, newest first", Args: cobra.MaximumNArgs(1),
		RunE: func(_ *cobra.Command, args []string) error {
			return e.withBilling(func(ctx context.Context, _ *billing.Service, s *scheduler.Scheduler) error {
				runs, err := s.History(ctx, firstArg(args), limit)
				if err != nil {
					return err
				}
				return e.emit(asJSON, runs, func(w io.Writer) error {
					tw := newTable(w, "JOB\tDATE\tTRIGGER\tSTATUS\tATTEMPTS\tFAILURES\tSTARTED\tTOOK\tCOUNTS\tERROR")
					for _, r := range runs {
						took := "-"
						if !r.Ended.IsZero() {
							took = r.Ended.Sub(r.Started).Round(time.Millisecond).String()
						}
						fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\t%d\t%s\t%s\t%s\t%s\n", r.Job, r.Date, r.Trigger, r.Status, r.Attempts, r.Failures,
							e.when(r.Started), took, counts(r.Counts), r.Error)
					}
					return tw.Flush()
				})
			})
		},
	}
	history.Flags().IntVar(&limit, "limit", 50, "how many runs")
	jsonFlag(history, &asJSON)
	cmd.AddCommand(list, history, newJobsRunCmd(e))
	return cmd
}

func newJobsRunCmd(e *env) *cobra.Command {
	var day string
	var dry, force bool
	run := &cobra.Command{
		Use:   "run NAME",
		Short: "Run a job now for a business date (--dry-run: print, change nothing)",
		Long: `Run a job now for a business date, today's by default (in the business time
zone). A job run for a later date acts as if that day had come and mails now
(collection notes count the days to the due date from it), so a future
--date is refused unless --force; --dry-run may look ahead freely.`,
		Args: cobra.ExactArgs(1),
		RunE: func(_ *cobra.Command, args []string) error {
			if _, err := e.load(); err != nil {
				return err
			}
			today := e.today()
			d := today
			if day != "" {
				var err error
				if d, err = scheduler.ParseDate(day); err != nil {
					return err
				}
			}
			if today.Before(d) && !dry && !force {
				return fmt.Errorf("--date %s is after today (%s in %s): a run for a future date mails now as if that day had come; "+
					"preview it with --dry-run, or run it anyway with --force", d, today, e.zone)
			}
			return e.withBilling(func(ctx context.Context, _ *billing.Service, s *scheduler.Scheduler) error {
				return s.RunNow(ctx, args[0], scheduler.Run{Date: d, DryRun: dry, Out: e.stdout})
			})
		},
	}
	run.Flags().StringVar(&day, "date", "", "business date YYYY-MM-DD (default today)")
	run.Flags().BoolVar(&dry, "dry-run", false, "print what it would do and change nothing")
	run.Flags().BoolVar(&force, "force", false, "run for a business date after today")
	return run
}

// counts is a run's counts as text: "held=1 invoiced=3", by name.
func counts(m map[string]int) string {
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(m)) {
		parts = append(parts, fmt.Sprintf("%s=%d", k, m[k]))
	}
	return orElse(strings.Join(parts, " "), "-")
}
