package templates

import (
	"io/fs"
	"slices"
	"strings"
	"testing"
)

// Every embedded file is one Load reads, and every file Load reads is
// embedded: no dead defaults, no missing ones.
func TestEmbeddedDefaultsMatchKnownFiles(t *testing.T) {
	var embedded []string
	err := fs.WalkDir(defaults, "default", func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			embedded = append(embedded, strings.TrimPrefix(p, "default/"))
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	known := knownFiles()
	slices.Sort(embedded)
	slices.Sort(known)
	if !slices.Equal(embedded, known) {
		t.Errorf("embedded defaults:\n%v\nknown files:\n%v", embedded, known)
	}
}

func TestCollectionNoteStages(t *testing.T) {
	s := mustLoad(t, "")
	tests := []struct {
		stage  int
		es, en string
	}{
		{-5, "Recordatorio de pago: su pago de $58.490 vence en 5 días", "Payment reminder: $58.490 due in 5 days"},
		{-1, "Recordatorio de pago: su pago de $58.490 vence en 1 día", "Payment reminder: $58.490 due in 1 day"},
		{0, "Recordatorio de pago: su pago de $58.490 vence hoy", "Payment reminder: $58.490 due today"},
		{1, "Recordatorio de pago: saldo vencido de $58.490", "Payment reminder: overdue balance of $58.490"},
	}
	for _, tt := range tests {
		data := SampleData("collection_note").(CollectionNote)
		data.Stage = tt.stage
		for lang, want := range map[string]string{"es": tt.es, "en": tt.en} {
			r, err := s.Render("collection_note", lang, data)
			if err != nil {
				t.Fatal(err)
			}
			if r.Subject != want {
				t.Errorf("stage %d, %s: subject %q, want %q", tt.stage, lang, r.Subject, want)
			}
		}
		if tt.stage == 1 {
			r, _ := s.Render("collection_note", "es", data)
			if !strings.Contains(r.Text, "vencido hace 1 día.") {
				t.Errorf("stage 1: singular missing in:\n%s", r.Text)
			}
		}
	}
}

func TestPaymentReceivedBalances(t *testing.T) {
	s := mustLoad(t, "")
	data := SampleData("payment_received").(PaymentReceived)
	for balance, want := range map[int64]string{
		0:     "Su cuenta no tiene saldo pendiente.",
		12500: "Saldo pendiente: $12.500",
		-1000: "Saldo a su favor: $1.000",
	} {
		data.Balance = balance
		r, err := s.Render("payment_received", "es", data)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(r.Text, want) {
			t.Errorf("balance %d: text lacks %q:\n%s", balance, want, r.Text)
		}
	}
}
