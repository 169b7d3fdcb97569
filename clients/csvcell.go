package clients

import "strings"

// Formula injection (CSV injection). Accountants open the export in a
// spreadsheet program, which runs a cell that begins with = + - or @ (or a
// tab or CR before them) as a formula: a client named
// =HYPERLINK("https://…"&P2) would send its neighbours' data wherever it
// points. Following OWASP, the export writes such a text cell with a single
// quote in front, the spreadsheets' own "this is text" mark, and the import
// takes it off again.
//
// The rule is one-to-one, so an export imported again changes nothing:
//
//   - the export adds a ' to every text cell that begins with = + - @, a tab,
//     a CR, or a ' (so a value that really begins with a quote keeps it);
//   - the import removes one ' from every cell that begins with one.
//
// A phone +56 9 1234 5678 is written '+56 9 1234 5678: a spreadsheet shows
// it as the text it is (Excel and Google Sheets do not show the mark),
// where without it the cell would be read as the formula 56 9 1234 5678,
// and a compact +56912345678 as the number 5.69E+10. A text editor shows
// the quote. The figures the export computes (unpaid invoices and balance)
// are numbers, not text, and a negative balance stays a number.
//
// A file written by hand reads the same way: a leading ' marks text, so
// '=1+1 imports as =1+1; a value that must begin with a quote is written
// with two.

// formulaStart lists the first characters a spreadsheet may run as a
// formula, and the quote itself.
const formulaStart = "=+-@\t\r'"

// exportCell returns the text v as the export writes it.
func exportCell(v string) string {
	if v != "" && strings.IndexByte(formulaStart, v[0]) >= 0 {
		return "'" + v
	}
	return v
}

// importCell undoes exportCell.
func importCell(v string) string {
	return strings.TrimPrefix(v, "'")
}
