package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"turno/agents"
	"turno/store"
)

// withAgents opens the database and builds the agents service with the
// departments the configuration names (as the daemon does).
func (e *env) withAgents(fn func(ctx context.Context, s *agents.Service) error) error {
	cfg, err := e.load()
	if err != nil {
		return err
	}
	return e.withStore(func(ctx context.Context, st *store.Store) error {
		s, err := agents.New(agents.Options{DB: st.DB, Departments: agents.DepartmentsFromConfig(cfg),
			Logger: e.logger(cfg)})
		if err != nil {
			return err
		}
		return fn(ctx, s)
	})
}

func newAgentsCmd(e *env) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{Use: "agents", Short: "Manage agents and their API tokens",
		Long: `Add, list, show, edit and deactivate agents, and make and revoke API tokens.

An agent has a primary address (unique among agents), alternate addresses
(also unique), a display name, a role (agent: sees the tickets of their
departments; admin: sees every department), departments, a language (es or
en) and a signature. Departments are the ones the configuration names:
the [[mailboxes]] departments, the keys of tickets.priority.departments,
and soporte. Agents are never deleted, only deactivated: their tokens stop
working at once.`}
	cmd.PersistentFlags().BoolVar(&asJSON, "json", false, "print one JSON document instead of text")
	cmd.AddCommand(newAgentsAddCmd(e, &asJSON), newAgentsListCmd(e, &asJSON), newAgentsShowCmd(e, &asJSON),
		newAgentsEditCmd(e, &asJSON), newAgentsDeactivateCmd(e, &asJSON), newAgentsTokenCmd(e, &asJSON))
	cmd.AddCommand(newAgentsPasswordCmd(e)) // cli/agents_password.go
	return cmd
}

// agentFlags are the flags add and edit share.
type agentFlags struct {
	name, role, lang, signature string
	departments, addresses      []string
	notify                      string
}

func (f *agentFlags) add(cmd *cobra.Command, edit bool) {
	replaces := ""
	if edit {
		replaces = "; replaces the list, '' empties it"
	}
	cmd.Flags().StringVar(&f.name, "name", "", "display name, as customers see it on replies")
	cmd.Flags().StringVar(&f.role, "role", "", "agent (sees their departments) or admin (sees every department); default agent")
	cmd.Flags().StringArrayVar(&f.departments, "department", nil, "a department the agent works in (repeatable"+replaces+")")
	cmd.Flags().StringArrayVar(&f.addresses, "address", nil, "an alternate address the agent writes from (repeatable"+replaces+")")
	cmd.Flags().StringVar(&f.lang, "lang", "", "language of the agent's replies and messages: es or en; default es")
	cmd.Flags().StringVar(&f.signature, "signature", "", "signature added to the agent's replies")
	cmd.Flags().StringVar(&f.notify, "notify", "", "notification mails wanted, comma-separated: "+
		strings.Join(agents.NotifyKinds(), ",")+"; none for no mail; default for all")
}

// notifyList reads --notify: "default" (or every kind) is nil.
func notifyList(s string) []string {
	if strings.TrimSpace(strings.ToLower(s)) == "default" {
		return nil
	}
	out := []string{}
	for _, k := range strings.Split(s, ",") {
		if k = strings.TrimSpace(k); k != "" {
			out = append(out, k)
		}
	}
	return out
}

// nonEmpty drops empty values: an empty --address clears the list.
func nonEmpty(ss []string) []string {
	out := []string{}
	for _, s := range ss {
		if strings.TrimSpace(s) != "" {
			out = append(out, s)
		}
	}
	return out
}

func (e *env) printAgent(asJSON bool, a *agents.Agent) error {
	return e.emit(asJSON, a, func(w io.Writer) error {
		state := "active"
		if !a.Active {
			state = "deactivated"
		}
		fmt.Fprintf(w, "email:        %s\nname:         %s\nrole:         %s\ndepartments:  %s\naddresses:    %s\nstate:        %s\nlang:         %s\n",
			a.Email, a.Name, a.Role, dash(strings.Join(a.Departments, ", ")), dash(strings.Join(a.Addresses, ", ")), state, a.Lang)
		fmt.Fprintf(w, "notify:       %s\n", a.NotifyLabel())
		if a.Signature != "" {
			fmt.Fprintf(w, "signature:    %s\n", strings.ReplaceAll(a.Signature, "\n", "\n              "))
		}
		fmt.Fprintf(w, "created:      %s\nupdated:      %s\n", e.when(a.CreatedAt), e.when(a.UpdatedAt))
		return nil
	})
}

