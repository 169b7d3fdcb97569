package parse

import "testing"

func TestStripQuotes(t *testing.T) {
	tests := []struct {
		name, in, text, quoted string
	}{
		{"gmail es one line",
			"Listo.\n\nEl lun, 3 mar 2025 a las 10:15, Ana <a@b.cl> escribió:\n> hola",
			"Listo.", "El lun, 3 mar 2025 a las 10:15, Ana <a@b.cl> escribió:\n> hola"},
		{"gmail es wrapped",
			"Listo.\n\nEl lun, 3 mar 2025 a las 10:15, Soporte (<s@t.cl>)\nescribió:\n> hola",
			"Listo.", "El lun, 3 mar 2025 a las 10:15, Soporte (<s@t.cl>)\nescribió:\n> hola"},
		{"gmail en wrapped",
			"Done.\nOn Mon, Mar 3, 2025 at 10:15 AM Support <s@t.com>\nwrote:\n> hi",
			"Done.", "On Mon, Mar 3, 2025 at 10:15 AM Support <s@t.com>\nwrote:\n> hi"},
		{"outlook es block",
			"Gracias.\n\n________________________________\nDe: Soporte <s@t.cl>\nEnviado: lunes\nPara: Ana\nAsunto: x\n\nviejo",
			"Gracias.", "________________________________\nDe: Soporte <s@t.cl>\nEnviado: lunes\nPara: Ana\nAsunto: x\n\nviejo"},
		{"outlook en bold block",
			"Thanks.\n\n*From:* Support\n*Sent:* Monday\n*To:* Ann\n*Subject:* x\n\nold",
			"Thanks.", "*From:* Support\n*Sent:* Monday\n*To:* Ann\n*Subject:* x\n\nold"},
		{"original message",
			"Ok.\n-----Original Message-----\nFrom: x\nold",
			"Ok.", "-----Original Message-----\nFrom: x\nold"},
		{"mensaje original",
			"Ok.\n-----Mensaje original-----\nDe: x\nviejo",
			"Ok.", "-----Mensaje original-----\nDe: x\nviejo"},
		{"signature",
			"Hola.\n\n-- \nAna\nGerente",
			"Hola.", "--\nAna\nGerente"},
		{"trailing > block",
			"Sí.\n\n> ¿Listo?\n> Soporte\n",
			"Sí.", "> ¿Listo?\n> Soporte"},
		{"inline replies kept",
			"> Q1?\nA1\n> Q2?\nA2",
			"> Q1?\nA1\n> Q2?\nA2", ""},
		{"lone > inside own text kept",
			"Ejecuté:\n> ls -l\ny falla con error 13.",
			"Ejecuté:\n> ls -l\ny falla con error 13.", ""},
		{"a From: line alone is not a block",
			"From: my office the site is slow.\nPlease check.",
			"From: my office the site is slow.\nPlease check.", ""},
		{"a sentence starting with El is not an attribution",
			"El servidor no responde.\nGracias.",
			"El servidor no responde.\nGracias.", ""},
		{"all quote: keep it as text",
			"> only quoted",
			"> only quoted", ""},
		{"forward is content",
			"Mira esto:\n---------- Forwarded message ---------\nDe: X <x@y.cl>\nDate: hoy\nSubject: s\nTo: yo\n\ncontenido",
			"Mira esto:\n---------- Forwarded message ---------\nDe: X <x@y.cl>\nDate: hoy\nSubject: s\nTo: yo\n\ncontenido", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			text, quoted := stripQuotes(tt.in)
			if text != tt.text || quoted != tt.quoted {
				t.Errorf("stripQuotes:\n text %q\nquoted %q\nwant text %q\nquoted %q", text, quoted, tt.text, tt.quoted)
			}
		})
	}
}

func TestUnflow(t *testing.T) {
	tests := []struct {
		in    string
		delSp bool
		want  string
	}{
		{"one \ntwo\nthree", false, "one two\nthree"},
		{"ab \ncd", true, "abcd"},
		{"> quoted \n> more\nown", false, "> quoted more\nown"},
		{" From here\n >not quote", false, "From here\n>not quote"},
		{"text \n-- \nsig", false, "text \n-- \nsig"},
	}
	for _, tt := range tests {
		if got := unflow(tt.in, tt.delSp); got != tt.want {
			t.Errorf("unflow(%q, %v) = %q, want %q", tt.in, tt.delSp, got, tt.want)
		}
	}
}
