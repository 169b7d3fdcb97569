package cli

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"turno/billing"
	"turno/scheduler"
)

func newInvoicesCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{Use: "invoices", Short: "List, show, pay, void and print invoices"}
	var client, status string
	var asJSON bool
	list := &cobra.Command{
		Use: "list", Short: "List issued invoices", Args: cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			return e.withBilling(func(ctx context.Context, svc *billing.Service, _ *scheduler.Scheduler) error {
				invs, err := svc.Invoices(ctx, billing.InvoiceFilter{ClientID: client, Status: status})
				if err != nil {
					return err
				}
				return e.emit(asJSON, invs, func(w io.Writer) error {
					tw := newTable(w, "NUMBER\tCLIENT\tCONTRACT\tPERIOD\tISSUED\tDUE\tTOTAL\tBALANCE\tSTATUS")
					for _, i := range invs {
						fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%d\t%d\t%s\n", i.Number, i.ClientID, i.ContractID, i.Period, i.IssueDate, i.DueDate, i.Total, i.Balance(), i.Status)
					}
					return tw.Flush()
				})
			})
		},
	}
	list.Flags().StringVar(&client, "client", "", "only this client's invoices")
	list.Flags().StringVar(&status, "status", "", "unpaid, paid or void")
	jsonFlag(list, &asJSON)
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
		req, err := svc.DTERequestOf(ctx, inv.ID)
		if err != nil {
			return err
		}
		return e.emit(asJSON, invoiceView{inv, req}, func(w io.Writer) error {
			if err := e.printInvoice(w, inv); err != nil {
				return err
			}
			e.printDTE(w, inv, req)
			return nil
		})
	})
	jsonFlag(show, &asJSON)
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
	dtePDF := byNumber("dte-pdf", "Write an invoice's tax document (DTE), as the DTE issuer answered it, to stdout", func(ctx context.Context, svc *billing.Service, n int64) error {
		inv, err := svc.InvoiceByNumber(ctx, n)
		if err != nil {
			return err
		}
		doc, err := svc.DTEDocumentOf(ctx, inv.ID)
		if err != nil {
			return err
		}
		_, err = e.stdout.Write(doc.PDF)
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
			if day != "" {
				d, err := scheduler.ParseDate(day)
				if err != nil {
					return err
				}
				req.Date = d
			}
			return e.withBilling(func(ctx context.Context, svc *billing.Service, _ *scheduler.Scheduler) error {
				if req.Date.IsZero() {
					req.Date = e.today()
				}
				p, err := svc.Pay(ctx, req)
				if err != nil {
					return err
				}
				return e.emit(asJSON, p, func(w io.Writer) error { return printPayment(w, p) })
			})
		},
	}
	pay.Flags().Int64Var(&req.Amount, "amount", 0, "amount paid, in pesos")
	pay.Flags().StringVar(&req.Method, "method", "", "how it was paid (transferencia, webpay…)")
	pay.Flags().StringVar(&req.Reference, "reference", "", "operation number; makes a repeat harmless")
	pay.Flags().StringVar(&day, "date", "", "payment date, YYYY-MM-DD (default today)")
	jsonFlag(pay, &asJSON)
	cmd.AddCommand(list, show, void, pdf, dtePDF, pay)
	return cmd
}

// printInvoice is `turno invoices show` as text: the invoice with the
// billing data and contract it was issued from.
func (e *env) printInvoice(w io.Writer, inv *billing.Invoice) error {
	b := inv.Billing
	fmt.Fprintf(w, "Invoice    %d  %s\nClient     %s\nContract   %s  %s (%s)\n", inv.Number, inv.Status, inv.ClientID,
		inv.ContractID, inv.Contract.Description, contractAmount(inv.Contract))
	fmt.Fprintf(w, "Period     %s  issued %s  due %s\n", inv.Period, inv.IssueDate, inv.DueDate)
	fmt.Fprintf(w, "Billed to  %s  tax ID %s %s  giro %s\n           %s, %s, %s\n", b.RazonSocial, orElse(b.TaxCountry, "CL"),
		b.TaxID, b.Giro, b.Domicilio, b.Comuna, b.Ciudad)
	if inv.UFRate != 0 {
		fmt.Fprintf(w, "UF         %.2f\n", inv.UFRate)
	}
	fmt.Fprintf(w, "Net        %d\nIVA        %d\nTotal      %d\nPaid       %d\nBalance    %d\n", inv.Net, inv.Tax, inv.Total,
		inv.Paid, inv.Balance())
	if len(inv.Payments) > 0 {
		fmt.Fprintf(w, "Payments   %s\n", strings.Join(inv.Payments, ", "))
	}
	fmt.Fprintf(w, "Language   %s\nMailed     %s\nCreated    %s\n", inv.Lang, yesNo(inv.Mailed), e.when(inv.CreatedAt))
	if !inv.VoidedAt.IsZero() {
		fmt.Fprintf(w, "Voided     %s\n", e.when(inv.VoidedAt))
	}
	return nil
}

// invoiceView is `turno invoices show --json`: the invoice, and the tax
// document request still pending for it.
type invoiceView struct {
	*billing.Invoice
	DTERequest *billing.DTERequest `json:"dte_request,omitempty"`
}

// printDTE says where the invoice's tax document stands, when a DTE issuer
// was asked for one: issued (type and folio), refused or given up (why:
// nothing was mailed as issued), or pending (attempts, next try, last
// error).
func (e *env) printDTE(w io.Writer, inv *billing.Invoice, req *billing.DTERequest) {
	if d := inv.DTE; d != nil {
		switch d.Status {
		case billing.DTEOK:
			fmt.Fprintf(w, "DTE        issued: type %d folio %d  (%s, key %s)\n", d.Type, d.Folio, e.when(d.At), d.Key)
		default:
			fmt.Fprintf(w, "DTE        %s: %s\n           NOT ISSUED: nothing was mailed as issued (%s, %d attempts, key %s)\n",
				strings.ToUpper(d.Status), d.Message, e.when(d.At), d.Attempts, d.Key)
		}
		return
	}
	if req != nil {
		fmt.Fprintf(w, "DTE        pending (%s): %d attempts, next %s, key %s\n", req.Trigger, req.Attempts, e.when(req.NextAt), req.Key)
		if req.LastError != "" {
			fmt.Fprintf(w, "           last error: %s\n", req.LastError)
		}
	}
}

// printPayment is what `turno invoices pay` says it recorded.
func printPayment(w io.Writer, p *billing.Payment) error {
	fmt.Fprintf(w, "payment %s of client %s: %d by %s on %s (%s)\n", p.ID, p.ClientID, p.Amount, orElse(p.Method, "-"),
		p.Date, p.Status)
	for _, a := range p.Applied {
		fmt.Fprintf(w, "  invoice %d: %d applied, balance %d\n", a.Number, a.Amount, a.Total-a.PaidBefore-a.Amount)
	}
	return nil
}
