package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"turno/clock"
	"turno/daemon"
	"turno/store"
	"turno/tickets"
)

// Payment reports held on tickets (tickets/payreport.go): an agent
// confirms one, which records the payment through billing, or rejects it,
// which answers the customer. `turno tickets show` prints the report.

// paymentCmds are confirm-payment and reject-payment.
func (t *ticketCmds) paymentCmds() []*cobra.Command {
	return []*cobra.Command{t.confirmPaymentCmd(), t.rejectPaymentCmd()}
}

var paymentFields = map[string]string{"invoices": "--invoices", "amount": "--amount", "reason": "--reason"}

func (t *ticketCmds) confirmPaymentCmd() *cobra.Command {
	var invoices []int64
	var amount int64
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "confirm-payment N",
		Short: "Confirm the payment report on a ticket: record the payment and mail payment_received",
		Long: `Confirm the payment report ticket N holds (a customer's payment mail to the
payments department, or a portal report): the payment is recorded through
billing, the invoices it pays are marked paid, and payment_received is
mailed to the client's principal address (turno serve delivers it).

By default the report's proposed invoices and its amount are used; name
others with --invoices 1,2 and --amount 45990 (whole pesos). The payment is
recorded once, by the report's operation number: confirming again changes
nothing and prints the same payment. Bad input (another client's or an
unknown invoice, no invoice to pay, no amount) is refused and changes
nothing.`,
		Args: cobra.ExactArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			n, err := ticketNumber(args[0])
			if err != nil {
				return err
			}
			if amount < 0 {
				return fmt.Errorf("--amount must be above zero (got %d)", amount)
			}
			return t.withPayments(c, func(ctx context.Context, w *work) error {
				r, err := w.Tickets.ConfirmPayment(ctx, w.actor, n, tickets.ConfirmInput{Invoices: invoices, Amount: amount})
				if err != nil {
					return paymentError(n, err)
				}
				return t.e.emit(asJSON, r, func(out io.Writer) error {
					fmt.Fprintf(out, "Payment report on ticket #%d confirmed: payment %s of %s to invoices %s.\n",
						n, r.PaymentID, tickets.Pesos(r.Amount), numbers(r.Paid))
					return nil
				})
			})
		},
	}
	fl := cmd.Flags()
	fl.Int64SliceVar(&invoices, "invoices", nil, "the invoice numbers paid, comma-separated (default: the report's proposed ones)")
	fl.Int64Var(&amount, "amount", 0, "the amount paid in whole pesos (default: the report's)")
	jsonFlag(cmd, &asJSON)
	return cmd
}

func (t *ticketCmds) rejectPaymentCmd() *cobra.Command {
	var reason string
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "reject-payment N --reason TEXT",
		Short: "Reject the payment report on a ticket and answer the customer why",
		Long: `Reject the payment report ticket N holds: nothing is paid, and the customer
gets a reply on the ticket (in their language) saying the payment could not
be confirmed, with --reason as written (the customer reads it) and how to
answer. The ticket is left pending. Rejecting again sends nothing more; a
confirmed report cannot be rejected.`,
		Args: cobra.ExactArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			n, err := ticketNumber(args[0])
			if err != nil {
				return err
			}
			if strings.TrimSpace(reason) == "" {
				return errors.New("--reason is required: say why the payment is rejected (the customer reads it)")
			}
			return t.withPayments(c, func(ctx context.Context, w *work) error {
				r, err := w.Tickets.RejectPayment(ctx, w.actor, n, reason)
				if err != nil {
					return paymentError(n, err)
				}
				return t.e.emit(asJSON, r, func(out io.Writer) error {
					fmt.Fprintf(out, "Payment report on ticket #%d rejected by %s; the customer was answered.\n", n, r.DecidedBy)
					return nil
				})
			})
		},
	}
	cmd.Flags().StringVar(&reason, "reason", "", "why the payment is rejected (required; the customer reads it)")
	jsonFlag(cmd, &asJSON)
	return cmd
}

