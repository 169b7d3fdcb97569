package clients

import (
	"errors"
	"reflect"
	"testing"

	"turno/clients/taxid"
)

func complete() BillingData {
	return BillingData{
		RazonSocial: "Hosting Austral SpA",
		TaxID:       "76.086.428-5",
		Giro:        "Servicios de hosting",
		Domicilio:   "Av. Providencia 1234, of. 56",
		Comuna:      "Providencia",
		Ciudad:      "Santiago",
	}
}

func TestBillingDataCheck(t *testing.T) {
	type want struct{ field, code, es string }
	cases := []struct {
		name string
		edit func(*BillingData)
		want []want
	}{
		{"complete", func(*BillingData) {}, nil},
		{"complete with K", func(b *BillingData) { b.TaxID = "60803000-k" }, nil},
		{"explicit CL lower case", func(b *BillingData) { b.TaxCountry = " cl " }, nil},
		{"Argentina", func(b *BillingData) { b.TaxCountry, b.TaxID = "AR", "30-50001091-2" }, nil},
		{"Mexico, check digit warning only", func(b *BillingData) { b.TaxCountry, b.TaxID = "MX", "GODE561231GR9" }, nil},
		{"missing razón social", func(b *BillingData) { b.RazonSocial = "" },
			[]want{{"razon_social", "missing", "Falta la razón social de la empresa."}}},
		{"blank giro and ciudad", func(b *BillingData) { b.Giro, b.Ciudad = "  \t", "\n" },
			[]want{{"giro", "missing", "Falta el giro (la actividad de la empresa)."}, {"ciudad", "missing", "Falta la ciudad."}}},
		{"missing RUT", func(b *BillingData) { b.TaxID = " " },
			[]want{{"tax_id", "missing", "Falta el RUT."}}},
		{"missing NIT", func(b *BillingData) { b.TaxCountry, b.TaxID = "CO", "" },
			[]want{{"tax_id", "missing", "Falta el NIT."}}},
		{"wrong RUT check digit", func(b *BillingData) { b.TaxID = " 76.086.428-4 " },
			[]want{{"tax_id", "invalid", "El RUT 76.086.428-4 no es válido: el dígito verificador no corresponde; revise que el RUT esté bien copiado."}}},
		{"RUT valid only in another country", func(b *BillingData) { b.TaxCountry = "AR" },
			[]want{{"tax_id", "invalid", "El CUIT 76.086.428-5 no es válido: el CUIT debe tener 11 dígitos, por ejemplo 20-17254359-7."}}},
		{"unsupported country", func(b *BillingData) { b.TaxCountry = "Chile" },
			[]want{{"tax_country", "invalid", "El país tributario «Chile» no está soportado; indique CL, AR, CO, EC o MX."}}},
		{"everything missing", func(b *BillingData) { *b = BillingData{} },
			[]want{{"razon_social", "missing", "Falta la razón social de la empresa."}, {"tax_id", "missing", "Falta el RUT."},
				{"giro", "missing", "Falta el giro (la actividad de la empresa)."}, {"domicilio", "missing", "Falta el domicilio (calle y número)."},
				{"comuna", "missing", "Falta la comuna."}, {"ciudad", "missing", "Falta la ciudad."}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			b := complete()
			c.edit(&b)
			got := b.Check()
			if c.want == nil {
				if got != nil {
					t.Fatalf("Check() = %+v, want nil", got)
				}
				return
			}
			if len(got) != len(c.want) {
				t.Fatalf("Check() = %+v, want %d problems", got, len(c.want))
			}
			for i, w := range c.want {
				p := got[i]
				if p.Field != w.field || p.Code != w.code || p.MessageES != w.es || p.Message == "" {
					t.Errorf("problem %d = %+v, want %s/%s %q and an English message", i, p, w.field, w.code, w.es)
				}
			}
		})
	}
}

func TestBillingDataNormalized(t *testing.T) {
	in := BillingData{
		RazonSocial: "  Hosting Austral SpA ",
		TaxID:       " 76.086.428-5",
		Giro:        "Servicios de hosting\n",
		Domicilio:   "\tAv. Providencia 1234",
		Comuna:      " Providencia ",
		Ciudad:      "Santiago ",
	}
	want := BillingData{
		RazonSocial: "Hosting Austral SpA",
		TaxCountry:  "CL",
		TaxID:       "76086428-5",
		Giro:        "Servicios de hosting",
		Domicilio:   "Av. Providencia 1234",
		Comuna:      "Providencia",
		Ciudad:      "Santiago",
	}
	got, err := in.Normalized()
	if err != nil || got != want {
		t.Fatalf("Normalized() = %+v, %v; want %+v", got, err, want)
	}
	if again, err := got.Normalized(); err != nil || again != got {
		t.Errorf("Normalized() of normalised data = %+v, %v", again, err)
	}

	mx, err := BillingData{TaxCountry: "mx", TaxID: "gode-561231-gr8"}.Normalized()
	if err != nil || mx.TaxCountry != "MX" || mx.TaxID != "GODE561231GR8" {
		t.Errorf("MX Normalized() = %+v, %v", mx, err)
	}

	// Missing fields are Check's business, not an error here.
	empty, err := BillingData{RazonSocial: " x "}.Normalized()
	if err != nil || !reflect.DeepEqual(empty, BillingData{RazonSocial: "x", TaxCountry: "CL"}) {
		t.Errorf("Normalized() without tax ID = %+v, %v", empty, err)
	}

	for _, bad := range []BillingData{
		{TaxID: "76.086.428-4", Comuna: " Ñuñoa "},
		{TaxCountry: "PE", TaxID: "20100047218", Comuna: " Ñuñoa "},
		{TaxCountry: "PE", Comuna: " Ñuñoa "},
	} {
		got, err := bad.Normalized()
		var te *taxid.Error
		if !errors.As(err, &te) {
			t.Errorf("Normalized(%+v) error %v, want a *taxid.Error", bad, err)
		}
		if got.Comuna != "Ñuñoa" || got.TaxID != bad.TaxID {
			t.Errorf("Normalized(%+v) = %+v, want trimmed data with the tax ID as given", bad, got)
		}
	}
}
