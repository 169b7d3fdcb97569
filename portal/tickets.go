package portal

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"turno/templates"
	"turno/tickets"
	"turno/web"
)

type ticketRow struct {
	Number             int64
	Subject            string
	Status, Department string // Status: a message key
	Updated            string
	Href               string
}

type ticketsView struct {
	Tickets []ticketRow
	Opened  int64
}

type ticketMsg struct {
	From, At, Text string
	Agent          bool
	Files          []msgFile
}

type ticketView struct {
	Ticket   ticketRow
	Messages []ticketMsg
	Nonce    string
	Text     string
	Error    string
	Notice   string // message key
	Closed   bool
	Report   *reportView
	Upload   filesField
}

// reportView is the payment report a ticket holds, as the customer sees it.
type reportView struct {
	Amount, Date, Method, Bank, Operation string
	Invoices                              string
	State                                 string // message key
	Receipt                               string // the download's path, or ""
	ReceiptName                           string
}

type newTicketView struct {
	filesField
	Departments   []deptOption
	Subject, Text string
	Nonce         string
}

type deptOption struct {
	Value, Label string
	Selected     bool
}

func nonce() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

func statusKey(s string) string { return "ticket.status." + s }

func (p *Portal) when(r *http.Request, t time.Time) string {
	if t.IsZero() {
		return ""
	}
	t = t.In(chile)
	if web.Lang(r) == "en" {
		return t.Format("Jan 2, 2006 15:04")
	}
	return t.Format("02-01-2006 15:04")
}

func (p *Portal) row(r *http.Request, t tickets.Ticket) ticketRow {
	upd := t.UpdatedAt
	if upd.IsZero() {
		upd = t.CreatedAt
	}
	return ticketRow{Number: t.Number, Subject: t.Subject, Status: statusKey(t.Status), Department: t.Department,
		Updated: p.when(r, upd), Href: Prefix + "/tickets/" + strconv.FormatInt(t.Number, 10)}
}

// ticketList shows the session client's tickets, newest first.
func (p *Portal) ticketList(w http.ResponseWriter, r *http.Request) {
	s := p.mustSession(w, r)
	if s == nil {
		return
	}
	ts, err := p.tickets.ClientTickets(r.Context(), s.SubjectID, 100)
	if err != nil {
		p.internal(w, r, "tickets", err)
		return
	}
	v := ticketsView{}
	for _, t := range ts {
		v.Tickets = append(v.Tickets, p.row(r, t))
	}
	p.Site.Render(w, r, http.StatusOK, "tickets", v)
}

func (p *Portal) newTicketView(r *http.Request, dept, subject, text string, errs map[string]string) newTicketView {
	v := newTicketView{filesField: newFilesField(errs), Subject: subject, Text: text, Nonce: r.PostForm.Get("nonce")}
	if v.Nonce == "" {
		v.Nonce = nonce()
	}
	if dept == "" {
		dept = p.depts[0]
	}
	for _, d := range p.depts {
		label := p.Site.T(r, "dept."+d)
		if label == "dept."+d {
			label = d
		}
		v.Departments = append(v.Departments, deptOption{Value: d, Label: label, Selected: d == dept})
	}
	return v
}

func (p *Portal) newTicketPage(w http.ResponseWriter, r *http.Request) {
	if p.mustSession(w, r) == nil {
		return
	}
	p.Site.Render(w, r, http.StatusOK, "ticket_new", p.newTicketView(r, "", "", "", map[string]string{}))
}

// fieldError maps a tickets input error to the form field and its text.
func (p *Portal) fieldError(r *http.Request, err error) (string, string, bool) {
	var ie *tickets.InputError
	if !errors.As(err, &ie) {
		return "", "", false
	}
	key := "ticket.error." + ie.Field
	msg := p.Site.T(r, key)
	if msg == key {
		msg = ie.Msg
	}
	return ie.Field, msg, true
}

// openTicket opens a ticket (channel portal) for the session's client,
// written as the signed-in contact or the principal address, with the
// files attached.
func (p *Portal) openTicket(w http.ResponseWriter, r *http.Request) {
	s := p.mustSession(w, r)
	if s == nil {
		return
	}
	c := p.loadClient(w, r, s.SubjectID)
	if c == nil {
		return
	}
	dept, subject, text := r.PostForm.Get("department"), r.PostForm.Get("subject"), r.PostForm.Get("text")
	refuse := func(field, msg string) {
		p.Site.Render(w, r, http.StatusUnprocessableEntity, "ticket_new", p.newTicketView(r, dept, subject, text, map[string]string{field: msg}))
	}
	files, err := readFiles(r)
	if msg, ok := p.filesError(r, err); ok {
		refuse("files", msg)
		return
	}
	from, name := s.writer(c)
	n, err := p.tickets.OpenForClient(r.Context(), tickets.CustomerRequest{ClientID: c.ID, From: from, Name: name,
		Department: dept, Subject: subject, Text: text, Nonce: r.PostForm.Get("nonce"), Files: files, Store: p.raw})
	if msg, ok := p.filesError(r, err); ok {
		refuse("files", msg)
		return
	}
	if field, msg, ok := p.fieldError(r, err); ok {
		refuse(field, msg)
		return
	}
	if err != nil {
		p.internal(w, r, "open ticket", err)
		return
	}
	p.log.Info("portal: ticket opened", "client", c.ID, "ticket", n, "files", len(files))
	http.Redirect(w, r, Prefix+"/tickets/"+strconv.FormatInt(n, 10)+"?n=opened", http.StatusSeeOther)
}

