package cli

import (
	"context"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"turno/daemon"
	"turno/store"
	"turno/tickets"
)

func newTicketsCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "tickets",
		Short: "Look at the ticket queue",
		Long: `Look at the ticket queue in the configured database. With the embedded
store, stop turno serve first (the data directory is held by one process at a
time) or point mongodb.uri at a shared MongoDB.`,
	}
	cmd.AddCommand(newTicketsListCmd(e), newTicketsShowCmd(e))
	return cmd
}

func newTicketsListCmd(e *env) *cobra.Command {
	var f tickets.Filter
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List tickets in queue order",
		Long: `List tickets in the order they are owed an answer: highest priority first,
then the oldest first message. By default only open tickets; --status all
lists every ticket.`,
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			if f.Status == "all" {
				f.Status = ""
			}
			switch f.Label {
			case "", tickets.LabelHigh, tickets.LabelMedium, tickets.LabelLow:
			default:
				return fmt.Errorf("--priority must be high, medium or low (got %q)", f.Label)
			}
			return e.withTickets(c.Context(), func(ctx context.Context, svc *tickets.Service) error {
				list, err := svc.List(ctx, f)
				if err != nil {
					return err
				}
				return e.emit(asJSON, list, func(w io.Writer) error { return e.printQueue(w, list) })
			})
		},
	}
	cmd.Flags().StringVar(&f.Status, "status", tickets.StatusOpen, "open, closed or all")
	cmd.Flags().StringVar(&f.Department, "department", "", "only this department")
	cmd.Flags().StringVar(&f.Label, "priority", "", "only this priority label: high, medium or low")
	cmd.Flags().Int64Var(&f.Limit, "limit", 0, "at most this many tickets (0: all)")
	jsonFlag(cmd, &asJSON)
	return cmd
}

func newTicketsShowCmd(e *env) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "show N",
		Short: "Show a ticket and its messages",
		Args:  cobra.ExactArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			n, err := strconv.ParseInt(strings.TrimPrefix(args[0], "#"), 10, 64)
			if err != nil || n <= 0 {
				return fmt.Errorf("ticket number must be a positive integer (got %q)", args[0])
			}
			return e.withTickets(c.Context(), func(ctx context.Context, svc *tickets.Service) error {
				t, msgs, err := svc.Show(ctx, n)
				if err != nil {
					return err
				}
				doc := struct {
					Ticket   *tickets.Ticket   `json:"ticket"`
					Messages []tickets.Message `json:"messages"`
				}{t, msgs}
				return e.emit(asJSON, doc, func(w io.Writer) error { return e.printThread(w, t, msgs) })
			})
		},
	}
	jsonFlag(cmd, &asJSON)
	return cmd
}

// withTickets opens the configured database, runs fn and closes it.
func (e *env) withTickets(ctx context.Context, fn func(context.Context, *tickets.Service) error) error {
	if ctx == nil {
		ctx = context.Background()
	}
	cfg, err := e.load()
	if err != nil {
		return err
	}
	st, err := store.Open(ctx, daemon.StoreOptions(cfg, e.logger(cfg)))
	if err != nil {
		return err
	}
	defer func() {
		cctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = st.Close(cctx)
	}()
	svc, err := tickets.New(tickets.Options{DB: st.DB, Logger: e.logger(cfg)})
	if err != nil {
		return err
	}
	return fn(ctx, svc)
}

func (e *env) printQueue(w io.Writer, list []tickets.Ticket) error {
	tw := newTable(w, "TICKET\tPRIORITY\tSTATUS\tDEPARTMENT\tARRIVED\tREQUESTER\tSUBJECT")
	for _, t := range list {
		req := t.Requester.Address
		if t.Unverified {
			req += " (unverified)"
		}
		fmt.Fprintf(tw, "%d\t%d %s\t%s\t%s\t%s\t%s\t%s\n", t.Number, t.Priority, t.Label, t.Status, t.Department,
			e.when(t.FirstArrival), req, oneLine(t.Subject, 60))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if len(list) == 0 {
		fmt.Fprintln(w, "(no tickets)")
	}
	return nil
}

func (e *env) printThread(w io.Writer, t *tickets.Ticket, msgs []tickets.Message) error {
	fmt.Fprintf(w, "Ticket #%d  %s\n", t.Number, t.Subject)
	fmt.Fprintf(w, "Status %s · priority %d (%s) · department %s · channel %s\n", t.Status, t.Priority, t.Label, t.Department, t.Channel)
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
	if !t.ClosedAt.IsZero() {
		fmt.Fprintf(w, " · closed %s", e.when(t.ClosedAt))
	}
	fmt.Fprintln(w)
	if t.Mentions != 0 {
		fmt.Fprintf(w, "Mentions ticket #%d\n", t.Mentions)
	}
	if t.LinkedFrom != 0 {
		fmt.Fprintf(w, "Continues ticket #%d\n", t.LinkedFrom)
	}
	for i, m := range msgs {
		fmt.Fprintf(w, "\n--- %d. %s  from %s  (%s", i+1, e.when(m.ArrivedAt), m.From.Address, m.Kind)
		if m.Thread != "" {
			fmt.Fprintf(w, ", %s", m.Thread)
		}
		fmt.Fprintln(w, ")")
		fmt.Fprintf(w, "Subject: %s\n", m.Subject)
		for _, n := range m.Notes {
			fmt.Fprintf(w, "Note: %s\n", n)
		}
		for _, a := range m.Attachments {
			fmt.Fprintf(w, "Attachment: %s (%s, %d bytes)\n", a.Filename, a.ContentType, a.Size)
		}
		fmt.Fprintf(w, "\n%s\n", strings.TrimRight(m.Text, "\n"))
	}
	return nil
}

func oneLine(s string, max int) string {
	s = strings.Join(strings.Fields(s), " ")
	if r := []rune(s); len(r) > max {
		return string(r[:max-1]) + "…"
	}
	return s
}
