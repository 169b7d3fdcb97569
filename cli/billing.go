package cli

import (
	"context"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"turno/billing"
	"turno/clients"
	"turno/clock"
	"turno/daemon"
	"turno/scheduler"
	"turno/store"
)

// withBilling opens the database and runs fn with the billing service and
// the scheduler, as `turno serve` builds them.
func (e *env) withBilling(fn func(ctx context.Context, svc *billing.Service, s *scheduler.Scheduler) error) error {
	cfg, err := e.load()
	if err != nil {
		return err
	}
	ctx := context.Background()
	log := e.logger(cfg)
	st, err := store.Open(ctx, daemon.StoreOptions(cfg, log))
	if err != nil {
		return err
	}
	defer st.Close(context.WithoutCancel(ctx))
	if err := store.EnsureIndexes(ctx, st.DB, daemon.Indexes()); err != nil {
		return err
	}
	ob, err := daemon.NewOutbox(ctx, cfg, st.DB, log)
	if err != nil {
		return err
	}
	reg := clients.New(clients.Options{DB: st.DB, Logger: log, Mailer: ob, Access: daemon.AccessOptions(cfg)})
	svc, sched, err := daemon.BillingParts(daemon.Options{Config: cfg, Logger: log, Clock: clock.Real{}}, st, reg, ob)
	if err != nil {
		return err
	}
	return fn(ctx, svc, sched)
}

func newBillingCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{Use: "billing", Short: "Billing holds and releases"}
	var asJSON bool
	holds := &cobra.Command{
		Use:   "holds [CLIENT]",
		Short: "List periods held because of incomplete billing data",
		Args:  cobra.MaximumNArgs(1),
		RunE: func(_ *cobra.Command, args []string) error {
			return e.withBilling(func(ctx context.Context, svc *billing.Service, _ *scheduler.Scheduler) error {
				hs, err := svc.Holds(ctx, firstArg(args))
				if err != nil {
					return err
				}
				return e.emit(asJSON, hs, func(w io.Writer) error {
					if len(hs) == 0 {
						_, err := fmt.Fprintln(w, "no held periods")
						return err
					}
					tw := newTable(w, "CLIENT\tCONTRACT\tPERIOD\tHELD ON\tSTATUS\tBILLED ON\tMISSING")
					for _, h := range hs {
						fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", h.ClientID, h.ContractID, h.Period, h.Date,
							h.Status, dash(h.BilledOn), strings.Join(h.Reasons, ", "))
					}
					return tw.Flush()
				})
			})
		},
	}
	jsonFlag(holds, &asJSON)
	cmd.AddCommand(holds, &cobra.Command{
		Use:   "release CLIENT",
		Short: "Bill a client's held periods now that its billing data are complete",
		Args:  cobra.ExactArgs(1),
		RunE: func(_ *cobra.Command, args []string) error {
			return e.withBilling(func(ctx context.Context, svc *billing.Service, _ *scheduler.Scheduler) error {
				n, err := svc.Release(ctx, args[0])
				if err != nil {
					return err
				}
				fmt.Fprintf(e.stdout, "released %d held periods\n", n["released"])
				return nil
			})
		},
	}, newUFCmd(e), newUndeliverableCmd(e))
	return cmd
}

func firstArg(args []string) string {
	if len(args) > 0 {
		return args[0]
	}
	return ""
}

func parseNumber(s string) (int64, error) {
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n <= 0 {
		return 0, fmt.Errorf("invoice number %q: want a positive integer", s)
	}
	return n, nil
}
