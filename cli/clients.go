package cli

import (
	"context"
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"turno/clients"
	"turno/daemon"
	"turno/store"
)

// withRegistry opens the database and builds the clients registry; with
// mail it also builds an outbox (not started: `turno serve` delivers what
// is enqueued here). timeout 0 means none (imports).
func (e *env) withRegistry(mail bool, timeout time.Duration, fn func(ctx context.Context, r *clients.Registry) error) error {
	cfg, err := e.load()
	if err != nil {
		return err
	}
	ctx := context.Background()
	if timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, timeout)
		defer cancel()
	}
	log := e.logger(cfg)
	st, err := store.Open(ctx, daemon.StoreOptions(cfg, log))
	if err != nil {
		return err
	}
	defer func() { _ = st.Close(context.Background()) }()
	if err := store.EnsureIndexes(ctx, st.DB, clients.Indexes()); err != nil {
		return err
	}
	opts := clients.Options{DB: st.DB, Logger: log, Access: daemon.AccessOptions(cfg)}
	if mail {
		ob, err := daemon.NewOutbox(ctx, cfg, st.DB, log)
		if err != nil {
			return err
		}
		opts.Mailer = ob
	}
	reg := clients.New(opts)
	followClientChanges(reg, st, log)
	return fn(ctx, reg)
}

// who names the operator in the audit trail: --by, else $USER, else "cli".
func (e *env) who(by string) string {
	if by != "" {
		return by
	}
	for _, kv := range e.environ {
		if u, ok := strings.CutPrefix(kv, "USER="); ok && u != "" {
			return u
		}
	}
	return "cli"
}

type clientFlags struct {
	asJSON bool
	by     string
}

func newClientsCmd(e *env) *cobra.Command {
	var cf clientFlags
	cmd := &cobra.Command{Use: "clients", Short: "Manage clients (fichas de cliente)",
		Long: `Add, show, edit, list, import and export clients, and send their access mail.
Field names for --set are the CSV columns of "turno clients export".`}
	cmd.PersistentFlags().BoolVar(&cf.asJSON, "json", false, "print JSON")
	cmd.PersistentFlags().StringVar(&cf.by, "by", "", "who makes the change, for the audit trail (default $USER)")
	for _, add := range []func(*env, *clientFlags) *cobra.Command{
		newClientsAddCmd, newClientsShowCmd, newClientsEditCmd, newClientsActiveCmd(false), newClientsActiveCmd(true),
		newClientsListCmd, newClientsBulkEditCmd, newClientsImportCmd, newClientsExportCmd,
		newClientsMailCmd("password"), newClientsMailCmd("welcome"), newClientsMailCmd("request-data"),
	} {
		cmd.AddCommand(add(e, &cf))
	}
	return cmd
}

func parseSets(sets []string) ([]clients.Assignment, error) {
	var out []clients.Assignment
	for _, s := range sets {
		a, err := clients.ParseAssignment(s)
		if err != nil {
			return nil, fmt.Errorf("--set %w", err)
		}
		out = append(out, a)
	}
	return out, nil
}

func (e *env) printClient(cf *clientFlags, c clients.Client) error {
	if cf.asJSON {
		return printJSON(e.stdout, c)
	}
	tw := tabwriter.NewWriter(e.stdout, 2, 4, 2, ' ', 0)
	for _, col := range clients.Columns {
		if col.Get != nil {
			fmt.Fprintf(tw, "%s:\t%s\n", col.Name, col.Get(&c))
		}
	}
	for _, p := range c.Billing.Check() {
		fmt.Fprintf(tw, "billing problem:\t%s\n", p.Message)
	}
	return tw.Flush()
}

func newClientsAddCmd(e *env, cf *clientFlags) *cobra.Command {
	var name, email string
	var sets []string
	var noWelcome bool
	cmd := &cobra.Command{
		Use: "add ID --name NAME --email EMAIL [--set field=value]...", Short: "Add a client and mail its welcome",
		Long: `Add a client and mail its welcome (access) message.

A new client is active, gets every kind of mail, and is not billed until
billing is turned on: add --set billing_enabled=true (or edit it later).
Billing also needs complete billing data (razon_social, tax_id, giro,
domicilio, billing_comuna, billing_ciudad); what is missing is listed.`,
		Args: cobra.ExactArgs(1),
		RunE: func(_ *cobra.Command, args []string) error {
			as, err := parseSets(sets)
			if err != nil {
				return err
			}
			c := clients.NewClient(args[0], name, email)
			if err := clients.Apply(&c, as); err != nil {
				return err
			}
			return e.withRegistry(!noWelcome, time.Minute, func(ctx context.Context, r *clients.Registry) error {
				c, err := r.Add(ctx, c, e.who(cf.by))
				if err != nil {
					return err
				}
				if !noWelcome {
					if _, err := r.Welcome(ctx, c.ID, e.who(cf.by)); err != nil {
						fmt.Fprintf(e.stderr, "turno: client %s added, but the welcome mail was not queued: %v\n", c.ID, err)
					}
				}
				e.billingOffHint(c)
				return e.printClient(cf, c)
			})
		},
	}
	cmd.Flags().StringVar(&name, "name", "", "client name (required)")
	cmd.Flags().StringVar(&email, "email", "", "principal address: the login, unique across clients (required)")
	cmd.Flags().StringArrayVar(&sets, "set", nil, "field=value, as the export's columns (repeatable)")
	cmd.Flags().BoolVar(&noWelcome, "no-welcome", false, "do not mail the welcome (access) message")
	return cmd
}