// ticketNumber is the {n} of the path, or 0.
func ticketNumber(r *http.Request) int64 {
	n, err := strconv.ParseInt(r.PathValue("n"), 10, 64)
	if err != nil || n <= 0 {
		return 0
	}
	return n
}

func (p *Portal) renderTicket(w http.ResponseWriter, r *http.Request, clientID string, n int64, status int, v ticketView) {
	t, msgs, err := p.tickets.ClientThread(r.Context(), clientID, n)
	if errors.Is(err, tickets.ErrNotFound) {
		p.Site.Error(w, r, http.StatusNotFound)
		return
	}
	if err != nil {
		p.internal(w, r, "ticket", err)
		return
	}
	v.Ticket = p.row(r, *t)
	if rep, err := p.tickets.ClientPaymentReport(r.Context(), clientID, n); err == nil {
		v.Report = p.reportView(r, rep)
	} else if !errors.Is(err, tickets.ErrNotFound) {
		p.internal(w, r, "payment report", err)
		return
	}
	v.Closed = t.Status == tickets.StatusClosed
	if v.Nonce == "" {
		v.Nonce = nonce()
	}
	if v.Upload.Errors == nil {
		v.Upload = newFilesField(nil)
	}
	for i, m := range msgs {
		tm := ticketMsg{At: p.when(r, m.ArrivedAt), Text: m.Text, Agent: m.Direction == tickets.DirReply,
			Files: messageFiles(n, i, m)}
		switch {
		case tm.Agent && m.AgentName != "":
			tm.From = m.AgentName
		case tm.Agent:
			tm.From = p.Site.T(r, "ticket.support")
		case m.From.Name != "":
			tm.From = m.From.Name
		default:
			tm.From = m.From.Address
		}
		v.Messages = append(v.Messages, tm)
	}
	p.Site.Render(w, r, status, "ticket", v)
}

// ticketPage shows one of the session client's tickets with its public
// messages and a reply form; another client's ticket is 404.
func (p *Portal) ticketPage(w http.ResponseWriter, r *http.Request) {
	s := p.mustSession(w, r)
	if s == nil {
		return
	}
	n := ticketNumber(r)
	if n == 0 {
		p.Site.Error(w, r, http.StatusNotFound)
		return
	}
	v := ticketView{}
	switch r.URL.Query().Get("n") {
	case "replied":
		v.Notice = "ticket.notice.replied"
	case "opened":
		v.Notice = "ticket.notice.opened"
	case "reported":
		v.Notice = "ticket.notice.reported"
	}
	p.renderTicket(w, r, s.SubjectID, n, http.StatusOK, v)
}

// replyTicket adds the customer's message to one of the session client's
// tickets.
func (p *Portal) replyTicket(w http.ResponseWriter, r *http.Request) {
	s := p.mustSession(w, r)
	if s == nil {
		return
	}
	n := ticketNumber(r)
	if n == 0 {
		p.Site.Error(w, r, http.StatusNotFound)
		return
	}
	c := p.loadClient(w, r, s.SubjectID)
	if c == nil {
		return
	}
	text, nc := r.PostForm.Get("text"), r.PostForm.Get("nonce")
	files, err := readFiles(r)
	if err == nil {
		from, name := s.writer(c)
		err = p.tickets.ReplyForClient(r.Context(), n, tickets.CustomerRequest{ClientID: c.ID, From: from, Name: name,
			Text: text, Nonce: nc, Files: files, Store: p.raw})
	}
	if errors.Is(err, tickets.ErrNotFound) {
		p.Site.Error(w, r, http.StatusNotFound)
		return
	}
	if msg, ok := p.filesError(r, err); ok {
		p.renderTicket(w, r, c.ID, n, http.StatusUnprocessableEntity, ticketView{Text: text, Nonce: nc,
			Upload: newFilesField(map[string]string{"files": msg})})
		return
	}
	if _, msg, ok := p.fieldError(r, err); ok {
		p.renderTicket(w, r, c.ID, n, http.StatusUnprocessableEntity, ticketView{Text: text, Error: msg, Nonce: nc})
		return
	}
	if err != nil {
		p.internal(w, r, "reply ticket", err)
		return
	}
	http.Redirect(w, r, Prefix+"/tickets/"+strconv.FormatInt(n, 10)+"?n=replied", http.StatusSeeOther)
}

func (p *Portal) reportView(r *http.Request, rep *tickets.PaymentReport) *reportView {
	str := func(v *string) string {
		if v == nil {
			return ""
		}
		return *v
	}
	v := &reportView{Date: dateText(web.Lang(r), str(rep.Report.Date)), Bank: str(rep.Report.Bank), Operation: str(rep.Report.Operation),
		State: "pay.state." + rep.State}
	if rep.Report.Amount != nil {
		v.Amount = templates.Money(*rep.Report.Amount)
	}
	if m := str(rep.Report.Method); m != "" {
		v.Method = p.Site.T(r, "pay.method."+m)
	}
	invs := rep.Proposed
	if rep.State == tickets.ReportConfirmed {
		invs = rep.Paid
	}
	nums := make([]string, len(invs))
	for i, n := range invs {
		nums[i] = "Nº " + strconv.FormatInt(n, 10)
	}
	v.Invoices = strings.Join(nums, ", ")
	if rc := rep.Receipt; rc != nil && rep.Source == "portal" && rc.Ref == rc.SHA256 {
		v.Receipt = Prefix + "/tickets/" + strconv.FormatInt(rep.Ticket, 10) + "/comprobante"
		v.ReceiptName = rc.Filename
	}
	return v
}
