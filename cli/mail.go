package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"turno/config"
	"turno/daemon"
	"turno/mailin"
	"turno/mailin/parse"
	"turno/mailin/parse/payreport"
	"turno/store"
)

func newMailCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "mail",
		Short: "Inspect mail intake: parse a message, mailbox status, quarantine",
	}
	cmd.AddCommand(newMailParseCmd(e), newMailStatusCmd(e), newMailQuarantineCmd(e))
	return cmd
}

func newMailParseCmd(e *env) *cobra.Command {
	var asJSON bool
	var trusted string
	cmd := &cobra.Command{
		Use:   "parse FILE.eml",
		Short: "Print what Turno makes of one message, without touching the database",
		Long: `Parse one message file and print its decoded headers, classification,
ticket text, quoted history and attachments. With --json it prints exactly one
JSON object (the format the parser's golden files use). It exits 0 for any
message it could read, even a malformed one; repairs are listed as warnings.

With intake.trusted_authserv_id in the configuration (or --trusted-authserv-id)
it also shows the sender verdict read from that server's Authentication-Results
(pass, fail or none, and why), under "auth" in the JSON.

"payment_report" is what the payments mailbox reads from the mail: null when it
is not a payment report, else amount (whole pesos), date (YYYY-MM-DD),
operation, bank, method and invoices (numbers the text names), each null when
not found (package mailin/parse/payreport).`,
		Args: cobra.ExactArgs(1),
		RunE: func(_ *cobra.Command, args []string) error {
			f, err := os.Open(args[0])
			if err != nil {
				return err
			}
			defer f.Close()
			m, err := parse.Parse(f, nil)
			if err != nil {
				return fmt.Errorf("read %s: %w", args[0], err)
			}
			// The configuration only decides the zone dates are shown in
			// and the trusted authserv-id: without a valid one, parse
			// still works, shows UTC and judges no sender.
			cfg, cerr := e.load()
			if trusted == "" && cerr == nil {
				trusted = cfg.Intake.TrustedAuthservID
			}
			m.Auth = parse.Authenticate(m, trusted)
			report := payreport.Read(payreport.FromMessage(m))
			if asJSON {
				b, err := m.JSON()
				if err != nil {
					return err
				}
				if b, err = withPaymentReport(b, report); err != nil {
					return err
				}
				_, err = fmt.Fprintf(e.stdout, "%s\n", b)
				return err
			}
			e.printSummary(e.stdout, m)
			if report != nil {
				b, _ := json.Marshal(report)
				fmt.Fprintf(e.stdout, "Payment report: %s\n", b)
			}
			return nil
		},
	}
	jsonFlag(cmd, &asJSON)
	cmd.Flags().StringVar(&trusted, "trusted-authserv-id", "", "judge the sender by this server's Authentication-Results (default intake.trusted_authserv_id)")
	return cmd
}

func (e *env) printSummary(w io.Writer, m *parse.Message) {
	addr := func(a *parse.Address) string {
		if a == nil {
			return "-"
		}
		if a.Name == "" {
			return a.Address
		}
		return fmt.Sprintf("%s <%s>", a.Name, a.Address)
	}
	list := func(as []parse.Address) string {
		var s []string
		for i := range as {
			s = append(s, addr(&as[i]))
		}
		return strings.Join(s, ", ")
	}
	fmt.Fprintf(w, "Message-ID: %s\nFrom:       %s\nTo:         %s\n", m.MessageID, addr(m.From), list(m.To))
	if len(m.Cc) > 0 {
		fmt.Fprintf(w, "Cc:         %s\n", list(m.Cc))
	}
	if m.Date != nil {
		fmt.Fprintf(w, "Date:       %s\n", e.when(*m.Date))
	}
	fmt.Fprintf(w, "Subject:    %s\nKind:       %s", m.Subject, m.Kind)
	if m.KindReason != "" {
		fmt.Fprintf(w, " (%s)", m.KindReason)
	}
	fmt.Fprintln(w)
	if m.TicketRef != "" {
		fmt.Fprintf(w, "Ticket:     #%s\n", m.TicketRef)
	}
	if m.InReplyTo != "" {
		fmt.Fprintf(w, "In-Reply-To: %s\n", m.InReplyTo)
	}
	if a := m.Auth; a != nil {
		fmt.Fprintf(w, "Sender:     %s (%s; trusting %s)\n", a.Verdict, a.Reason, a.TrustedID)
	}
	if m.Bounce != nil {
		fmt.Fprintf(w, "Bounce:     status %s, original %s\n", m.Bounce.Status, m.Bounce.OriginalMessageID)
		for _, r := range m.Bounce.Recipients {
			fmt.Fprintf(w, "  failed:   %s %s\n", r.Address, r.Status)
		}
	}
	fmt.Fprintf(w, "\n%s\n", m.Text)
	if m.Quoted != "" {
		fmt.Fprintf(w, "\n--- quoted history (%d lines, kept, not in the ticket text)\n", strings.Count(m.Quoted, "\n")+1)
	}
	for _, a := range m.Attachments {
		inline := ""
		if a.Inline {
			inline = " inline"
		}
		fmt.Fprintf(w, "Attachment: %s (%s, %d bytes%s) sha256 %s\n", a.Filename, a.ContentType, a.Size, inline, a.SHA256)
	}
	for _, warn := range m.Warnings {
		fmt.Fprintf(w, "Warning:    %s\n", warn)
	}
}