// noDepartmentsHint says on stderr that an agent without departments sees
// no tickets.
func (e *env) noDepartmentsHint(a *agents.Agent) {
	if a.Role == agents.RoleAgent && len(a.Departments) == 0 {
		fmt.Fprintf(e.stderr, "turno: %s has no department and sees no tickets; add one with: turno agents edit %s --department soporte\n",
			a.Email, a.Email)
	}
}

func newAgentsAddCmd(e *env, asJSON *bool) *cobra.Command {
	var f agentFlags
	cmd := &cobra.Command{
		Use:   "add EMAIL --name NAME [--role agent|admin] [--department D]... [--address ALT]... [--lang es|en] [--signature TEXT] [--notify KINDS]",
		Short: "Add an agent",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			var notify []string
			if cmd.Flags().Changed("notify") {
				notify = notifyList(f.notify)
			}
			return e.withAgents(func(ctx context.Context, s *agents.Service) error {
				a, err := s.Add(ctx, agents.Agent{Email: args[0], Name: f.name, Role: f.role, Departments: nonEmpty(f.departments),
					Addresses: nonEmpty(f.addresses), Lang: f.lang, Signature: f.signature, Notify: notify})
				if err != nil {
					return agentErr(err)
				}
				e.noDepartmentsHint(a)
				return e.printAgent(*asJSON, a)
			})
		},
	}
	f.add(cmd, false)
	return cmd
}

func newAgentsListCmd(e *env, asJSON *bool) *cobra.Command {
	return &cobra.Command{
		Use: "list", Short: "List agents", Args: cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			return e.withAgents(func(ctx context.Context, s *agents.Service) error {
				as, err := s.List(ctx)
				if err != nil {
					return err
				}
				return e.emit(*asJSON, as, func(w io.Writer) error {
					tw := newTable(w, "EMAIL\tNAME\tROLE\tDEPARTMENTS\tACTIVE\tALTERNATES")
					for _, a := range as {
						fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", a.Email, a.Name, a.Role, dash(strings.Join(a.Departments, ",")),
							yesNo(a.Active), dash(strings.Join(a.Addresses, ",")))
					}
					return tw.Flush()
				})
			})
		},
	}
}

func newAgentsShowCmd(e *env, asJSON *bool) *cobra.Command {
	return &cobra.Command{
		Use: "show EMAIL", Short: "Show an agent (by primary or alternate address)", Args: cobra.ExactArgs(1),
		RunE: func(_ *cobra.Command, args []string) error {
			return e.withAgents(func(ctx context.Context, s *agents.Service) error {
				a, err := s.Get(ctx, args[0])
				if err != nil {
					return agentErr(err)
				}
				return e.printAgent(*asJSON, a)
			})
		},
	}
}

