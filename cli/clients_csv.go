package cli

import (
	"context"
	"fmt"
	"os"

	"github.com/mattn/go-isatty"
	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"

	"turno/billing"
	"turno/clients"
	"turno/scheduler"
)

func newClientsImportCmd(e *env, cf *clientFlags) *cobra.Command {
	var dryRun bool
	cmd := &cobra.Command{
		Use:   "import FILE.csv [--dry-run]",
		Short: "Upsert clients from a CSV in the export's format",
		Long: `Upsert clients by client_id from a CSV with a header row naming columns of
"turno clients export" (any subset that includes client_id). UTF-8 (with or
without BOM) or Windows-1252, comma or semicolon separated. One leading
single quote, the spreadsheets' text mark, is taken off every value ('=1+1
imports as =1+1). Every row is validated first; bad rows are reported with
their line and skipped, good rows are written. A second run of the same file
changes nothing. The exit code is 1 when any row was bad.`,
		Args: cobra.ExactArgs(1),
		RunE: func(_ *cobra.Command, args []string) error {
			f, err := os.Open(args[0])
			if err != nil {
				return err
			}
			defer f.Close()
			opts := clients.ImportOptions{DryRun: dryRun, By: e.who(cf.by), Progress: e.importProgress()}
			return e.withRegistry(false, 0, func(ctx context.Context, r *clients.Registry) error {
				rep, err := r.Import(ctx, f, opts)
				if err != nil {
					return err
				}
				if cf.asJSON {
					if err := printJSON(e.stdout, map[string]any{"dry_run": dryRun, "report": rep}); err != nil {
						return err
					}
				} else {
					for _, b := range rep.Bad {
						fmt.Fprintln(e.stdout, "bad row:", b.String())
					}
					what := "imported"
					if dryRun {
						what = "dry run, nothing written"
					}
					fmt.Fprintf(e.stdout, "%s: %d rows, %d new, %d updated, %d unchanged, %d bad\n",
						what, rep.Rows, rep.Inserted, rep.Updated, rep.Unchanged, len(rep.Bad))
				}
				if len(rep.Bad) > 0 {
					return fmt.Errorf("%d bad rows", len(rep.Bad))
				}
				return nil
			})
		},
	}
	cmd.Flags().BoolVar(&dryRun, "dry-run", false, "validate and count; write nothing")
	return cmd
}

// importProgress draws a progress bar when stderr is a terminal and prints
// plain lines otherwise.
func (e *env) importProgress() func(done, total int) {
	if f, ok := e.stderr.(*os.File); ok && isatty.IsTerminal(f.Fd()) {
		var bar *progressbar.ProgressBar
		return func(done, total int) {
			if bar == nil {
				bar = progressbar.NewOptions(total, progressbar.OptionSetWriter(f), progressbar.OptionSetDescription("importing"),
					progressbar.OptionShowCount(), progressbar.OptionClearOnFinish())
			}
			_ = bar.Set(done)
		}
	}
	return func(done, total int) { fmt.Fprintf(e.stderr, "import: %d/%d rows written\n", done, total) }
}

func newClientsExportCmd(e *env, cf *clientFlags) *cobra.Command {
	var ff filterFlags
	var bom, semicolon bool
	cmd := &cobra.Command{
		Use:   "export [filters] [--bom] [--semicolon] > FILE.csv",
		Short: "Write clients as CSV (the import's format)",
		Long: `Write the selected clients as CSV to standard output: the columns of the seed
systems' export first, then the rest of the record; unpaid_invoices and
unpaid_balance come from billing. --bom and --semicolon
suit Spanish-locale spreadsheet programs.

A text cell that a spreadsheet would run as a formula (one that begins with
= + - @, a tab or a CR) is written with a single quote in front, and so is
one that begins with a quote: '+56 9 1234 5678 shows as text in a spreadsheet.
"turno clients import" takes the quote off again.`,
		Args: cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			f, err := ff.filter()
			if err != nil {
				return err
			}
			// Unpaid totals come from billing; read them first (the embedded
			// store admits one opener at a time).
			var owed map[string]billing.Unpaid
			if err := e.withBilling(func(ctx context.Context, svc *billing.Service, _ *scheduler.Scheduler) error {
				var err error
				owed, err = svc.UnpaidByClient(ctx)
				return err
			}); err != nil {
				return err
			}
			unpaid := func(_ context.Context, id string) (int, int64, bool, error) {
				u := owed[id]
				return u.Count, u.Balance, true, nil
			}
			return e.withRegistry(false, 0, func(ctx context.Context, r *clients.Registry) error {
				n, err := r.Export(ctx, e.stdout, f, clients.ExportOptions{BOM: bom, Semicolon: semicolon, Unpaid: unpaid})
				if err == nil {
					fmt.Fprintf(e.stderr, "exported %d clients\n", n)
				}
				return err
			})
		},
	}
	ff.add(cmd)
	cmd.Flags().BoolVar(&bom, "bom", false, "start with a UTF-8 byte-order mark")
	cmd.Flags().BoolVar(&semicolon, "semicolon", false, "separate with ; instead of ,")
	return cmd
}
