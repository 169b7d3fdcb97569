package portal

import (
	"net/http"
	"strconv"
	"strings"
)

// tooLarge answers a form whose body is over maxForm (web.Options.TooLarge:
// no field was read, the CSRF token included, and nothing changes): the
// form it came from again, with the error beside its file field, status
// 413. What was typed is lost with the body; the page says so.
func (p *Portal) tooLarge(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		p.Site.Error(w, r, http.StatusRequestEntityTooLarge)
		return
	}
	s := p.mustSession(w, r)
	if s == nil {
		return
	}
	msg := p.Site.T(r, "form.error.toolarge", maxForm>>20)
	errs := map[string]string{}
	switch rest := strings.TrimPrefix(r.URL.Path, Prefix+"/"); {
	case rest == "tickets" && p.tickets != nil:
		errs["files"] = msg
		p.Site.Render(w, r, http.StatusRequestEntityTooLarge, "ticket_new", p.newTicketView(r, "", "", "", errs))
	case strings.HasPrefix(rest, "tickets/") && p.tickets != nil:
		n, err := strconv.ParseInt(strings.TrimPrefix(rest, "tickets/"), 10, 64)
		if err != nil || n <= 0 {
			p.Site.Error(w, r, http.StatusRequestEntityTooLarge)
			return
		}
		errs["files"] = msg
		p.renderTicket(w, r, s.SubjectID, n, http.StatusRequestEntityTooLarge, ticketView{Upload: newFilesField(errs)})
	case rest == "pago" && p.tickets != nil && p.billing != nil:
		unpaid, err := p.unpaidInvoices(r, s.SubjectID)
		if err != nil {
			p.internal(w, r, "unpaid invoices", err)
			return
		}
		errs["receipt"] = msg
		p.Site.Render(w, r, http.StatusRequestEntityTooLarge, "pago", p.payView(r, unpaid, pagoForm{}, errs))
	default:
		p.Site.Error(w, r, http.StatusRequestEntityTooLarge)
	}
}
