package console_test

import (
	"context"
	"regexp"
	"testing"

	"turno/tickets"
)

var viewCount = regexp.MustCompile(`>(Todos|Míos|Sin asignar) <span class="count">(\d+)</span>`)

// counts are the view links' counts on a queue page: "Todos=3 Míos=1 …".
func counts(page string) string {
	out := ""
	for _, m := range viewCount.FindAllStringSubmatch(page, -1) {
		if out != "" {
			out += " "
		}
		out += m[1] + "=" + m[2]
	}
	return out
}

// The view links count the open queue of the agent's departments: all,
// the agent's own and the unassigned ones; a closed ticket counts
// nowhere; a department filter counts that department; a status filter
// shows no counts (they would not match the list).
func TestConsoleViewCounts(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	var sop []int64
	for _, s := range []string{"uno", "dos", "tres", "cuatro"} {
		sop = append(sop, e.mail("soporte", "Paula <paula@cliente.cl>", "Consulta "+s, "").Ticket)
	}
	e.mail("ventas", "Pedro <pedro@cliente.cl>", "Cotización", "")
	admin := tickets.Actor{Email: "root@proveedor.cl", Admin: true}
	for i, who := range []string{"ana@proveedor.cl", "carla@proveedor.cl", "ana@proveedor.cl"} {
		if _, err := e.d.Tickets.Assign(ctx, admin, sop[i], who); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := e.d.Tickets.SetStatus(ctx, admin, sop[2], tickets.StatusClosed); err != nil {
		t.Fatal(err)
	}
	ana, beto := e.loggedIn("ana@proveedor.cl"), e.loggedIn("beto@proveedor.cl")
	for _, c := range []struct {
		who  *client
		path string
		want string
	}{
		{ana, "/console/queue", "Todos=3 Míos=1 Sin asignar=1"},
		{ana, "/console/queue?view=mine", "Todos=3 Míos=1 Sin asignar=1"},
		{ana, "/console/queue?dept=soporte", "Todos=3 Míos=1 Sin asignar=1"},
		{ana, "/console/queue?dept=ventas", "Todos=0 Míos=0 Sin asignar=0"},
		{ana, "/console/queue?status=open", ""},
		{beto, "/console/queue", "Todos=1 Míos=0 Sin asignar=1"},
	} {
		_, page := c.who.get(c.path)
		if got := counts(page); got != c.want {
			t.Errorf("%s: counts %q, want %q", c.path, got, c.want)
		}
	}
}
