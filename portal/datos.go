package portal

import (
	"errors"
	"net/http"

	"turno/clients"
)

type datosView struct {
	Client  *clients.Client
	Missing map[string]bool
}

// datos shows the session's client record, read-only. The client ID comes
// from the session only.
func (p *Portal) datos(w http.ResponseWriter, r *http.Request) {
	s := session(r)
	if s == nil {
		http.Redirect(w, r, Prefix+"/login?n=expired", http.StatusSeeOther)
		return
	}
	c, err := p.clients.Get(r.Context(), s.SubjectID)
	var nf *clients.NotFoundError
	if errors.As(err, &nf) {
		p.Site.Error(w, r, http.StatusNotFound)
		return
	}
	if err != nil {
		p.internal(w, r, "datos", err)
		return
	}
	missing := map[string]bool{}
	for _, pr := range c.Billing.Check() {
		missing[pr.Field] = true
	}
	p.Site.Render(w, r, http.StatusOK, "datos", datosView{Client: c, Missing: missing})
}
