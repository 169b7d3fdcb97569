package portal

import (
	"errors"
	"net/http"

	"turno/clients"
)

type contactRow struct {
	ID, Address, Name, Role string // Role: a message key
	Principal               bool
}

type contactosView struct {
	Contacts []contactRow
	// The form: adding (EditID "") or editing one contact.
	EditID string
	Form   []formField
	Role   string
	Errors map[string]string
	Notice string // message key
}

func roleKey(r clients.Role) string { return "contact.role." + string(r) }

// contactFormView is the page with the form filled from c and problems.
func (p *Portal) contactosView(w http.ResponseWriter, r *http.Request, clientID, editID string, c clients.Contact, ps []clients.Problem) (contactosView, bool) {
	all, err := p.clients.Contacts(r.Context(), clientID)
	var nf *clients.NotFoundError
	if errors.As(err, &nf) {
		p.Site.Error(w, r, http.StatusNotFound)
		return contactosView{}, false
	}
	if err != nil {
		p.internal(w, r, "contacts", err)
		return contactosView{}, false
	}
	v := contactosView{EditID: editID, Role: string(c.Role), Errors: map[string]string{}}
	for _, pr := range ps {
		if _, ok := v.Errors[pr.Field]; !ok {
			v.Errors[pr.Field] = problemText(r, pr)
		}
	}
	for _, x := range all {
		v.Contacts = append(v.Contacts, contactRow{ID: clients.ContactID(x), Address: x.Address, Name: x.Name,
			Role: roleKey(x.Role), Principal: x.Role == clients.RolePrincipal})
	}
	if v.Role == "" {
		v.Role = string(clients.RoleBilling)
	}
	v.Form = []formField{
		{ID: "address", Label: "contact.address", Value: c.Address, Error: v.Errors["address"], Type: "email", Autocomplete: "off", Required: true},
		{ID: "name", Label: "contact.name", Value: c.Name, Error: v.Errors["name"], Type: "text", Autocomplete: "off"},
	}
	return v, true
}

// findContact is the session client's contact named id (never the
// principal, which is edited as the account's login); ok false: 404 sent.
func (p *Portal) findContact(w http.ResponseWriter, r *http.Request, clientID, id string) (clients.Contact, bool) {
	all, err := p.clients.Contacts(r.Context(), clientID)
	if err != nil {
		p.internal(w, r, "contacts", err)
		return clients.Contact{}, false
	}
	for _, x := range all {
		if x.Role != clients.RolePrincipal && clients.ContactID(x) == id {
			return x, true
		}
	}
	p.Site.Error(w, r, http.StatusNotFound)
	return clients.Contact{}, false
}

// contactos lists the client's contacts with a form to add one.
func (p *Portal) contactos(w http.ResponseWriter, r *http.Request) {
	s := p.mustSession(w, r)
	if s == nil {
		return
	}
	v, ok := p.contactosView(w, r, s.SubjectID, "", clients.Contact{}, nil)
	if !ok {
		return
	}
	switch r.URL.Query().Get("n") {
	case "saved":
		v.Notice = "contact.saved"
	case "removed":
		v.Notice = "contact.removed"
	}
	p.Site.Render(w, r, http.StatusOK, "contactos", v)
}

// contacto shows the form to edit one contact of the session's client.
func (p *Portal) contacto(w http.ResponseWriter, r *http.Request) {
	s := p.mustSession(w, r)
	if s == nil {
		return
	}
	c, ok := p.findContact(w, r, s.SubjectID, r.PathValue("id"))
	if !ok {
		return
	}
	v, ok := p.contactosView(w, r, s.SubjectID, r.PathValue("id"), c, nil)
	if ok {
		p.Site.Render(w, r, http.StatusOK, "contactos", v)
	}
}

// saveContacto adds a contact (POST /contactos) or saves one (POST
// /contactos/{id}) through the registry; problems are shown beside the
// fields and change nothing.
func (p *Portal) saveContacto(w http.ResponseWriter, r *http.Request) {
	s := p.mustSession(w, r)
	if s == nil {
		return
	}
	id := r.PathValue("id")
	if id != "" {
		if _, ok := p.findContact(w, r, s.SubjectID, id); !ok {
			return
		}
	}
	c := clients.Contact{Address: r.PostForm.Get("address"), Name: r.PostForm.Get("name"), Role: clients.Role(r.PostForm.Get("role"))}
	ps, err := p.clients.SaveCustomerContact(r.Context(), s.SubjectID, id, c, "portal:"+s.SubjectID)
	if errors.Is(err, clients.ErrContactNotFound) {
		p.Site.Error(w, r, http.StatusNotFound)
		return
	}
	if err != nil {
		p.internal(w, r, "save contact", err)
		return
	}
	if len(ps) > 0 {
		v, ok := p.contactosView(w, r, s.SubjectID, id, c, ps)
		if ok {
			p.Site.Render(w, r, http.StatusUnprocessableEntity, "contactos", v)
		}
		return
	}
	http.Redirect(w, r, Prefix+"/contactos?n=saved", http.StatusSeeOther)
}

// removeContacto removes one contact of the session's client.
func (p *Portal) removeContacto(w http.ResponseWriter, r *http.Request) {
	s := p.mustSession(w, r)
	if s == nil {
		return
	}
	err := p.clients.RemoveCustomerContact(r.Context(), s.SubjectID, r.PathValue("id"), "portal:"+s.SubjectID)
	if errors.Is(err, clients.ErrContactNotFound) {
		p.Site.Error(w, r, http.StatusNotFound)
		return
	}
	if err != nil {
		p.internal(w, r, "remove contact", err)
		return
	}
	http.Redirect(w, r, Prefix+"/contactos?n=removed", http.StatusSeeOther)
}
