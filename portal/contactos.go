package portal

import (
	"errors"
	"net/http"

	"turno/clients"
)

type contactRow struct {
	ID, Address, Name, Role string // Role: a message key
	Principal               bool
	Portal                  bool // has portal access of their own
}

type contactosView struct {
	Contacts []contactRow
	// The form: adding (EditID "") or editing one contact.
	EditID string
	Form   []formField
	Role   string
	Portal bool // the form's "Acceso al portal" box
	Errors map[string]string
	Notice string // message key
}

func roleKey(r clients.Role) string { return "contact.role." + string(r) }

// contactFormView is the page with the form filled from c and problems.
func (p *Portal) contactosView(w http.ResponseWriter, r *http.Request, clientID, editID string, c clients.Contact, portal bool, ps []clients.Problem) (contactosView, bool) {
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
	v := contactosView{EditID: editID, Role: string(c.Role), Portal: portal, Errors: map[string]string{}}
	for _, pr := range ps {
		if _, ok := v.Errors[pr.Field]; !ok {
			v.Errors[pr.Field] = problemText(r, pr)
		}
	}
	var addrs []string
	for _, x := range all[1:] {
		addrs = append(addrs, x.Address)
	}
	access, err := p.clients.HasContactAccess(r.Context(), clientID, addrs)
	if err != nil {
		p.internal(w, r, "contacts' access", err)
		return contactosView{}, false
	}
	for _, x := range all {
		v.Contacts = append(v.Contacts, contactRow{ID: clients.ContactID(x), Address: x.Address, Name: x.Name,
			Role: roleKey(x.Role), Principal: x.Role == clients.RolePrincipal, Portal: access[x.Address]})
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
	v, ok := p.contactosView(w, r, s.SubjectID, "", clients.Contact{}, false, nil)
	if !ok {
		return
	}
	switch r.URL.Query().Get("n") {
	case "saved":
		v.Notice = "contact.saved"
	case "invited":
		v.Notice = "contact.invited"
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
	access, err := p.clients.HasContactAccess(r.Context(), s.SubjectID, []string{c.Address})
	if err != nil {
		p.internal(w, r, "contact's access", err)
		return
	}
	v, ok := p.contactosView(w, r, s.SubjectID, r.PathValue("id"), c, access[c.Address], nil)
	if ok {
		p.Site.Render(w, r, http.StatusOK, "contactos", v)
	}
}

// saveContacto adds a contact (POST /contactos) or saves one (POST
// /contactos/{id}) through the registry; problems are shown beside the
// fields and change nothing. Then the contact's portal access follows the
// "portal" box: given (the contact is mailed their set-password link) or
// ended (with their sessions); an address that changed loses the old
// one's.
func (p *Portal) saveContacto(w http.ResponseWriter, r *http.Request) {
	s := p.mustSession(w, r)
	if s == nil {
		return
	}
	ctx := r.Context()
	id := r.PathValue("id")
	var old clients.Contact
	if id != "" {
		var ok bool
		if old, ok = p.findContact(w, r, s.SubjectID, id); !ok {
			return
		}
	}
	c := clients.Contact{Address: r.PostForm.Get("address"), Name: r.PostForm.Get("name"), Role: clients.Role(r.PostForm.Get("role"))}
	portal := r.PostForm.Get("portal") == "1"
	addr := clients.NormalizeAddress(c.Address)
	if portal && addr != "" {
		err := p.clients.CheckContactAccess(ctx, s.SubjectID, addr)
		if errors.Is(err, clients.ErrContactAccessTaken) {
			if v, ok := p.contactosView(w, r, s.SubjectID, id, c, portal, nil); ok {
				v.Errors["portal"] = p.Site.T(r, "contact.portal.taken")
				p.Site.Render(w, r, http.StatusUnprocessableEntity, "contactos", v)
			}
			return
		}
		if err != nil {
			p.internal(w, r, "contact access", err)
			return
		}
	}
	ps, err := p.clients.SaveCustomerContact(ctx, s.SubjectID, id, c, s.by())
	if errors.Is(err, clients.ErrContactNotFound) {
		p.Site.Error(w, r, http.StatusNotFound)
		return
	}
	if err != nil {
		p.internal(w, r, "save contact", err)
		return
	}
	if len(ps) > 0 {
		v, ok := p.contactosView(w, r, s.SubjectID, id, c, portal, ps)
		if ok {
			p.Site.Render(w, r, http.StatusUnprocessableEntity, "contactos", v)
		}
		return
	}
	if old.Address != "" && old.Address != addr {
		if err := p.dropAccessIfGone(r, s.SubjectID, old.Address); err != nil {
			p.internal(w, r, "contact access", err)
			return
		}
	}
	notice := "saved"
	if portal {
		out, err := p.clients.GrantContactAccess(ctx, s.SubjectID, addr, s.by())
		if err != nil {
			p.internal(w, r, "grant contact access", err)
			return
		}
		if out != "" {
			notice = "invited"
		}
	} else {
		if err := p.clients.RevokeContactAccess(ctx, s.SubjectID, addr, s.by()); err != nil {
			p.internal(w, r, "revoke contact access", err)
			return
		}
		p.endContactSessions(r, addr)
	}
	http.Redirect(w, r, Prefix+"/contactos?n="+notice, http.StatusSeeOther)
}

// removeContacto removes one contact of the session's client; an address
// no longer among its contacts loses its portal access and sessions.
func (p *Portal) removeContacto(w http.ResponseWriter, r *http.Request) {
	s := p.mustSession(w, r)
	if s == nil {
		return
	}
	c, ok := p.findContact(w, r, s.SubjectID, r.PathValue("id"))
	if !ok {
		return
	}
	err := p.clients.RemoveCustomerContact(r.Context(), s.SubjectID, r.PathValue("id"), s.by())
	if errors.Is(err, clients.ErrContactNotFound) {
		p.Site.Error(w, r, http.StatusNotFound)
		return
	}
	if err == nil {
		err = p.dropAccessIfGone(r, s.SubjectID, c.Address)
	}
	if err != nil {
		p.internal(w, r, "remove contact", err)
		return
	}
	http.Redirect(w, r, Prefix+"/contactos?n=removed", http.StatusSeeOther)
}

// dropAccessIfGone ends addr's portal access and sessions unless it is
// still one of the client's contacts (under another role).
func (p *Portal) dropAccessIfGone(r *http.Request, clientID, addr string) error {
	all, err := p.clients.Contacts(r.Context(), clientID)
	if err != nil {
		return err
	}
	for _, x := range all[1:] {
		if x.Address == addr {
			return nil
		}
	}
	if err := p.clients.RevokeContactAccess(r.Context(), clientID, addr, "portal:"+clientID); err != nil {
		return err
	}
	p.endContactSessions(r, addr)
	return nil
}
