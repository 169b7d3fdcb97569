package parse

import "testing"

func TestTicketTag(t *testing.T) {
	tests := []struct {
		subject string
		want    string
		ok      bool
	}{
		{"[Ticket #104233] Caída del servidor", "104233", true},
		{"Re: [Ticket #104233] Caída", "104233", true},
		{"RE: RV: Fwd: [ticket#104233]", "104233", true},
		{"[ Ticket # 104233 ] spaced", "104233", true},
		{"[TICKET #7]", "7", true},
		{"AW: SV: Rta: FW: x [Ticket #42] y", "42", true},
		{"Problem with ticket 104233", "", false},
		{"[Ticket #]", "", false},
		{"[Ticket #12a]", "", false},
		{"", "", false},
	}
	for _, tt := range tests {
		got, ok := TicketTag(tt.subject)
		if got != tt.want || ok != tt.ok {
			t.Errorf("TicketTag(%q) = %q, %v; want %q, %v", tt.subject, got, ok, tt.want, tt.ok)
		}
	}
}

func TestStripReplyPrefixes(t *testing.T) {
	tests := []struct{ in, want string }{
		{"Re: Hola", "Hola"},
		{"RE: RV: Fwd: FW: Rta: AW: SV: Hola", "Hola"},
		{"re:re:Hola", "Hola"},
		{"Re[2]: Hola", "Hola"},
		{"Fw : Hola", "Hola"},
		{"Reunión de mañana", "Reunión de mañana"},
		{"Rta: [Ticket #5] x", "[Ticket #5] x"},
		{"  Hola  ", "Hola"},
	}
	for _, tt := range tests {
		if got := StripReplyPrefixes(tt.in); got != tt.want {
			t.Errorf("StripReplyPrefixes(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
