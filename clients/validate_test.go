package clients

import (
	"context"
	"errors"
	"strings"
	"testing"

	"go.mongodb.org/mongo-driver/v2/bson"
)

// problemOn returns the problem err reports for field, failing the test when
// err is not a *ValidationError naming it.
func problemOn(t *testing.T, err error, field string) FieldError {
	t.Helper()
	var ve *ValidationError
	if !errors.As(err, &ve) {
		t.Fatalf("%s: want a validation error, got %v", field, err)
	}
	for _, p := range ve.Problems {
		if p.Field == field {
			return p
		}
	}
	t.Fatalf("%s: not named in %v", field, err)
	return FieldError{}
}

// A line break in a single-line field is a header injection waiting for a
// template that puts the field in a header: refused at the registry, for
// every caller, naming the field, changing nothing.
func TestControlCharactersRefusedNamingTheField(t *testing.T) {
	r, _ := newTestRegistry(t, nil)
	ctx := context.Background()

	c := completeClient("C2", "c2@example.cl")
	c.Name = "Bad\r\nBcc: x@evil.cl"
	_, err := r.Add(ctx, c, "test")
	if p := problemOn(t, err, "name"); !strings.Contains(p.Msg, "U+000D") {
		t.Fatalf("message does not say which character: %q", p.Msg)
	}
	if _, err := r.Get(ctx, "C2"); !errors.As(err, new(*NotFoundError)) {
		t.Fatalf("the refused client is stored: %v", err)
	}
	if n, _ := r.logins.CountDocuments(ctx, bson.D{}); n != 0 {
		t.Fatalf("the refused add left %d login claims", n)
	}

	before := mustAdd(t, r, completeClient("A", "a@example.cl"))
	for field, value := range map[string]string{
		"name":           "Acme\nBcc: x@evil.cl",
		"first_name":     "Ana\rMaría",
		"surname":        "Pérez\x00",
		"phone":          "+56 2\t2345 6789",
		"mobile":         "+56 9\v1234 5678",
		"address":        "Av. Uno\u0085123", // NEL, a C1 control
		"neighbourhood":  "Provi\x1bdencia",
		"city":           "Santiago\x7f",
		"region":         "RM\nX",
		"zone":           "Su\rr",
		"seller":         "Paula\nBcc: y@evil.cl",
		"razon_social":   "Acme\r\nSpA",
		"giro":           "Hosting\x00",
		"domicilio":      "Calle\n2",
		"billing_comuna": "Ñuñoa\x01",
		"billing_ciudad": "Santiago\x1f",
		"tax_id":         "76.086.428\n-5",
		"id_document":    "12.345\t678-5",
		"notes":          "ok\x07",
	} {
		_, err := r.Edit(ctx, "A", "op", func(c *Client) error { return SetField(c, field, value) })
		want := map[string]string{"neighbourhood": "comuna", "city": "ciudad", "razon_social": "billing.razon_social",
			"giro": "billing.giro", "domicilio": "billing.domicilio", "billing_comuna": "billing.comuna",
			"billing_ciudad": "billing.ciudad", "tax_id": "billing.tax_id"}[field]
		if want == "" {
			want = field
		}
		if p := problemOn(t, err, want); !strings.Contains(p.Msg, "control character") {
			t.Errorf("%s: message %q", field, p.Msg)
		}
	}
	if _, err := r.Edit(ctx, "A", "op", func(c *Client) error {
		c.NotifyEmails = []string{"conta@example.cl\r\nBcc: x@evil.cl"}
		return nil
	}); err == nil {
		t.Error("a notify address with a line break was accepted")
	} else {
		problemOn(t, err, "notify_emails")
	}
	if err := r.AddContact(ctx, "A", Contact{Address: "pagos@example.cl", Name: "Pagos\r\nBcc: x@evil.cl", Role: RoleBilling}, "op"); err == nil {
		t.Error("a contact name with a line break was accepted")
	} else {
		problemOn(t, err, "contact.name")
	}
	after, _ := r.load(ctx, "A")
	if after.Version != 1 || after.Name != before.Name || len(after.Contacts) != 0 {
		t.Fatalf("refused edits changed the client: version %d, %+v", after.Version, after.Client)
	}

	// Notes are the one multi-line field: line breaks and tabs stay, a
	// CRLF (what a browser's textarea sends) is stored as LF, and the
	// surrounding blanks are trimmed as everywhere.
	got, err := r.Edit(ctx, "A", "op", func(c *Client) error {
		c.Notes = "Llamar antes de las 10:\r\n\t- martes\r\n\t- jueves\n"
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if got.Notes != "Llamar antes de las 10:\n\t- martes\n\t- jueves" {
		t.Fatalf("notes stored as %q", got.Notes)
	}
}

// A record stored before the check (or by another tool) keeps working: a
// write re-checks only the values it changes, so deactivating a client whose
// old name holds a line break is not refused because of the name.
func TestControlCharactersInStoredValuesDoNotBlockOtherEdits(t *testing.T) {
	r, _ := newTestRegistry(t, nil)
	ctx := context.Background()
	mustAdd(t, r, completeClient("OLD", "old@example.cl"))
	if _, err := r.clients.UpdateOne(ctx, bson.D{{Key: "_id", Value: "OLD"}},
		bson.D{{Key: "$set", Value: bson.D{{Key: "name", Value: "Viejo\r\nNombre"}}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := r.SetActive(ctx, "OLD", "op", false); err != nil {
		t.Fatalf("deactivating a client with an old bad name: %v", err)
	}
	_, err := r.Edit(ctx, "OLD", "op", func(c *Client) error { c.Name = "Otro\nNombre"; return nil })
	problemOn(t, err, "name")
	got, err := r.Edit(ctx, "OLD", "op", func(c *Client) error { c.Name = "Viejo Nombre"; return nil })
	if err != nil || got.Name != "Viejo Nombre" || got.Active {
		t.Fatalf("fixing the name: %v %+v", err, got)
	}
}

// The import refuses the same values and reports the row by its line; a
// quoted field may span lines in a CSV, so the name below starts on line 3.
func TestImportRefusesControlCharactersByLine(t *testing.T) {
	r, _ := newTestRegistry(t, nil)
	ctx := context.Background()
	src := "client_id,name,email,notes\r\n" +
		"A,Alfa,a@example.cl,\"dos\r\nlíneas\"\r\n" +
		"B,\"Beta\r\nBcc: x@evil.cl\",b@example.cl,\r\n" +
		"C,Gamma,c@example.cl,\r\n"
	rep, err := r.Import(ctx, strings.NewReader(src), ImportOptions{By: "ops"})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Inserted != 2 || len(rep.Bad) != 1 || rep.Bad[0].Line != 4 || rep.Bad[0].ClientID != "B" ||
		!strings.Contains(rep.Bad[0].Reason, "name: contains control character U+000A") {
		t.Fatalf("report %+v", rep)
	}
	if _, err := r.Get(ctx, "B"); !errors.As(err, new(*NotFoundError)) {
		t.Fatalf("the bad row was stored: %v", err)
	}
	a, _ := r.Get(ctx, "A")
	if a.Notes != "dos\nlíneas" {
		t.Fatalf("multi-line notes imported as %q", a.Notes)
	}
}
