package clients

import (
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"strconv"
)

// UnpaidFunc reports a client's unpaid invoices and balance; ok false leaves
// the columns empty. Billing provides it once it exists.
type UnpaidFunc func(ctx context.Context, clientID string) (count int, balance int64, ok bool, err error)

// ExportOptions shape the CSV for spreadsheet programs.
type ExportOptions struct {
	BOM       bool // start with a UTF-8 byte-order mark (Excel)
	Semicolon bool // ";" separators (Spanish-locale Excel)
	Unpaid    UnpaidFunc
}

// Export writes the clients f selects as CSV, one header row then one row
// per client in ID order, columns as Columns lists. It returns the number of
// clients written. Import reads this format back. A text cell that a
// spreadsheet would run as a formula is written with a leading quote, which
// Import removes (csvcell.go).
func (r *Registry) Export(ctx context.Context, w io.Writer, f Filter, opts ExportOptions) (int, error) {
	if opts.BOM {
		if _, err := io.WriteString(w, "\uFEFF"); err != nil {
			return 0, fmt.Errorf("write export: %w", err)
		}
	}
	cw := csv.NewWriter(w)
	if opts.Semicolon {
		cw.Comma = ';'
	}
	header := make([]string, len(Columns))
	for i, c := range Columns {
		header[i] = c.Name
	}
	if err := cw.Write(header); err != nil {
		return 0, fmt.Errorf("write export: %w", err)
	}
	n := 0
	err := r.Each(ctx, f, func(c Client) error {
		row := make([]string, len(Columns))
		for i, col := range Columns {
			if col.Get != nil {
				row[i] = exportCell(col.Get(&c)) // no formulas: see csvcell.go
			}
		}
		if opts.Unpaid != nil {
			count, bal, ok, err := opts.Unpaid(ctx, c.ID)
			if err != nil {
				return fmt.Errorf("unpaid figures of %s: %w", c.ID, err)
			}
			if ok {
				row[colUnpaidCount], row[colUnpaidBalance] = strconv.Itoa(count), strconv.FormatInt(bal, 10)
			}
		}
		n++
		return cw.Write(row)
	})
	cw.Flush()
	if err == nil {
		err = cw.Error()
	}
	return n, err
}

var colUnpaidCount, colUnpaidBalance = columnIndex("unpaid_invoices"), columnIndex("unpaid_balance")

func columnIndex(name string) int {
	for i, c := range Columns {
		if c.Name == name {
			return i
		}
	}
	panic("no column " + name)
}