func newAgentsEditCmd(e *env, asJSON *bool) *cobra.Command {
	var f agentFlags
	cmd := &cobra.Command{
		Use:   "edit EMAIL [--name NAME] [--role agent|admin] [--department D]... [--address ALT]... [--lang es|en] [--signature TEXT] [--notify KINDS|none|default]",
		Short: "Change an agent: only the flags given change",
		Long: `Change an agent: only the flags given change. --department and --address
replace the whole list (give each value you want kept); --address '' removes
every alternate address. The primary address cannot change.

--notify chooses the notification mails the agent gets, comma-separated:
new (a new ticket in their departments), reply (a customer reply on their
ticket, or on an unassigned one of their departments), assign (a ticket
assigned to them), mention (a note that mentions them), sla (a
service-level breach on their ticket); none for no mail, default for all.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			var ed agents.Edit
			fl := cmd.Flags()
			if fl.Changed("name") {
				ed.Name = &f.name
			}
			if fl.Changed("role") {
				ed.Role = &f.role
			}
			if fl.Changed("department") {
				d := nonEmpty(f.departments)
				ed.Departments = &d
			}
			if fl.Changed("address") {
				a := nonEmpty(f.addresses)
				ed.Addresses = &a
			}
			if fl.Changed("lang") {
				ed.Lang = &f.lang
			}
			if fl.Changed("signature") {
				ed.Signature = &f.signature
			}
			if fl.Changed("notify") {
				n := notifyList(f.notify)
				ed.Notify = &n
			}
			if ed == (agents.Edit{}) {
				return errors.New("nothing to change: give at least one of --name, --role, --department, --address, --lang, --signature, --notify")
			}
			return e.withAgents(func(ctx context.Context, s *agents.Service) error {
				a, err := s.Update(ctx, args[0], ed)
				if err != nil {
					return agentErr(err)
				}
				e.noDepartmentsHint(a)
				return e.printAgent(*asJSON, a)
			})
		},
	}
	f.add(cmd, true)
	return cmd
}

func newAgentsDeactivateCmd(e *env, asJSON *bool) *cobra.Command {
	return &cobra.Command{
		Use: "deactivate EMAIL", Short: "Deactivate an agent: their tokens stop working at once", Args: cobra.ExactArgs(1),
		RunE: func(_ *cobra.Command, args []string) error {
			return e.withAgents(func(ctx context.Context, s *agents.Service) error {
				if err := s.Deactivate(ctx, args[0]); err != nil {
					return agentErr(err)
				}
				return e.done(*asJSON, "deactivate", strings.ToLower(args[0]))
			})
		},
	}
}

// agentErr words the agents package's errors for the command line: the
// flag, not the field, is what the operator typed.
func agentErr(err error) error {
	var ie *agents.InputError
	if errors.As(err, &ie) {
		flag := map[string]string{"email": "EMAIL", "name": "--name", "role": "--role", "departments": "--department",
			"addresses": "--address", "lang": "--lang", "signature": "--signature", "notify": "--notify", "label": "--name", "id": "ID"}[ie.Field]
		if flag == "" {
			flag = ie.Field
		}
		return fmt.Errorf("%s: %s", flag, ie.Msg)
	}
	return err
}

// createdToken is what token create --json prints: the token, once, and
// what token list shows of it.
type createdToken struct {
	Token     string    `json:"token"`
	ID        string    `json:"id"`
	Agent     string    `json:"agent,omitempty"`
	Scope     string    `json:"scope"`
	Label     string    `json:"label,omitempty"`
	CreatedAt time.Time `json:"created_at"`
}

// tokenIDShown is how much of a token's id text output shows; revoke
// accepts it (or any unique prefix of at least 8).
const tokenIDShown = 12

func newAgentsTokenCmd(e *env, asJSON *bool) *cobra.Command {
	cmd := &cobra.Command{Use: "token", Short: "Make, list and revoke API tokens",
		Long: `Make, list and revoke API tokens. A token is printed once, when made, and
stored only as its SHA-256; its id (the hash) names it in list and revoke.
An agent's token acts as that agent on /api/v1; a gateway token may only
record payments (/api/v1/payments).`}
	cmd.AddCommand(newTokenCreateCmd(e, asJSON), newTokenListCmd(e, asJSON), newTokenRevokeCmd(e, asJSON))
	return cmd
}

func newTokenCreateCmd(e *env, asJSON *bool) *cobra.Command {
	var label string
	var gateway bool
	var portal string
	cmd := &cobra.Command{
		Use:   "create EMAIL [--name LABEL] | create --gateway [--name LABEL] | create --portal CLIENT_ID [--name LABEL]",
		Short: "Make a token and print it once, alone on standard output",
		Long: `Make a token and print it once: standard output is the token alone on its
line (with --json, one document holding it), so

  TOKEN=$(turno agents token create ana@example.com --name laptop)

captures it. What else there is to say goes to standard error. The token
cannot be shown again: make a new one and revoke the old if it is lost.`,
		RunE: func(_ *cobra.Command, args []string) error {
			switch {
			case portal != "" && (gateway || len(args) > 0):
				return errors.New("give one of EMAIL, --gateway or --portal CLIENT_ID")
			case portal != "":
			case gateway && len(args) > 0:
				return errors.New("give either EMAIL or --gateway, not both")
			case !gateway && len(args) != 1:
				return errors.New("give the agent's EMAIL, or --gateway for a payments-gateway token")
			}
			return e.withAgents(func(ctx context.Context, s *agents.Service) error {
				var tok string
				var t agents.Token
				var err error
				switch {
				case portal != "":
					tok, t, err = s.CreatePortalToken(ctx, portal, label)
				case gateway:
					tok, t, err = s.CreateGatewayToken(ctx, label)
				default:
					tok, t, err = s.CreateToken(ctx, args[0], label)
				}
				if err != nil {
					return agentErr(err)
				}
				if *asJSON {
					return printJSON(e.stdout, createdToken{Token: tok, ID: t.ID, Agent: t.Agent, Scope: t.Scope,
						Label: t.Label, CreatedAt: t.CreatedAt})
				}
				if _, err := fmt.Fprintln(e.stdout, tok); err != nil {
					return err
				}
				who := "agent " + t.Agent
				if gateway {
					who = "the payments gateway"
				} else if portal != "" {
					who = "client " + t.Client + " on /api/v1/portal"
				}
				fmt.Fprintf(e.stderr, "turno: token %s for %s; it is shown only this once (revoke with: turno agents token revoke %s)\n",
					t.ID[:tokenIDShown], who, t.ID[:tokenIDShown])
				return nil
			})
		},
	}
	cmd.Flags().StringVar(&label, "name", "", "a label to tell the token apart (where it is used)")
	cmd.Flags().BoolVar(&gateway, "gateway", false, "a payments-gateway token instead of an agent's")
	cmd.Flags().StringVar(&portal, "portal", "", "a portal token acting for this client on /api/v1/portal")
	return cmd
}

func newTokenListCmd(e *env, asJSON *bool) *cobra.Command {
	var gateway bool
	cmd := &cobra.Command{
		Use:   "list [EMAIL | --gateway]",
		Short: "List tokens: an agent's, the gateway's, or (with neither) all",
		Args:  cobra.MaximumNArgs(1),
		RunE: func(_ *cobra.Command, args []string) error {
			if gateway && len(args) > 0 {
				return errors.New("give either EMAIL or --gateway, not both")
			}
			return e.withAgents(func(ctx context.Context, s *agents.Service) error {
				var ts []agents.Token
				var err error
				switch {
				case gateway:
					ts, err = s.Tokens(ctx, "")
				case len(args) == 1:
					ts, err = s.Tokens(ctx, args[0])
				default:
					ts, err = s.AllTokens(ctx)
				}
				if err != nil {
					return agentErr(err)
				}
				return e.emit(*asJSON, ts, func(w io.Writer) error {
					tw := newTable(w, "ID\tAGENT\tLABEL\tCREATED\tLAST USED\tREVOKED")
					for _, t := range ts {
						who := t.Agent
						if t.Scope == agents.ScopeGateway {
							who = "(gateway)"
						}
						fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", t.ID[:min(tokenIDShown, len(t.ID))], who, dash(t.Label),
							e.when(t.CreatedAt), e.when(t.LastUsed), e.when(t.Revoked))
					}
					return tw.Flush()
				})
			})
		},
	}
	cmd.Flags().BoolVar(&gateway, "gateway", false, "the payments-gateway tokens")
	return cmd
}

func newTokenRevokeCmd(e *env, asJSON *bool) *cobra.Command {
	return &cobra.Command{
		Use: "revoke ID", Short: "Revoke a token by its id or a unique prefix of at least 8 characters", Args: cobra.ExactArgs(1),
		RunE: func(_ *cobra.Command, args []string) error {
			return e.withAgents(func(ctx context.Context, s *agents.Service) error {
				if err := s.RevokeToken(ctx, args[0]); err != nil {
					return agentErr(err)
				}
				return e.done(*asJSON, "revoke", args[0])
			})
		},
	}
}
