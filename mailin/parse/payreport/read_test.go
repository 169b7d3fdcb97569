package payreport

import "testing"

// TestAmountFormats: the Chilean ways of writing an amount, and numbers
// that are not amounts (RUT, phone, date, invoice and operation numbers).
func TestAmountFormats(t *testing.T) {
	for _, c := range []struct {
		text string
		want int64 // 0: not a report
	}{
		{"Transferí $45.990", 45990},
		{"Transferí 45990 pesos", 45990},
		{"Transferí 45.990 pesos", 45990},
		{"Transferí $ 45.990.-", 45990},
		{"Transferí CLP 45.990", 45990},
		{"Transferí $45.990,00", 45990},
		{"Pago realizado. Monto: 45990", 45990},
		{"Pago realizado. Saldo disponible: $1.000.000", 0},
		{"Transferí hoy. Mi RUT es 12.345.678-5", 0},
		{"Transferí hoy, llámame al +56 9 8765 4321", 0},
		{"Transferí el 15/03/2026 la factura 1534", 0},
		{"Transferí, operación N° 55012398", 0},
		{"Transferí US$ 100", 0},
		{"¿Puedo pagar $45.990 por transferencia?", 0},
	} {
		r := Read(Input{Text: c.text})
		var got int64
		if r != nil && r.Amount != nil {
			got = *r.Amount
		}
		if got != c.want {
			t.Errorf("%q: amount %d, want %d (report %+v)", c.text, got, c.want, r)
		}
	}
}

// TestDates: the date formats read, and impossible dates skipped.
func TestDates(t *testing.T) {
	for text, want := range map[string]string{
		"Fecha: 15/03/2026":          "2026-03-15",
		"Fecha: 15-03-2026":          "2026-03-15",
		"Fecha: 15 de marzo de 2026": "2026-03-15",
		"Fecha: 2026-03-15":          "2026-03-15",
		"Fecha: 31/02/2026":          "",
	} {
		r := Read(Input{Text: "Transferí $1.000\n" + text})
		got := ""
		if r.Date != nil {
			got = *r.Date
		}
		if got != want {
			t.Errorf("%q: date %q, want %q", text, got, want)
		}
	}
}
