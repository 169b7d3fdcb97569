package cli

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"turno/agentmail"
	"turno/clock"
	"turno/daemon"
	"turno/tickets"
)

// releaseCmd confirms an agent's answer by mail held for authentication
// (agentmail.Router.Release).
func (t *ticketCmds) releaseCmd() *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "release N KEY",
		Short: "Confirm an answer by mail held for authentication, and apply it",
		Long: `Confirm an answer by mail that ticket N holds because its mailbox requires
DKIM or SPF (mailboxes.agent_auth = "dkim_or_spf") and the mail lacked it.
KEY is the held mail's key (held:<hex>), as "turno tickets show N" lists it
and the explanation mail the agent received gives it.

The mail is applied exactly as it would have been on arrival, as the agent
who sent it: a reply is mailed to the customer, #nota makes a note, the
commands are carried out. Only that agent or an admin may release it.
Releasing twice applies it once. If the customer wrote again after the
notification the mail answered, nothing is sent: the command prints what
is new and exits non-zero; answer again instead.`,
		Args: cobra.ExactArgs(2),
		RunE: func(c *cobra.Command, args []string) error {
			n, err := ticketNumber(args[0])
			if err != nil {
				return err
			}
			return t.withRouter(c, func(ctx context.Context, w *work, r *agentmail.Router) error {
				res, err := r.Release(ctx, w.actor, n, args[1])
				var conflict *tickets.ConflictError
				if errors.As(err, &conflict) {
					t.printConflict(conflict)
					return fmt.Errorf("ticket %d: held mail not released: the customer wrote again after the notification it answers; read it with \"turno tickets show %d\" and answer again",
						n, n)
				}
				if err != nil {
					return workError(n, err, map[string]string{"key": "KEY"})
				}
				return t.e.emit(asJSON, res, func(out io.Writer) error {
					what := "applied"
					if res.Outcome == agentmail.OutcomeNote {
						what = "added as a note"
					}
					if res.Replayed {
						fmt.Fprintf(out, "Already released on ticket #%d: nothing applied again.\n", n)
					} else {
						fmt.Fprintf(out, "Held mail released on ticket #%d: %s.\n", n, what)
					}
					return nil
				})
			})
		},
	}
	jsonFlag(cmd, &asJSON)
	return cmd
}

// withRouter is with plus the router of agents' mail, built as the daemon
// builds it (daemon.NewAgentMailRouter) on the same store, with an outbox
// turno serve delivers from.
func (t *ticketCmds) withRouter(c *cobra.Command, fn func(context.Context, *work, *agentmail.Router) error) error {
	return t.with(c, true, func(ctx context.Context, w *work) error {
		r, err := daemon.NewAgentMailRouter(w.cfg, w.st.DB, w.Tickets, w.Agents, w.reg, w.ob, nil, clock.Real{}, w.log)
		if err != nil {
			return err
		}
		return fn(ctx, w, r)
	})
}
