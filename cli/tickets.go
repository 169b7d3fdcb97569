package cli

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"turno/clients"
	"turno/clock"
	"turno/config"
	"turno/daemon"
	"turno/mailout"
	"turno/store"
	"turno/tickets"
)

// ticketCmds are the agents' ticket commands; as is the persistent --as
// flag every one of them acts under (see agent.go).
type ticketCmds struct {
	e  *env
	as string
}

func newTicketsCmd(e *env) *cobra.Command {
	t := &ticketCmds{e: e}
	cmd := &cobra.Command{
		Use:   "tickets",
		Short: "Work the ticket queue as an agent",
		Long: `Work the ticket queue as an agent: list, show, reply, note, assign, change
status, priority or department, merge and link. Every command acts as one
agent and sees only the tickets of that agent's departments (admins see
all): --as EMAIL, else $TURNO_AGENT, else, on the data directory of a
"turno serve --dev" daemon, its dev agent. The commands work while turno
serve runs: they reach its store through the data directory.`,
	}
	cmd.PersistentFlags().StringVar(&t.as, "as", "", "act as this agent (default: $TURNO_AGENT, else the dev agent of a --dev data directory)")
	cmd.AddCommand(t.listCmd(), t.showCmd(),
		t.replyCmd(), t.noteCmd(),
		t.assignCmd(), t.unassignCmd(), t.statusCmd(), t.priorityCmd(), t.moveCmd(),
		t.mergeCmd(), t.linkCmd(), t.releaseCmd())
	cmd.AddCommand(t.paymentCmds()...) // tickets_payment.go
	return cmd
}

func (t *ticketCmds) listCmd() *cobra.Command {
	var f tickets.QueueFilter
	var mine, unassigned, asJSON bool
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List tickets in queue order",
		Long: `List the tickets the acting agent sees, in the order they are owed an
answer: highest priority first, then the oldest first message. By default
every ticket but closed ones; --status all includes closed ones.

The text view shows number, status, priority label (* when set by hand),
age since the first message, the next service-level due time (OVERDUE once
past it), assignee, department, requester and subject. --overdue lists only
overdue tickets: past a first-response or resolution due time not met.
When there are more tickets than --limit, the command to get the next page
is printed on stderr. --json prints the page's tickets as one list.`,
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			if mine && unassigned {
				return fmt.Errorf("--mine and --unassigned exclude each other")
			}
			if f.Status != "" && f.Status != "all" && !validStatus(f.Status) {
				return fmt.Errorf("--status must be one of %s or all (got %q)", strings.Join(tickets.Statuses, ", "), f.Status)
			}
			if !validLabel(f.Label) {
				return fmt.Errorf("--priority must be high, medium or low (got %q)", f.Label)
			}
			if f.Limit < 0 || f.Limit > 500 {
				return fmt.Errorf("--limit must be between 1 and 500 (got %d)", f.Limit)
			}
			return t.with(c, false, func(ctx context.Context, w *work) error {
				q := f
				if mine {
					q.Assignee = w.actor.Email
				} else if unassigned {
					q.Assignee = "none"
				}
				page, err := w.Tickets.Queue(ctx, w.actor, q)
				if err != nil {
					return workError(0, err, map[string]string{"status": "--status", "department": "--department",
						"label": "--priority", "requester": "--requester", "text": "--text", "cursor": "--cursor", "limit": "--limit", "overdue": "--overdue"})
				}
				if page.Next != "" {
					fmt.Fprintf(t.e.stderr, "more tickets: repeat with --cursor %s\n", page.Next)
				}
				return t.e.emit(asJSON, page.Tickets, func(out io.Writer) error { return t.e.printQueue(out, page.Tickets) })
			})
		},
	}
	fl := cmd.Flags()
	fl.BoolVar(&mine, "mine", false, "only tickets assigned to the acting agent")
	fl.BoolVar(&unassigned, "unassigned", false, "only tickets assigned to no one")
	fl.StringVar(&f.Status, "status", "", "only this status ("+strings.Join(tickets.Statuses, ", ")+"), or all; default every status but closed")
	fl.StringVar(&f.Department, "department", "", "only this department")
	fl.StringVar(&f.Label, "priority", "", "only this priority label: high, medium or low")
	fl.StringVar(&f.Requester, "requester", "", "only tickets from this address")
	fl.StringVar(&f.Text, "text", "", "only tickets whose subject contains this text (any case)")
	fl.BoolVar(&f.Overdue, "overdue", false, "only tickets past a service-level due time not met")
	fl.IntVar(&f.Limit, "limit", 50, "tickets per page (at most 500)")
	fl.StringVar(&f.Cursor, "cursor", "", "continue from a previous page (the value printed on stderr)")
	jsonFlag(cmd, &asJSON)
	return cmd
}

