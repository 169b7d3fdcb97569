package cli

import (
	"context"
	"fmt"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"turno/billing"
	"turno/scheduler"
)

func newInvoicesCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{Use: "invoices", Short: "List, show, pay, void and print invoices"}
	var client, status string
	list := &cobra.Command{
		Use: "list", Short: "List issued invoices", Args: cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			return e.withBilling(func(ctx context.Context, svc *billing.Service, _ *scheduler.Scheduler) error {
				invs, err := svc.Invoices(ctx, billing.InvoiceFilter{ClientID: client, Status: status})
				if err != nil {
					return err
				}
				w := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
				fmt.Fprintln(w, "NUMBER\tCLIENT\tCONTRACT\tPERIOD\tISSUED\tDUE\tTOTAL\tBALANCE\tSTATUS")
				for _, i := range invs {
					fmt.Fprintf(w, "%d\t%s\t%s\t%s\t%s\t%s\t%d\t%d\t%s\n", i.Number, i.ClientID, i.ContractID, i.Period, i.IssueDate, i.DueDate, i.Total, i.Balance(), i.Status)
				}
				return w.Flush()
			})
		},
	}
	list.Flags().StringVar(&client, "client", "", "only this client's invoices")
	list.Flags().StringVar(&status, "status", "", "unpaid, paid or void")
	byNumber := func(use, short string, fn func(ctx context.Context, svc *billing.Service, n int64) error) *cobra.Command {
		return &cobra.Command{Use: use + " NUMBER", Short: short, Args: cobra.ExactArgs(1),
			RunE: func(_ *cobra.Command, args []string) error {
				n, err := parseNumber(args[0])
				if err != nil {
					return err
				}
				return e.withBilling(func(ctx context.Context, svc *billing.Service, _ *scheduler.Scheduler) error {
					return fn(ctx, svc, n)
				})
			}}
	}
	show := byNumber("show", "Show an invoice with its snapshots", func(ctx context.Context, svc *billing.Service, n int64) error {
		inv, err := svc.InvoiceByNumber(ctx, n)
		if err != nil {
			return err
		}
		return e.printJSON(inv)
	})
	void := byNumber("void", "Void an unpaid invoice (it keeps its number)", func(ctx context.Context, svc *billing.Service, n int64) error {
		return svc.VoidInvoice(ctx, n)
	})
	pdf := byNumber("pdf", "Write an invoice's PDF to stdout (turno invoices pdf 12 > f.pdf)", func(ctx context.Context, svc *billing.Service, n int64) error {
		inv, err := svc.InvoiceByNumber(ctx, n)
		if err != nil {
			return err
		}
		b, err := svc.RenderPDF(inv)
		if err != nil {
			return err
		}
		_, err = e.stdout.Write(b)
		return err
	})
	var req billing.PaymentRequest
	var day string
	pay := &cobra.Command{
		Use:   "pay NUMBER...",
		Short: "Record a payment of one or more invoices of one client",
		Long: `Record a payment: it is applied to the invoices oldest first; a payment
below their balance is partial, one above it is refused. The same --reference
twice records one payment. A confirmation goes to the principal address.`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(_ *cobra.Command, args []string) error {
			for _, a := range args {
				n, err := parseNumber(a)
				if err != nil {
					return err
				}
				req.Numbers = append(req.Numbers, n)
			}
			d, err := scheduler.ParseDate(day)
			if err != nil {
				return err
			}
			req.Date = d
			return e.withBilling(func(ctx context.Context, svc *billing.Service, _ *scheduler.Scheduler) error {
				p, err := svc.Pay(ctx, req)
				if err != nil {
					return err
				}
				return e.printJSON(p)
			})
		},
	}
	pay.Flags().Int64Var(&req.Amount, "amount", 0, "amount paid, in pesos")
	pay.Flags().StringVar(&req.Method, "method", "", "how it was paid (transferencia, webpay…)")
	pay.Flags().StringVar(&req.Reference, "reference", "", "operation number; makes a repeat harmless")
	pay.Flags().StringVar(&day, "date", time.Now().Format(time.DateOnly), "payment date, YYYY-MM-DD")
	cmd.AddCommand(list, show, void, pdf, pay)
	return cmd
}