// paymentError is workError for the payment commands.
func paymentError(n int64, err error) error {
	var dec *tickets.DecidedError
	switch {
	case errors.As(err, &dec):
		return errors.New(dec.Msg)
	case errors.Is(err, tickets.ErrPaymentsUnavailable):
		return fmt.Errorf("ticket %d: %w", n, err)
	}
	return workError(n, err, paymentFields)
}

// withPayments is with (mail on) plus billing, built as turno serve builds
// it (daemon.BillingParts) on the same store, given to tickets as the
// payment ledger with the configured payments department.
func (t *ticketCmds) withPayments(c *cobra.Command, fn func(context.Context, *work) error) error {
	return t.with(c, true, func(ctx context.Context, w *work) error {
		if err := store.EnsureIndexes(ctx, w.st.DB, daemon.Indexes()); err != nil {
			return err
		}
		bill, _, err := daemon.BillingParts(daemon.Options{Config: w.cfg, Logger: w.log, Clock: clock.Real{}}, w.st, w.reg, w.ob)
		if err != nil {
			return err
		}
		w.Tickets.SetPaymentLedger(daemon.PaymentLedger(bill), w.cfg.Tickets.PaymentsDepartment)
		return fn(ctx, w)
	})
}

// shownTicket is what `turno tickets show --json` prints: the thread and
// the payment report it holds (left out when none: no nulls in --json).
type shownTicket struct {
	*tickets.Thread
	PaymentReport *tickets.PaymentReport `json:"payment_report,omitempty"`
}

// paymentReportOf is the report on ticket n, nil when it holds none.
func paymentReportOf(ctx context.Context, w *work, n int64) (*tickets.PaymentReport, error) {
	r, err := w.Tickets.PaymentReportOf(ctx, w.actor, n)
	if errors.Is(err, tickets.ErrNotFound) {
		return nil, nil
	}
	return r, err
}

// printPaymentReport prints the report below the thread.
func (e *env) printPaymentReport(w io.Writer, r *tickets.PaymentReport) {
	if r == nil {
		return
	}
	fmt.Fprintf(w, "\nPayment report (%s, from the %s) · %s\n", r.State, r.Source, e.when(r.CreatedAt))
	rep := r.Report
	if rep.Amount != nil {
		fmt.Fprintf(w, "  Amount     %s\n", tickets.Pesos(*rep.Amount))
	}
	for _, f := range []struct {
		label string
		v     *string
	}{{"Date", rep.Date}, {"Method", rep.Method}, {"Bank", rep.Bank}, {"Operation", rep.Operation}} {
		if f.v != nil && *f.v != "" {
			fmt.Fprintf(w, "  %-10s %s\n", f.label, *f.v)
		}
	}
	if len(rep.Invoices) > 0 {
		fmt.Fprintf(w, "  Named      invoices %s\n", numbers(rep.Invoices))
	}
	if rc := r.Receipt; rc != nil {
		fmt.Fprintf(w, "  Receipt    %s (%s, %d bytes)\n", rc.Filename, rc.ContentType, rc.Size)
	}
	proposed := "none"
	if len(r.Proposed) > 0 {
		proposed = "invoices " + numbers(r.Proposed)
	}
	fmt.Fprintf(w, "  Proposed   %s (%s)\n", proposed, r.Match)
	switch r.State {
	case tickets.ReportConfirmed:
		fmt.Fprintf(w, "  Confirmed by %s %s: payment %s of %s to invoices %s\n", r.DecidedBy, e.when(r.DecidedAt),
			r.PaymentID, tickets.Pesos(r.Amount), numbers(r.Paid))
	case tickets.ReportRejected:
		fmt.Fprintf(w, "  Rejected by %s %s: %s\n", r.DecidedBy, e.when(r.DecidedAt), oneLine(r.Reason, 200))
	default:
		fmt.Fprintf(w, "  Confirm with \"turno tickets confirm-payment %d\" or reject with \"turno tickets reject-payment %d --reason TEXT\"\n",
			r.Ticket, r.Ticket)
	}
}

// numbers lists invoice numbers: "1, 2".
func numbers(ns []int64) string {
	s := make([]string, len(ns))
	for i, n := range ns {
		s[i] = fmt.Sprint(n)
	}
	return strings.Join(s, ", ")
}