func (t *ticketCmds) showCmd() *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "show N",
		Short: "Show a ticket: its messages, replies, notes and history",
		Args:  cobra.ExactArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			n, err := ticketNumber(args[0])
			if err != nil {
				return err
			}
			return t.with(c, false, func(ctx context.Context, w *work) error {
				th, err := w.Tickets.Get(ctx, w.actor, n)
				if err != nil {
					return workError(n, err, nil)
				}
				pr, err := paymentReportOf(ctx, w, n) // tickets_payment.go
				if err != nil {
					return err
				}
				return t.e.emit(asJSON, shownTicket{th, pr}, func(out io.Writer) error {
					if err := t.e.printThread(out, th); err != nil {
						return err
					}
					t.e.printPaymentReport(out, pr)
					return nil
				})
			})
		},
	}
	jsonFlag(cmd, &asJSON)
	return cmd
}

// work is what a ticket command runs with: the agents' services, built as
// the daemon builds them, and the acting agent.
type work struct {
	daemon.WorkParts
	cfg   config.Config
	actor tickets.Actor
	// What with built them from, for commands that build more (billing,
	// the agents' mail router) the same way.
	st  *store.Store
	log *slog.Logger
	reg *clients.Registry
	ob  *mailout.Outbox // nil without mail
}

// with opens the configured database (or the running daemon's store),
// builds the services as the daemon does (daemon.NewWorkParts; with mail,
// an outbox that turno serve delivers from), resolves the acting agent and
// runs fn.
func (t *ticketCmds) with(c *cobra.Command, mail bool, fn func(context.Context, *work) error) error {
	e := t.e
	ctx := c.Context()
	if ctx == nil {
		ctx = context.Background()
	}
	cfg, err := e.load()
	if err != nil {
		return err
	}
	if _, dev := daemon.IsDevDataDir(cfg); dev {
		cfg = daemon.DevOverrides(cfg)
	}
	log := e.logger(cfg)
	st, err := store.Open(ctx, daemon.StoreOptions(cfg, log))
	if err != nil {
		return err
	}
	defer func() {
		cctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = st.Close(cctx)
	}()
	ropts := clients.Options{DB: st.DB, Logger: log, Access: daemon.AccessOptions(cfg)}
	var mailer tickets.Mailer
	var ob *mailout.Outbox
	if mail {
		if ob, err = daemon.NewOutbox(ctx, cfg, st.DB, log); err != nil {
			return err
		}
		ropts.Mailer, mailer = ob, ob
	}
	reg := clients.New(ropts)
	parts, err := daemon.NewWorkParts(ctx, cfg, st.DB, reg, mailer, clock.Real{}, log)
	if err != nil {
		return err
	}
	actor, err := e.actingAgent(ctx, cfg, parts.Agents, t.as)
	if err != nil {
		return err
	}
	return fn(ctx, &work{WorkParts: parts, cfg: cfg, actor: actor, st: st, log: log, reg: reg, ob: ob})
}

// ticketNumber reads a ticket number argument ("100001" or "#100001").
func ticketNumber(arg string) (int64, error) {
	n, err := strconv.ParseInt(strings.TrimPrefix(arg, "#"), 10, 64)
	if err != nil || n <= 0 {
		return 0, fmt.Errorf("ticket number must be a positive integer (got %q)", arg)
	}
	return n, nil
}

func validStatus(s string) bool {
	for _, x := range tickets.Statuses {
		if s == x {
			return true
		}
	}
	return false
}

func validLabel(l string) bool {
	switch l {
	case "", tickets.LabelHigh, tickets.LabelMedium, tickets.LabelLow:
		return true
	}
	return false
}

