package portal

import (
	"errors"
	"net/http"

	"turno/clients"
	"turno/web"
)

// ContactKind of a portal session: a contact with portal access of their
// own (subject id: clients.ContactAccessID of the address). The session
// acts for the contact's client; the contact writes what it sends.
const ContactKind = "contact"

// actor is who a request acts as: SubjectID is always the client's ID
// (every page scopes by it); Contact is set when a contact signed in.
type actor struct {
	SubjectID string
	Contact   *clients.ContactLogin
	Subject   web.Subject
}

// writer is the address and name tickets are written as: the contact's,
// or the client's principal address.
func (a *actor) writer(c *clients.Client) (string, string) {
	if a.Contact != nil {
		return a.Contact.Address, a.Contact.Name
	}
	return c.Email, c.Name
}

// by names the actor in the client's audit trail.
func (a *actor) by() string {
	if a.Contact != nil {
		return "portal:" + a.SubjectID + ":" + a.Contact.Address
	}
	return "portal:" + a.SubjectID
}

// mustSession is the request's actor; without a session (or for a contact
// whose access or contact was removed since) it redirects to the login
// page and returns nil.
func (p *Portal) mustSession(w http.ResponseWriter, r *http.Request) *actor {
	s := session(r)
	if s == nil {
		http.Redirect(w, r, Prefix+"/login?n=expired", http.StatusSeeOther)
		return nil
	}
	if s.Kind == SubjectKind {
		return &actor{SubjectID: s.SubjectID, Subject: s.Subject()}
	}
	cl, err := p.clients.ContactByAccessID(r.Context(), s.SubjectID)
	if errors.Is(err, clients.ErrAccessDenied) {
		_ = p.Site.Logout(r.Context(), w, r)
		http.Redirect(w, r, Prefix+"/login?n=expired", http.StatusSeeOther)
		return nil
	}
	if err != nil {
		p.internal(w, r, "contact session", err)
		return nil
	}
	return &actor{SubjectID: cl.ClientID, Contact: cl, Subject: s.Subject()}
}

// session is the request's portal session (a client's or a contact's),
// or nil.
func session(r *http.Request) *web.Session {
	s := web.CurrentSession(r)
	if s == nil || (s.Kind != SubjectKind && s.Kind != ContactKind) {
		return nil
	}
	return s
}

// endContactSessions ends every session of the contact addr (its access or
// its contact was removed).
func (p *Portal) endContactSessions(r *http.Request, addr string) {
	sub := web.Subject{Kind: ContactKind, ID: clients.ContactAccessID(addr)}
	if err := p.Site.LogoutEverywhere(r.Context(), sub); err != nil {
		p.log.Error("portal: end a contact's sessions", "err", err)
	}
}
