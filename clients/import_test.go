package clients

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"strings"
	"testing"
	"time"

	"golang.org/x/text/encoding/charmap"
)

// genCSV writes n client rows in the export's format; every 100th row is
// bad in one of four ways. It returns the file and the lines of bad rows.
func genCSV(n int, sep rune) ([]byte, map[int]string) {
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	w.Comma = sep
	_ = w.Write([]string{"client_id", "name", "email", "phone", "zone", "tax_id", "razon_social", "giro", "domicilio", "billing_comuna", "billing_ciudad", "billing_enabled", "created_at"})
	bad := map[int]string{}
	ruts := []string{"76.086.428-5", "12531909-2", "11.111.111-1", "22222222-2"}
	for i := range n {
		id := fmt.Sprintf("CL%06d", i)
		email := fmt.Sprintf("cliente%d@Example.cl", i)
		rut, name := ruts[i%len(ruts)], fmt.Sprintf("Cliente Ñandú %d", i)
		line := i + 2
		if i%100 == 37 {
			switch (i / 100) % 4 {
			case 0:
				rut, bad[line] = "76086428-4", "billing.tax_id"
			case 1:
				email, bad[line] = "no-es-correo", "email"
			case 2:
				name, bad[line] = "", "name"
			case 3:
				email, bad[line] = "cliente0@example.cl", "also on line 2"
			}
		}
		_ = w.Write([]string{id, name, email, "+56 2 2345 6789", "Centro", rut, name + " SpA", "Hosting", "Calle " + id, "Santiago", "Santiago", "sí", "2020-01-01T00:00:00Z"})
	}
	w.Flush()
	return buf.Bytes(), bad
}

func TestImportReportsBadRowsStoresGoodAndIsIdempotent(t *testing.T) {
	r, _ := newTestRegistry(t, nil)
	ctx := context.Background()
	const n = 5000
	data, bad := genCSV(n, ';')
	var progress []int
	start := time.Now()
	lap := func(what string) { t.Logf("%s: %v", what, time.Since(start)); start = time.Now() }
	dry, err := r.Import(ctx, bytes.NewReader(data), ImportOptions{DryRun: true, By: "test"})
	if err != nil {
		t.Fatal(err)
	}
	lap("dry run")
	if dry.Inserted != n-len(bad) || len(dry.Bad) != len(bad) {
		t.Fatalf("dry run: %d inserted, %d bad", dry.Inserted, len(dry.Bad))
	}
	if cs, _ := r.List(ctx, Filter{}); len(cs) != 0 {
		t.Fatalf("dry run wrote %d clients", len(cs))
	}
	rep, err := r.Import(ctx, bytes.NewReader(data), ImportOptions{By: "test", Progress: func(done, _ int) { progress = append(progress, done) }})
	if err != nil {
		t.Fatal(err)
	}
	lap("import")
	if rep.Rows != n || rep.Inserted != n-len(bad) || len(rep.Bad) != len(bad) {
		t.Fatalf("report: rows %d inserted %d bad %d (want %d bad)", rep.Rows, rep.Inserted, len(rep.Bad), len(bad))
	}
	for _, b := range rep.Bad {
		if want, ok := bad[b.Line]; !ok || !strings.Contains(b.Reason, want) {
			t.Fatalf("bad row %+v; expected %q", b, want)
		}
	}
	if last := progress[len(progress)-1]; last != rep.Inserted || len(progress) < 5 {
		t.Fatalf("progress %v", progress)
	}
	cs, _ := r.List(ctx, Filter{})
	if len(cs) != n-len(bad) {
		t.Fatalf("%d clients stored", len(cs))
	}
	got, _ := r.Get(ctx, "CL000001")
	if got.Email != "cliente1@example.cl" || got.Billing.TaxID != "12531909-2" || !got.BillingEnabled || got.Name != "Cliente Ñandú 1" || !got.Mail.Invoice {
		t.Fatalf("stored %+v", got)
	}
	if ms, _ := r.Lookup(ctx, "CLIENTE4999@example.cl"); len(ms) != 1 || ms[0].ClientID != "CL004999" {
		t.Fatalf("lookup after import: %+v", ms)
	}
	again, err := r.Import(ctx, bytes.NewReader(data), ImportOptions{By: "test"})
	if err != nil {
		t.Fatal(err)
	}
	lap("second import")
	if again.Inserted != 0 || again.Updated != 0 || again.Unchanged != n-len(bad) {
		t.Fatalf("second run: %+v", again)
	}

	// Export, then import of the export (BOM and semicolons) changes nothing.
	var out bytes.Buffer
	if _, err := r.Export(ctx, &out, Filter{}, ExportOptions{BOM: true, Semicolon: true}); err != nil {
		t.Fatal(err)
	}
	lap("export")
	if !bytes.HasPrefix(out.Bytes(), []byte("\uFEFFclient_id;name;notes;email;phone;mobile;address;neighbourhood;zone;id_document;city;region;billing_enabled;invoice_type;tax_condition;tax_id;unpaid_invoices;unpaid_balance;payment_gateway;created_at;updated_at;")) {
		t.Fatalf("export header: %.200q", out.String())
	}
	round, err := r.Import(ctx, bytes.NewReader(out.Bytes()), ImportOptions{By: "test"})
	if err != nil {
		t.Fatal(err)
	}
	lap("re-import")
	if round.Unchanged != n-len(bad) || round.Updated != 0 || len(round.Bad) != 0 {
		t.Fatalf("re-import of export: %+v", round)
	}
}

