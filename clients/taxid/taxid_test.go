package taxid

import (
	"errors"
	"slices"
	"strings"
	"testing"
)

// Published numbers used below:
//   - CL 76.086.428-5 and 12.531.909-2 (from the brief); 60.803.000-K, the
//     Servicio de Impuestos Internos itself.
//   - AR 20-17254359-7 and 30-50001091-2; 33-69345023-9, AFIP itself.
//   - CO 890.903.938-8, Bancolombia; 899.999.068-1, Ecopetrol.
//   - EC 1710034065 (cédula) and the RUCs from python-stdnum's test data.
//   - MX GODE561231GR8 and MAB9307148T4 (SAT and python-stdnum examples),
//     and the generic RFCs.
//
// Other numbers were computed with the algorithm and checked by hand.

type validCase struct {
	country  Country
	in       string
	kind     string
	norm     string
	warnings int
}

func TestValidateValid(t *testing.T) {
	cases := []validCase{
		// CL: each accepted form.
		{CL, "76.086.428-5", "RUT", "76086428-5", 0},
		{CL, "76086428-5", "RUT", "76086428-5", 0},
		{CL, "760864285", "RUT", "76086428-5", 0},
		{CL, " 76 086 428 - 5 ", "RUT", "76086428-5", 0},
		{CL, "12.531.909-2", "RUT", "12531909-2", 0},
		{CL, "60.803.000-K", "RUT", "60803000-K", 0},
		{CL, "60803000-k", "RUT", "60803000-K", 0},
		{CL, "60803000k", "RUT", "60803000-K", 0},
		{CL, "10.000.004-0", "RUT", "10000004-0", 0},
		{CL, "5.126.663-3", "RUT", "5126663-3", 0}, // 7-digit body
		{CL, "05.126.663-3", "RUT", "5126663-3", 0},
		// AR
		{AR, "20-17254359-7", "CUIL", "20-17254359-7", 0},
		{AR, "20172543597", "CUIL", "20-17254359-7", 0},
		{AR, "20 17254359 7", "CUIL", "20-17254359-7", 0},
		{AR, "30-50001091-2", "CUIT", "30-50001091-2", 0},
		{AR, "30500010912", "CUIT", "30-50001091-2", 0},
		{AR, "33-69345023-9", "CUIT", "33-69345023-9", 0},
		{AR, "23-17254352-9", "CUIL", "23-17254352-9", 0}, // 20-17254352 has no check digit; 23 is issued instead
		// CO
		{CO, "890.903.938-8", "NIT", "890903938-8", 0},
		{CO, "890903938-8", "NIT", "890903938-8", 0},
		{CO, "8909039388", "NIT", "890903938-8", 0},
		{CO, "890 903 938 - 8", "NIT", "890903938-8", 0},
		{CO, "899.999.068-1", "NIT", "899999068-1", 0},
		{CO, "860000015-0", "NIT", "860000015-0", 0}, // remainder 0
		// Without a dash the last digit is the DV, so a NIT typed without
		// its DV can pass as another NIT: 890903938 reads as 89090393-8.
		{CO, "890903938", "NIT", "89090393-8", 0},
		// EC
		{EC, "1710034065", "CEDULA", "1710034065", 0},
		{EC, "171003406-5", "CEDULA", "1710034065", 0},
		{EC, "1710034065001", "RUC", "1710034065001", 0},
		{EC, "1710034065-001", "RUC", "1710034065001", 0},
		{EC, "0926687856001", "RUC", "0926687856001", 0},
		{EC, "1792060346-001", "RUC", "1792060346001", 0},
		{EC, "1790011674001", "RUC", "1790011674001", 0},
		{EC, "0990138850001", "RUC", "0990138850001", 0},
		{EC, "1760001550001", "RUC", "1760001550001", 0},
		{EC, "0160000510001", "RUC", "0160000510001", 0},
		// Private company failing the legacy mod-11 check: a warning.
		{EC, "1792060347001", "RUC", "1792060347001", 1},
		// Third digit 6 that is a natural person's RUC.
		{EC, "0962467429001", "RUC", "0962467429001", 1},
		// MX
		{MX, "GODE561231GR8", "RFC", "GODE561231GR8", 0},
		{MX, "gode-561231-gr8", "RFC", "GODE561231GR8", 0},
		{MX, "GODE 561231 GR8", "RFC", "GODE561231GR8", 0},
		{MX, "MAB9307148T4", "RFC", "MAB9307148T4", 0},
		{MX, "MAB-930714-8T4", "RFC", "MAB9307148T4", 0},
		{MX, "ÑAÑE800101AB3", "RFC", "ÑAÑE800101AB3", 0},
		{MX, "ñañe800101ab3", "RFC", "ÑAÑE800101AB3", 0},
		{MX, "A&C010101AB1", "RFC", "A&C010101AB1", 0},
		{MX, "XAXX010101000", "RFC", "XAXX010101000", 0},
		{MX, "XEXX010101000", "RFC", "XEXX010101000", 0},
		{MX, "GODE000229GR8", "RFC", "GODE000229GR8", 1}, // leap day; check digit differs
		{MX, "GODE561231GR9", "RFC", "GODE561231GR9", 1}, // check digit is only a warning
	}
	for _, c := range cases {
		got, err := Validate(c.country, c.in)
		if err != nil {
			t.Errorf("Validate(%s, %q): %v", c.country, c.in, err)
			continue
		}
		if got.Country != c.country || got.Kind != c.kind || got.Normalized != c.norm || len(got.Warnings) != c.warnings {
			t.Errorf("Validate(%s, %q) = %+v, want kind %s, normalized %s, %d warnings", c.country, c.in, got, c.kind, c.norm, c.warnings)
		}
		again, err := Validate(c.country, got.Normalized)
		if err != nil || again.Normalized != got.Normalized {
			t.Errorf("re-validate %q: %+v, %v", got.Normalized, again, err)
		}
	}
}

