package tickets_test

import (
	"testing"

	"turno/clients"
)

// Automatic replies speak the client's language to a registered sender, and
// the language of the mail to a stranger, Spanish when unsure.
func TestAutomaticRepliesUseTheReadersLanguage(t *testing.T) {
	e := newEnv(t, nil)
	e.dir["john@client.com"] = []clients.Membership{{ClientID: "C9", Role: clients.RolePrincipal, ClientActive: true, Lang: "en"}}
	e.dir["pablo@cliente.cl"] = []clients.Membership{{ClientID: "C8", Role: clients.RolePrincipal, ClientActive: true, Lang: "es"}}
	cases := []struct {
		m    mail
		lang string
	}{
		{mail{from: "john@client.com", subject: "Ayuda", id: "l1@x", body: "Hola, necesito ayuda con mi correo."}, "en"},
		{mail{from: "pablo@cliente.cl", subject: "Help", id: "l2@x", body: "Hello, I need help with my email please."}, "es"},
		{mail{from: "stranger@gmail.com", subject: "Website down", id: "l3@x", body: "Hello, my website is down since this morning. Please help."}, "en"},
		{mail{from: "extrano@gmail.com", subject: "Sitio caído", id: "l4@x", body: "Hola, mi sitio no funciona desde la mañana."}, "es"},
		{mail{from: "nadie@gmail.com", subject: "12345", id: "l5@x", body: "?"}, "es"},
	}
	for _, c := range cases {
		e.ingest(c.m.raw())
	}
	sent := e.out.sent()
	if len(sent) != len(cases) {
		t.Fatalf("%d replies for %d mails", len(sent), len(cases))
	}
	for i, c := range cases {
		if sent[i].Lang != c.lang {
			t.Errorf("reply to %s (%s): lang %q, want %q", c.m.from, sent[i].Template, sent[i].Lang, c.lang)
		}
	}
}
