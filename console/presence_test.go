package console_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
)

// beacon posts a presence mark with the page's CSRF token.
func (b *client) beacon(n int64, csrf, state string) (*http.Response, string) {
	b.t.Helper()
	return b.post(fmt.Sprintf("/console/tickets/%d/presence", n), url.Values{"csrf": {csrf}, "state": {state}})
}

// rowOf is ticket n's row in a queue page.
func rowOf(t *testing.T, page string, n int64) string {
	t.Helper()
	m := regexp.MustCompile(fmt.Sprintf(`(?s)<tr data-number="%d".*?</tr>`, n)).FindString(page)
	if m == "" {
		t.Fatalf("no row for #%d in the queue", n)
	}
	return m
}

// Presence on a real daemon: Ana opens a ticket and writes in its reply
// box (the script's beacon); Carla, of the same department, sees "Ana
// Rojas está respondiendo" on the queue row and above her reply box, and
// the queue's marker changes with it; Ana never sees herself; Beto (another
// department) cannot mark the ticket; no CSRF token or no session changes
// nothing; "gone" clears the mark at once.
func TestConsolePresence(t *testing.T) {
	e := newEnv(t)
	n := e.mail("soporte", "Paula <paula@cliente.cl>", "No llega el correo", "").Ticket
	other := e.mail("soporte", "Pedro <pedro@cliente.cl>", "Otra consulta", "").Ticket
	ana, carla, beto := e.loggedIn("ana@proveedor.cl"), e.loggedIn("carla@proveedor.cl"), e.loggedIn("beto@proveedor.cl")
	page := fmt.Sprintf("/console/tickets/%d", n)

	_, m0 := carla.get("/console/queue/marker")
	f := ana.fields(page) // opening the page marks Ana as viewing
	_, q := carla.get("/console/queue")
	if row := rowOf(t, q, n); !strings.Contains(row, "Ana Rojas lo está viendo") || strings.Contains(row, "está respondiendo") {
		t.Fatalf("Carla's row while Ana views it:\n%s", row)
	}
	if row := rowOf(t, q, other); strings.Contains(row, "presence-tag") {
		t.Fatalf("an untouched ticket is marked:\n%s", row)
	}

	resp, body := ana.beacon(n, f.Get("csrf"), "replying")
	var got struct {
		Text     string
		Replying bool
	}
	if resp.StatusCode != http.StatusOK || json.Unmarshal([]byte(body), &got) != nil || got.Text != "" {
		t.Fatalf("Ana's beacon: %d %s", resp.StatusCode, body)
	}
	_, q = carla.get("/console/queue")
	if row := rowOf(t, q, n); !strings.Contains(row, `class="busy"`) || !strings.Contains(row, "Ana Rojas está respondiendo") {
		t.Fatalf("Carla's row while Ana replies:\n%s", row)
	}
	_, m1 := carla.get("/console/queue/marker")
	if m0 == m1 {
		t.Fatal("the queue's marker did not change when Ana started replying")
	}
	_, p := carla.get(page)
	if !regexp.MustCompile(`id="presence" class="presence replying"[^>]*>Ana Rojas está respondiendo\. Lea lo que`).MatchString(p) {
		t.Fatalf("Carla's ticket page does not warn above the reply box:\n%s", p)
	}
	// Carla's own beacon answers with Ana, in English when asked.
	cf := carla.fields(page + "?lang=en")
	resp, body = carla.beacon(n, cf.Get("csrf"), "viewing")
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, `"text":"Ana Rojas is replying. Read what they write`) || !strings.Contains(body, `"replying":true`) {
		t.Fatalf("Carla's beacon: %d %s", resp.StatusCode, body)
	}
	carla.get("/console/queue?lang=es")

	// Ana sees Carla viewing, never herself.
	_, q = ana.get("/console/queue")
	if row := rowOf(t, q, n); strings.Contains(row, "Ana Rojas") || !strings.Contains(row, "Carla Díaz lo está viendo") {
		t.Fatalf("Ana's own row:\n%s", row)
	}

	// Refusals change nothing.
	bf := beto.fields("/console/queue")
	if resp, _ := beto.beacon(n, bf.Get("csrf"), "replying"); resp.StatusCode != http.StatusNotFound {
		t.Fatalf("another department's beacon: %d", resp.StatusCode)
	}
	if resp, _ := carla.beacon(n, "", "replying"); resp.StatusCode != http.StatusForbidden {
		t.Fatalf("a beacon without CSRF: %d", resp.StatusCode)
	}
	anon := e.client()
	if resp, _ := anon.beacon(n, anon.fields("/console/login").Get("csrf"), "replying"); resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("a beacon without session: %d", resp.StatusCode)
	}
	if resp, _ := carla.beacon(n, cf.Get("csrf"), "typing"); resp.StatusCode != http.StatusBadRequest {
		t.Fatalf("an unknown state: %d", resp.StatusCode)
	}
	_, q = ana.get("/console/queue")
	if row := rowOf(t, q, n); strings.Contains(row, "Carla Díaz está respondiendo") || strings.Contains(row, "Beto") {
		t.Fatalf("a refused beacon marked the ticket:\n%s", row)
	}

	// Ana leaves: at once she is gone from Carla's queue.
	if resp, _ := ana.beacon(n, f.Get("csrf"), "gone"); resp.StatusCode != http.StatusOK {
		t.Fatalf("gone: %d", resp.StatusCode)
	}
	_, q = carla.get("/console/queue")
	if row := rowOf(t, q, n); strings.Contains(row, "Ana Rojas") {
		t.Fatalf("Ana still shown after leaving:\n%s", row)
	}
}
