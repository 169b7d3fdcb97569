package cli

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"turno/clients"
	"turno/daemon"
	"turno/mailout"
	"turno/store"
)

// withStore opens the configured database for one admin command.
func (e *env) withStore(fn func(ctx context.Context, st *store.Store) error) error {
	cfg, err := e.load()
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	st, err := store.Open(ctx, daemon.StoreOptions(cfg, e.logger(cfg)))
	if err != nil {
		return err
	}
	defer func() { _ = st.Close(context.Background()) }()
	return fn(ctx, st)
}

func newOutboxCmd(e *env) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{Use: "outbox", Short: "Inspect and steer outgoing mail"}
	cmd.PersistentFlags().BoolVar(&asJSON, "json", false, "print one JSON document instead of text")

	var state string
	var limit int
	list := &cobra.Command{
		Use: "list", Short: "List outbox entries, newest first", Args: cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			return e.withStore(func(ctx context.Context, st *store.Store) error {
				es, err := mailout.List(ctx, st.DB, mailout.ListOptions{State: mailout.State(state), Limit: limit})
				if err != nil {
					return err
				}
				return e.emit(asJSON, es, func(w io.Writer) error {
					tw := newTable(w, "ID\tSTATE\tTEMPLATE\tTO\tATTEMPTS\tCREATED\tLAST ERROR")
					for _, x := range es {
						fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\t%s\t%s\n", x.ID, x.State, x.Template, strings.Join(x.To, ","),
							x.Attempts, e.when(x.CreatedAt), x.LastError)
					}
					return tw.Flush()
				})
			})
		},
	}
	list.Flags().StringVar(&state, "state", "", "only entries in this state (queued, sending, retry, sent, failed, suppressed, cancelled)")
	list.Flags().IntVar(&limit, "limit", 50, "at most this many entries")

	show := &cobra.Command{
		Use: "show ID", Short: "Show one outbox entry", Args: cobra.ExactArgs(1),
		RunE: func(_ *cobra.Command, args []string) error {
			return e.withStore(func(ctx context.Context, st *store.Store) error {
				x, err := mailout.Get(ctx, st.DB, args[0])
				if err != nil {
					return err
				}
				if x.Sensitive {
					x.Data = "(sensitive: not shown)"
				}
				return e.emit(asJSON, x, func(w io.Writer) error {
					fmt.Fprintf(w, "id:           %s\nstate:        %s\ntemplate:     %s (%s)\nto:           %s\ncc:           %s\nmessage-id:   %s\ncreated:      %s\nattempts:     %d\n",
						x.ID, x.State, x.Template, x.Lang, strings.Join(x.To, ", "), strings.Join(x.Cc, ", "), x.MessageID,
						e.when(x.CreatedAt), x.Attempts)
					if x.Ambiguous > 0 {
						// Attempts whose whole message went out and no reply
						// came: each may have delivered it (mailout doc.go).
						fmt.Fprintf(w, "ambiguous:    %d (sent in full, no reply from the relay: may have arrived more than once)\n", x.Ambiguous)
					}
					fmt.Fprintf(w, "next attempt: %s\nsent:         %s\nlast error:   %s\nrelay:        %s\n",
						e.when(x.NextAttemptAt), e.when(x.SentAt), x.LastError, x.Relay)
					for _, r := range x.Recipients {
						fmt.Fprintf(w, "recipient:    %s %s %s\n", r.Address, r.State, r.Reply)
					}
					return nil
				})
			})
		},
	}
	retry := &cobra.Command{
		Use: "retry ID", Short: "Send a failed or waiting entry again now", Args: cobra.ExactArgs(1),
		RunE: func(_ *cobra.Command, args []string) error {
			return e.withStore(func(ctx context.Context, st *store.Store) error {
				if err := mailout.Retry(ctx, st.DB, args[0], time.Now()); err != nil {
					return err
				}
				return e.done(asJSON, "retry", args[0])
			})
		},
	}
	cancel := &cobra.Command{
		Use: "cancel ID", Short: "Stop a queued or retrying entry from being sent", Args: cobra.ExactArgs(1),
		RunE: func(_ *cobra.Command, args []string) error {
			cfg, err := e.load()
			if err != nil {
				return err
			}
			return e.withStore(func(ctx context.Context, st *store.Store) error {
				// Refused with mailout.ErrSending ("already being sent",
				// exit 1) when a sender holds the entry.
				// A cancelled password or welcome mail is purged and its
				// secret revoked in the client registry.
				reg := clients.New(clients.Options{DB: st.DB, Logger: e.logger(cfg), Access: daemon.AccessOptions(cfg)})
				if err := mailout.Cancel(ctx, st.DB, args[0], time.Now(), cfg.Outbox.Lease.D(), reg); err != nil {
					return err
				}
				return e.done(asJSON, "cancel", args[0])
			})
		},
	}
	cmd.AddCommand(list, show, retry, cancel, newSuppressionsCmd(e, &asJSON))
	return cmd
}

func (e *env) done(asJSON bool, action, id string) error {
	if asJSON {
		return printJSON(e.stdout, map[string]string{"action": action, "id": id, "result": "ok"})
	}
	fmt.Fprintf(e.stdout, "%s %s: ok\n", action, id)
	return nil
}

func newSuppressionsCmd(e *env, asJSON *bool) *cobra.Command {
	cmd := &cobra.Command{Use: "suppressions", Short: "Addresses marked undeliverable"}
	list := &cobra.Command{
		Use: "list", Short: "List suppressed addresses", Args: cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			return e.withStore(func(ctx context.Context, st *store.Store) error {
				ss, err := mailout.ListSuppressions(ctx, st.DB)
				if err != nil {
					return err
				}
				return e.emit(*asJSON, ss, func(w io.Writer) error {
					tw := newTable(w, "ADDRESS\tSOURCE\tSINCE\tREASON")
					for _, s := range ss {
						fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", s.Address, s.Source, e.when(s.CreatedAt), s.Reason)
					}
					return tw.Flush()
				})
			})
		},
	}
	clear := &cobra.Command{
		Use: "clear ADDR", Short: "Let mail go to an address again", Args: cobra.ExactArgs(1),
		RunE: func(_ *cobra.Command, args []string) error {
			return e.withStore(func(ctx context.Context, st *store.Store) error {
				ok, err := mailout.ClearSuppression(ctx, st.DB, args[0])
				if err != nil {
					return err
				}
				if !ok {
					return fmt.Errorf("%s is not suppressed", args[0])
				}
				addressCleared(ctx, st, e.logger(cfgOrDefault(e)), args[0])
				return e.done(*asJSON, "clear", args[0])
			})
		},
	}
	cmd.AddCommand(list, clear)
	return cmd
}