// billingOffHint tells the operator, on stderr (stdout may be JSON), that a
// client whose billing data are complete will still not be invoiced
// because billing is off, the default for a new client.
func (e *env) billingOffHint(c clients.Client) {
	if c.BillingEnabled || len(c.Billing.Check()) > 0 {
		return
	}
	fmt.Fprintf(e.stderr, "turno: client %s has complete billing data but billing is off (billing_enabled=false), "+
		"so no invoice will be issued; to bill it: turno clients edit %s --set billing_enabled=true\n", c.ID, c.ID)
}

func newClientsShowCmd(e *env, cf *clientFlags) *cobra.Command {
	var audit bool
	cmd := &cobra.Command{
		Use: "show ID", Short: "Show a client, its contacts and billing problems", Args: cobra.ExactArgs(1),
		RunE: func(_ *cobra.Command, args []string) error {
			return e.withRegistry(false, time.Minute, func(ctx context.Context, r *clients.Registry) error {
				c, err := r.Get(ctx, args[0])
				if err != nil {
					return err
				}
				cs, err := r.Contacts(ctx, c.ID)
				if err != nil {
					return err
				}
				var trail []clients.AuditEntry
				if audit {
					if trail, err = r.Audit(ctx, c.ID); err != nil {
						return err
					}
				}
				if cf.asJSON {
					return printJSON(e.stdout, map[string]any{"client": c, "contacts": cs,
						"billing_problems": c.Billing.Check(), "audit": trail})
				}
				if err := e.printClient(cf, *c); err != nil {
					return err
				}
				for _, x := range cs {
					fmt.Fprintf(e.stdout, "contact:  %s %s %s\n", x.Role, x.Address, x.Name)
				}
				for _, a := range trail {
					fmt.Fprintf(e.stdout, "audit:    v%d %s %s %s %s: %q -> %q\n", a.Version, a.At.Format(time.RFC3339), a.By, a.Action, a.Field, a.Old, a.New)
				}
				return nil
			})
		},
	}
	cmd.Flags().BoolVar(&audit, "audit", false, "also print the audit trail")
	return cmd
}

func newClientsEditCmd(e *env, cf *clientFlags) *cobra.Command {
	var sets []string
	cmd := &cobra.Command{
		Use: "edit ID --set field=value...", Short: "Change fields of a client (audited)", Args: cobra.ExactArgs(1),
		RunE: func(_ *cobra.Command, args []string) error {
			as, err := parseSets(sets)
			if err != nil || len(as) == 0 {
				return fmt.Errorf("edit needs at least one --set field=value %v", err)
			}
			return e.withRegistry(false, time.Minute, func(ctx context.Context, r *clients.Registry) error {
				c, err := r.Edit(ctx, args[0], e.who(cf.by), func(c *clients.Client) error { return clients.Apply(c, as) })
				if err != nil {
					return err
				}
				return e.printClient(cf, c)
			})
		},
	}
	cmd.Flags().StringArrayVar(&sets, "set", nil, "field=value (repeatable)")
	return cmd
}

func newClientsActiveCmd(active bool) func(*env, *clientFlags) *cobra.Command {
	use, short := "deactivate ID", "Deactivate a client (clients are never deleted)"
	if active {
		use, short = "reactivate ID", "Reactivate a client"
	}
	return func(e *env, cf *clientFlags) *cobra.Command {
		return &cobra.Command{Use: use, Short: short, Args: cobra.ExactArgs(1),
			RunE: func(_ *cobra.Command, args []string) error {
				return e.withRegistry(false, time.Minute, func(ctx context.Context, r *clients.Registry) error {
					c, err := r.SetActive(ctx, args[0], e.who(cf.by), active)
					if err != nil {
						return err
					}
					return e.printClient(cf, c)
				})
			}}
	}
}