func TestValidateInvalid(t *testing.T) {
	cases := []struct {
		country Country
		in      string
		reason  string // substring of Reason
	}{
		{CL, "76.086.428-4", "check digit should be 5, not 4"},
		{CL, "76.086.438-5", "check digit should be"},
		{CL, "60803000-0", "check digit should be K, not 0"},
		{CL, "12345-6", "has 5 digits"},
		{CL, "123.456.789-0", "has 9 digits"},
		{CL, "76.O86.428-5", "only digits"},
		{CL, "76086428-X", "only digits"},
		{CL, "7608642-85", "dash"},
		{CL, "", "empty"},
		{CL, "   ", "empty"},
		{CL, "00.000.000-0", "leading zeros"},

		{AR, "20-17254359-6", "check digit should be 7, not 6"},
		{AR, "20-17254358-7", "check digit should be"},
		{AR, "20-17254352-0", "no check digit fits"},
		{AR, "2017254359", "has 10 digits"},
		{AR, "201725435977", "has 12 digits"},
		{AR, "20-1725435A-7", "only digits"},
		{AR, "10-17254359-7", "prefix 10"},
		{AR, "", "empty"},

		{CO, "890.903.938-7", "check digit should be 8, not 7"},
		{CO, "890.903.937-8", "check digit should be"},
		{CO, "900.123.456-7", "check digit should be 8, not 7"}, // made-up example; its DV is 8
		{CO, "899999068", "check digit should be"},              // DV left out
		{CO, "12-3", "has 2 digits"},
		{CO, "1234567890123456-1", "has 16 digits"},
		{CO, "89090393A-8", "only digits"},
		{CO, "890-903-938-8", "single dash"},
		{CO, "", "empty"},

		{EC, "1710034064", "check digit should be 5, not 4"},
		{EC, "1710034165", "check digit should be"},
		{EC, "1710034064001", "check digit should be 5, not 4"},
		{EC, "1710034065000", "establishment"},
		{EC, "1760001550000", "establishment"},
		{EC, "1792060346000", "establishment"},
		{EC, "0160000610001", "no check digit fits"},
		{EC, "0160000520001", "check digit should be 1, not 2"},
		{EC, "8810034069001", "province code 88"},
		{EC, "2510034065", "province code 25"},
		{EC, "1770000000001", "third digit"},
		{EC, "1760034065", "third digit of a cédula"},
		{EC, "171003406", "has 9 digits"},
		{EC, "17100340650", "has 11 digits"},
		{EC, "17100340A5", "only digits"},
		{EC, "", "empty"},

		{MX, "GODE561231GR", "not a valid YYMMDD"}, // 12 characters read as a persona moral
		{MX, "GODE561231G", "has 11 characters"},
		{MX, "GODE561231GR83", "has 14 characters"},
		{MX, "GOD561231GR8A", "first 4 characters must be letters"},
		{MX, "G0DE561231GR8", "first 4 characters must be letters"},
		{MX, "GODE561331GR8", "not a valid YYMMDD"},
		{MX, "GODE560230GR8", "not a valid YYMMDD"},
		{MX, "GODE010229GR8", "not a valid YYMMDD"},
		{MX, "GODE561200GR8", "not a valid YYMMDD"},
		{MX, "GODE561231G*8", "homoclave"},
		{MX, "GODE561231GÑ8", "homoclave"},
		{MX, "", "empty"},

		{"PE", "20100047218", "unsupported tax country"},
		{"PE", "", "unsupported tax country"},
	}
	for _, c := range cases {
		got, err := Validate(c.country, c.in)
		var te *Error
		if !errors.As(err, &te) {
			t.Errorf("Validate(%s, %q) = %+v, %v; want *Error", c.country, c.in, got, err)
			continue
		}
		if !strings.Contains(te.Reason, c.reason) {
			t.Errorf("Validate(%s, %q) reason %q, want it to contain %q", c.country, c.in, te.Reason, c.reason)
		}
		if te.Country != c.country || te.Input != c.in || te.ReasonES == "" {
			t.Errorf("Validate(%s, %q) error %+v: want country, input and a Spanish reason", c.country, c.in, te)
		}
		if !strings.Contains(err.Error(), te.Reason) {
			t.Errorf("Error() = %q lacks the reason", err.Error())
		}
	}
}