func TestImportUpdatesAndAudits(t *testing.T) {
	r, _ := newTestRegistry(t, nil)
	ctx := context.Background()
	mustAdd(t, r, completeClient("A", "a@example.cl"))
	// Windows-1252, comma separated, only some columns.
	src := "client_id,razon_social,email,zone\r\nA,Compañía Nueva SpA,nuevo@example.cl,Sur\r\nB,Beta Ltda,b@example.cl,Sur\r\n"
	enc, err := charmap.Windows1252.NewEncoder().String(src)
	if err != nil {
		t.Fatal(err)
	}
	rep, err := r.Import(ctx, strings.NewReader(enc), ImportOptions{By: "ops"})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Updated != 1 || rep.Inserted != 0 || len(rep.Bad) != 1 || rep.Bad[0].Line != 3 || !strings.Contains(rep.Bad[0].Reason, "name: is required") {
		t.Fatalf("report %+v", rep)
	}
	a, _ := r.Get(ctx, "A")
	if a.Billing.RazonSocial != "Compañía Nueva SpA" || a.Email != "nuevo@example.cl" || a.Zone != "Sur" || a.Billing.Giro != "Servicios" {
		t.Fatalf("A after import: %+v", a)
	}
	if ms, _ := r.Lookup(ctx, "a@example.cl"); len(ms) != 0 {
		t.Fatalf("old address still indexed: %+v", ms)
	}
	trail, _ := r.Audit(ctx, "A")
	found := false
	for _, e := range trail {
		if e.Field == "billing.razon_social" && e.New == "Compañía Nueva SpA" && e.Action == "import" && e.By == "ops" {
			found = true
		}
	}
	if !found {
		t.Fatalf("razón social change not audited: %+v", trail)
	}
	if _, err := r.Import(ctx, strings.NewReader("client_id,colour\nA,red\n"), ImportOptions{}); err == nil || !strings.Contains(err.Error(), `unknown column "colour"`) {
		t.Fatalf("unknown column: %v", err)
	}
}

// An import reads every client first and writes much later; an operator's
// edit of a client in between must survive, and the import must say it did
// not write that row, rather than put back the values it read.
func TestImportDoesNotOverwriteAnEditMadeDuringIt(t *testing.T) {
	r, _ := newTestRegistry(t, nil)
	ctx := context.Background()
	mustAdd(t, r, completeClient("A", "a@example.cl"))
	mustAdd(t, r, completeClient("B", "b@example.cl"))
	src := "client_id,zone\nA,Norte\nB,Norte\n"
	edited := false
	rep, err := r.Import(ctx, strings.NewReader(src), ImportOptions{By: "ops", Progress: func(done, _ int) {
		if done != 0 || edited {
			return
		}
		// Between validation and the first write: an operator edits A.
		edited = true
		if _, err := r.Edit(ctx, "A", "operator", func(c *Client) error { c.Seller = "Paula"; return nil }); err != nil {
			t.Errorf("concurrent edit: %v", err)
		}
	}})
	if err != nil {
		t.Fatal(err)
	}
	if !edited {
		t.Fatal("the import never reported progress before writing")
	}
	a, _ := r.Get(ctx, "A")
	if a.Seller != "Paula" {
		t.Fatalf("the operator's edit was overwritten: seller %q", a.Seller)
	}
	if a.Zone != "" {
		t.Fatalf("A was written from a stale read: zone %q", a.Zone)
	}
	if b, _ := r.Get(ctx, "B"); b.Zone != "Norte" {
		t.Fatalf("B not imported: zone %q; report %+v", b.Zone, rep)
	}
	if rep.Updated != 1 || len(rep.Bad) != 1 || rep.Bad[0].Line != 2 || rep.Bad[0].ClientID != "A" ||
		!strings.Contains(rep.Bad[0].Reason, "changed by someone else") {
		t.Fatalf("report %+v", rep)
	}
	// The trail keeps the operator's edit, and says the import's values
	// were put back at once.
	trail, _ := r.Audit(ctx, "A")
	var edit, undone bool
	for _, e := range trail {
		switch {
		case e.Action == "import":
			t.Fatalf("audit has an import entry for the row not written: %+v", e)
		case e.Action == "edit" && e.Field == "seller" && e.New == "Paula" && e.By == "operator":
			edit = true
		case e.Action == "import_undone" && e.Field == "zone" && e.Old == "Norte" && e.New == "" && e.By == "ops":
			undone = true
		}
	}
	if !edit || !undone {
		t.Fatalf("audit trail: edit %v, import_undone %v: %+v", edit, undone, trail)
	}
	// Running the import again applies the row on top of the edit.
	again, err := r.Import(ctx, strings.NewReader(src), ImportOptions{By: "ops"})
	if err != nil || again.Updated != 1 || len(again.Bad) != 0 {
		t.Fatalf("second run: %v %+v", err, again)
	}
	if a, _ := r.Get(ctx, "A"); a.Seller != "Paula" || a.Zone != "Norte" {
		t.Fatalf("A after the second run: seller %q zone %q", a.Seller, a.Zone)
	}
}