func (e *env) printQueue(w io.Writer, list []tickets.Ticket) error {
	tw := newTable(w, "TICKET\tSTATUS\tPRIORITY\tAGE\tDUE\tASSIGNEE\tDEPARTMENT\tREQUESTER\tSUBJECT")
	now := time.Now()
	for _, t := range list {
		req := t.Requester.Address
		if t.Unverified {
			req += " (unverified)"
		}
		label := t.Label
		if t.ManualLabel != "" {
			label += "*"
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", t.Number, t.Status, label, age(now, t.FirstArrival),
			e.dueColumn(t), orDash(t.Assignee), t.Department, req, oneLine(t.Subject, 60))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if len(list) == 0 {
		fmt.Fprintln(w, "(no tickets)")
	}
	return nil
}

// age is how long ago t was, short: 45m, 7h, 3d.
func age(now, t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	d := max(now.Sub(t), 0)
	switch {
	case d < time.Hour:
		return fmt.Sprintf("%dm", int(d/time.Minute))
	case d < 48*time.Hour:
		return fmt.Sprintf("%dh", int(d/time.Hour))
	default:
		return fmt.Sprintf("%dd", int(d/(24*time.Hour)))
	}
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func (e *env) printThread(w io.Writer, th *tickets.Thread) error {
	t := &th.Ticket
	fmt.Fprintf(w, "Ticket #%d  %s\n", t.Number, t.Subject)
	label := t.Label
	if t.ManualLabel != "" {
		label += ", set by hand"
	}
	fmt.Fprintf(w, "Status %s · priority %d (%s) · department %s · channel %s\n", t.Status, t.Priority, label, t.Department, t.Channel)
	fmt.Fprintf(w, "Assignee %s\n", orDash(t.Assignee))
	req := t.Requester.Address
	if t.Requester.Name != "" {
		req = t.Requester.Name + " <" + req + ">"
	}
	if t.Unverified {
		req += " (unverified sender)"
	} else if t.ClientID != "" {
		req += " · client " + t.ClientID
	}
	fmt.Fprintf(w, "Requester %s\n", req)
	fmt.Fprintf(w, "Opened %s", e.when(t.CreatedAt))
	if !t.SolvedAt.IsZero() {
		fmt.Fprintf(w, " · solved %s", e.when(t.SolvedAt))
	}
	if !t.ClosedAt.IsZero() {
		fmt.Fprintf(w, " · closed %s", e.when(t.ClosedAt))
	}
	fmt.Fprintln(w)
	e.printDue(w, t) // tickets_sla.go
	if t.MergedInto != 0 {
		fmt.Fprintf(w, "Merged into ticket #%d\n", t.MergedInto)
	}
	if t.Mentions != 0 {
		fmt.Fprintf(w, "Mentions ticket #%d\n", t.Mentions)
	}
	if t.LinkedFrom != 0 {
		fmt.Fprintf(w, "Continues ticket #%d\n", t.LinkedFrom)
	}
	if t.LastPublic != nil {
		fmt.Fprintf(w, "Newest message the customer sees: %s\n", t.LastPublic.Key)
	}
	for i, m := range th.Messages {
		fmt.Fprintf(w, "\n--- %d. %s  %s\n", i+1, e.when(m.ArrivedAt), messageHeading(m))
		if m.Direction != tickets.DirNote {
			fmt.Fprintf(w, "Subject: %s\n", m.Subject)
		}
		if m.Answers != "" {
			fmt.Fprintf(w, "Answers: %s\n", m.Answers)
		}
		for _, n := range m.Notes {
			fmt.Fprintf(w, "Note: %s\n", n)
		}
		for _, a := range m.Attachments {
			fmt.Fprintf(w, "Attachment: %s (%s, %d bytes)\n", a.Filename, a.ContentType, a.Size)
		}
		fmt.Fprintf(w, "\n%s\n", strings.TrimRight(m.Text, "\n"))
	}
	if len(t.Events) > 0 {
		fmt.Fprintf(w, "\nHistory\n")
		tw := newTable(w, "  WHEN\tWHO\tWHAT")
		for _, ev := range t.Events {
			fmt.Fprintf(tw, "  %s\t%s\t%s\n", e.when(ev.At), orDash(ev.By), eventText(ev))
		}
		return tw.Flush()
	}
	return nil
}

// messageHeading says what a message is: a customer's mail, an agent's
// reply or an internal note.
func messageHeading(m tickets.Message) string {
	who := m.AgentName
	if who == "" {
		who = m.Agent
	}
	switch m.Direction {
	case tickets.DirReply:
		s := "REPLY by " + who
		if m.State != "" && m.State != "sent" {
			s += " (" + m.State + ")"
		}
		if m.OutboxID != "" {
			s += " · outbox " + m.OutboxID
		}
		return s
	case tickets.DirNote:
		return "NOTE by " + who + " (internal, never mailed)"
	case tickets.DirHeld:
		// An answer by mail that was not applied (package agentmail), or
		// applied later on release (turno tickets release).
		what := "; not applied, never mailed"
		if m.State == tickets.StateReleased {
			what = "; released and applied"
		}
		return "HELD mail from " + m.From.Address + " (" + strings.TrimPrefix(m.Thread, "held: ") + what + ") · " + m.Key
	}
	s := "from " + m.From.Address + " (" + m.Kind
	if m.Thread != "" {
		s += ", " + m.Thread
	}
	return s + ") · " + m.Key
}

// eventText is one event's what, from → to.
func eventText(ev tickets.Event) string {
	s := ev.Type
	if ev.From != "" || ev.To != "" {
		s += " " + orDash(ev.From) + " → " + orDash(ev.To)
	}
	if ev.Note != "" {
		s += " (" + oneLine(ev.Note, 80) + ")"
	}
	return s
}

// ticketLine is a one-line summary of a ticket after a change.
func ticketLine(t *tickets.Ticket) string {
	label := t.Label
	if t.ManualLabel != "" {
		label += " (set by hand)"
	}
	return fmt.Sprintf("Ticket #%d: status %s · priority %s · department %s · assignee %s",
		t.Number, t.Status, label, t.Department, orDash(t.Assignee))
}

func oneLine(s string, max int) string {
	s = strings.Join(strings.Fields(s), " ")
	if r := []rune(s); len(r) > max {
		return string(r[:max-1]) + "…"
	}
	return s
}