func TestCountry(t *testing.T) {
	for _, c := range Countries {
		if !c.Supported() || c.IDName() == "" {
			t.Errorf("%s: supported %v, name %q", c, c.Supported(), c.IDName())
		}
	}
	if Country("cl").Supported() || Country("").Supported() {
		t.Error("lower-case or empty country reported as supported")
	}
	if got := CL.IDName(); got != "RUT" {
		t.Errorf("CL.IDName() = %q", got)
	}
}

func FuzzValidate(f *testing.F) {
	for _, s := range []string{"76.086.428-5", "60803000-k", "20-17254359-7", "890.903.938-8",
		"1792060346-001", "1710034065", "GODE561231GR8", "ñañe800101ab3", "XAXX010101000", "", "-", "0-0"} {
		for i := range Countries {
			f.Add(uint8(i), s)
		}
	}
	f.Fuzz(func(t *testing.T, ci uint8, in string) {
		country := Countries[int(ci)%len(Countries)]
		got, err := Validate(country, in)
		if err != nil {
			var te *Error
			if !errors.As(err, &te) || te.Reason == "" || te.ReasonES == "" {
				t.Fatalf("Validate(%s, %q): error %v is not a complete *Error", country, in, err)
			}
			return
		}
		again, err := Validate(country, got.Normalized)
		if err != nil {
			t.Fatalf("Validate(%s, %q) = %q, which does not re-validate: %v", country, in, got.Normalized, err)
		}
		if again.Normalized != got.Normalized || again.Kind != got.Kind || !slices.Equal(again.Warnings, got.Warnings) {
			t.Fatalf("Validate(%s, %q) = %+v, re-validated %+v", country, in, got, again)
		}
	})
}