// openStore connects to the configured database for an admin command.
func (e *env) openStore(ctx context.Context) (*store.Store, config.Config, error) {
	cfg, err := e.load()
	if err != nil {
		return nil, cfg, err
	}
	st, err := store.Open(ctx, daemon.StoreOptions(cfg, e.logger(cfg)))
	return st, cfg, err
}

func newMailStatusCmd(e *env) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "status",
		Short: "Show each mailbox: connected, cursor, last poll, errors, quarantine",
		Long: `Read each mailbox's state from the database, as the process watching it
last recorded it, so it works from any machine sharing the database.`,
		Args: cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			ctx := context.Background()
			st, _, err := e.openStore(ctx)
			if err != nil {
				return err
			}
			defer st.Close(ctx)
			list, err := mailin.Statuses(ctx, st.DB)
			if err != nil {
				return err
			}
			type row struct {
				mailin.Cursor
				Quarantined int64 `json:"quarantined"`
			}
			rows := make([]row, len(list))
			for i, c := range list {
				n, err := mailin.QuarantineCount(ctx, st.DB, c.Mailbox)
				if err != nil {
					return err
				}
				rows[i] = row{c, n}
			}
			return e.emit(asJSON, rows, func(w io.Writer) error {
				if len(rows) == 0 {
					_, err := fmt.Fprintln(w, "no mailbox has recorded a status yet")
					return err
				}
				tw := newTable(w, "MAILBOX\tCONNECTED\tUIDVALIDITY\tLAST UID\tLAST POLL\tERRORS\tQUARANTINED\tLAST ERROR")
				for _, r := range rows {
					fmt.Fprintf(tw, "%s\t%v\t%d\t%d\t%s\t%d\t%d\t%s\n", r.Mailbox, r.Connected, r.UIDValidity,
						r.LastUID, e.when(r.LastPoll), r.Errors, r.Quarantined, r.LastError)
				}
				return tw.Flush()
			})
		},
	}
	jsonFlag(cmd, &asJSON)
	return cmd
}

func newMailQuarantineCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{Use: "quarantine", Short: "List and retry messages that could not be processed"}
	var state string
	var asJSON bool
	list := &cobra.Command{
		Use:   "list",
		Short: "List quarantined messages, newest first",
		Args:  cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			ctx := context.Background()
			st, _, err := e.openStore(ctx)
			if err != nil {
				return err
			}
			defer st.Close(ctx)
			qs, err := mailin.ListQuarantine(ctx, st.DB, state)
			if err != nil {
				return err
			}
			return e.emit(asJSON, qs, func(w io.Writer) error {
				tw := newTable(w, "ID\tSTATE\tAT\tREASON\tATTEMPTS\tSIZE\tERROR")
				for _, q := range qs {
					fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\t%d\t%s\n", q.ID, q.State, e.when(q.At),
						q.Reason, q.Attempts, q.Size, q.Error)
				}
				return tw.Flush()
			})
		},
	}
	list.Flags().StringVar(&state, "state", "", "only held, retry or done")
	jsonFlag(list, &asJSON)
	retry := &cobra.Command{
		Use:   "retry ID",
		Short: "Process a quarantined message again from its stored bytes",
		Long: `Mark a held message for retry; the process watching its mailbox processes
it again from the stored raw bytes at its next pass.`,
		Args: cobra.ExactArgs(1),
		RunE: func(_ *cobra.Command, args []string) error {
			ctx := context.Background()
			st, _, err := e.openStore(ctx)
			if err != nil {
				return err
			}
			defer st.Close(ctx)
			if err := mailin.RequestRetry(ctx, st.DB, args[0]); err != nil {
				return err
			}
			fmt.Fprintf(e.stdout, "%s will be retried at the next pass of its mailbox\n", args[0])
			return nil
		},
	}
	cmd.AddCommand(list, retry)
	return cmd
}

// withPaymentReport adds "payment_report" (null or the report) as the last
// key of the message's JSON object.
func withPaymentReport(msg []byte, r *payreport.Report) ([]byte, error) {
	rb, err := json.Marshal(r)
	if err != nil {
		return nil, err
	}
	msg = bytes.TrimRight(msg, " \n")
	if !bytes.HasSuffix(msg, []byte("}")) {
		return nil, fmt.Errorf("message JSON is not an object")
	}
	out := append(msg[:len(msg)-1:len(msg)-1], []byte(`,"payment_report":`)...)
	out = append(out, rb...)
	return append(out, '}'), nil
}
