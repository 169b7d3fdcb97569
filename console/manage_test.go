package console_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"turno/clients"
	"turno/tickets"
)

// Move, merge and link on a real daemon, as an agent would: each form
// changes the ticket through tickets.Service; a missing CSRF token,
// another department's ticket (404) and bad input (the reason on the
// page) change nothing.
func TestConsoleMoveMergeLink(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	if _, err := e.d.Clients.Add(ctx, clients.NewClient("C-1", "Cliente Uno SpA", "jefe@uno.cl"), "test"); err != nil {
		t.Fatal(err)
	}
	moving := e.mail("soporte", "Paula <paula@cliente.cl>", "Quiero contratar más", "").Ticket
	dup := e.mail("soporte", "Paula <paula@cliente.cl>", "Sin correo (otra vez)", "").Ticket
	keep := e.mail("soporte", "Paula <paula@cliente.cl>", "Sin correo", "").Ticket
	sales := e.mail("ventas", "Pedro <pedro@cliente.cl>", "Cotización", "").Ticket
	ana, beto := e.loggedIn("ana@proveedor.cl"), e.loggedIn("beto@proveedor.cl")
	page := func(n int64) string { return fmt.Sprintf("/console/tickets/%d", n) }
	f := ana.fields(page(moving))
	bf := beto.fields(page(sales))
	state := func(n int64) string {
		t.Helper()
		tk, msgs := e.thread(n)
		return fmt.Sprintf("%s|%s|%d|%s|%t|%d", tk.Department, tk.Status, tk.MergedInto, tk.ClientID, tk.Unverified, len(msgs))
	}
	unchanged := func(what string, ns ...int64) func() {
		before := make([]string, len(ns))
		for i, n := range ns {
			before[i] = state(n)
		}
		return func() {
			t.Helper()
			for i, n := range ns {
				if got := state(n); got != before[i] {
					t.Fatalf("%s changed #%d: %s → %s", what, n, before[i], got)
				}
			}
		}
	}

	_, body := ana.get(page(keep))
	for _, id := range []string{`id="move-dept"`, `<option value="ventas">ventas</option>`, `id="merge-into"`, `id="merge-confirm"`, `id="link-client"`} {
		if !strings.Contains(body, id) {
			t.Fatalf("the ticket page lacks %s", id)
		}
	}

	t.Run("refusals change nothing", func(t *testing.T) {
		check := unchanged("a refusal", moving, dup, keep, sales)
		for _, c := range []struct {
			who    *client
			path   string
			form   map[string]string
			status int
			says   string
		}{
			{ana, page(moving) + "/move", map[string]string{"csrf": "", "department": "ventas"}, http.StatusForbidden, ""},
			{ana, page(dup) + "/merge", map[string]string{"csrf": "", "into": fmt.Sprint(keep), "confirm": "1"}, http.StatusForbidden, ""},
			{ana, page(keep) + "/link", map[string]string{"csrf": "", "client": "C-1"}, http.StatusForbidden, ""},
			{beto, page(moving) + "/move", map[string]string{"department": "ventas"}, http.StatusNotFound, ""},
			{beto, page(dup) + "/merge", map[string]string{"into": fmt.Sprint(sales), "confirm": "1"}, http.StatusNotFound, ""},
			{beto, page(keep) + "/link", map[string]string{"client": "C-1"}, http.StatusNotFound, ""},
			{ana, page(moving) + "/move", map[string]string{"department": "nada"}, http.StatusBadRequest, "Elija un departamento válido."},
			{ana, page(dup) + "/merge", map[string]string{"into": "abc", "confirm": "1"}, http.StatusBadRequest, "Indique el número del ticket"},
			{ana, page(dup) + "/merge", map[string]string{"into": fmt.Sprint(dup), "confirm": "1"}, http.StatusBadRequest, "Indique el número del ticket"},
			{ana, page(dup) + "/merge", map[string]string{"into": fmt.Sprint(keep)}, http.StatusBadRequest, "Marque la confirmación"},
			{ana, page(dup) + "/merge", map[string]string{"into": fmt.Sprint(sales), "confirm": "1"}, http.StatusBadRequest,
				fmt.Sprintf("No hay un ticket N.º %d en sus departamentos.", sales)},
			{ana, page(keep) + "/link", map[string]string{"client": "C-9"}, http.StatusBadRequest, "No existe el cliente &#34;C-9&#34;."},
			{ana, page(keep) + "/link", map[string]string{"client": ""}, http.StatusBadRequest, "Indique el ID de un cliente"},
		} {
			csrf := f.Get("csrf")
			if c.who == beto {
				csrf = bf.Get("csrf")
			}
			form := with(f, "csrf", csrf)
			for k, v := range c.form {
				form.Set(k, v)
			}
			resp, body := c.who.post(c.path, form)
			if resp.StatusCode != c.status || !strings.Contains(body, c.says) {
				t.Errorf("%s %v: %d, want %d saying %q", c.path, c.form, resp.StatusCode, c.status, c.says)
			}
			if c.status == http.StatusBadRequest && !strings.Contains(body, `id="form-error"`) {
				t.Errorf("%s: the reason is not on the page", c.path)
			}
		}
		check()
	})

	t.Run("move out of the agent's sight", func(t *testing.T) {
		resp, _ := ana.post(page(moving)+"/move", with(f, "department", "ventas"))
		if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != fmt.Sprintf("/console/queue?moved=%d", moving) {
			t.Fatalf("move: %d → %q", resp.StatusCode, resp.Header.Get("Location"))
		}
		if tk, _ := e.thread(moving); tk.Department != "ventas" {
			t.Fatalf("department %q", tk.Department)
		}
		if _, q := ana.get(resp.Header.Get("Location")); !strings.Contains(q, fmt.Sprintf("El ticket N.º %d pasó a otro departamento.", moving)) {
			t.Fatal("the queue does not say the ticket moved")
		}
		if resp, _ := ana.get(page(moving)); resp.StatusCode != http.StatusNotFound {
			t.Fatalf("the moved ticket for Ana: %d", resp.StatusCode)
		}
		if _, b := beto.get(page(moving)); !strings.Contains(b, "movió el ticket de soporte a ventas") {
			t.Fatal("Beto does not see the move in the history")
		}
	})

	t.Run("merge", func(t *testing.T) {
		resp, _ := ana.post(page(dup)+"/merge", with(f, "into", fmt.Sprintf("#%d", keep), "confirm", "1"))
		if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(resp.Header.Get("Location"), page(keep)+"?done=merge") {
			t.Fatalf("merge: %d → %q", resp.StatusCode, resp.Header.Get("Location"))
		}
		src, _ := e.thread(dup)
		dst, msgs := e.thread(keep)
		if src.MergedInto != keep || src.Status != tickets.StatusClosed || len(msgs) != 2 || dst.MergedInto != 0 {
			t.Fatalf("after the merge: %+v; %d messages on #%d", src, len(msgs), keep)
		}
		if _, b := ana.get(resp.Header.Get("Location")); !strings.Contains(b, "Tickets unidos") {
			t.Fatal("no notice after the merge")
		}
	})

	t.Run("link", func(t *testing.T) {
		resp, _ := ana.post(page(keep)+"/link", with(f, "client", "C-1"))
		if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != page(keep)+"?done=link#actions" {
			t.Fatalf("link: %d → %q", resp.StatusCode, resp.Header.Get("Location"))
		}
		tk, _ := e.thread(keep)
		if tk.ClientID != "C-1" || tk.Unverified {
			t.Fatalf("after the link: client %q unverified %t", tk.ClientID, tk.Unverified)
		}
		cs, err := e.d.Clients.Contacts(ctx, "C-1")
		if err != nil {
			t.Fatal(err)
		}
		found := false
		for _, c := range cs {
			found = found || (c.Address == "paula@cliente.cl" && c.Role == clients.RoleTechnical)
		}
		if !found {
			t.Fatalf("paula is not a technical contact of C-1: %+v", cs)
		}
		_, b := ana.get(resp.Header.Get("Location"))
		if !strings.Contains(b, "Solicitante vinculado al cliente.") {
			t.Fatal("no notice after the link")
		}
		if strings.Contains(b, `id="link-client"`) {
			t.Fatal("the link form is still offered for a verified requester")
		}
	})
}
