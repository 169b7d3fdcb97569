package api

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"turno/tickets"
)

// PortalTicket is one of the client's tickets as the customer sees it.
type PortalTicket struct {
	Number     int64     `json:"number"`
	Subject    string    `json:"subject"`
	Status     string    `json:"status"`
	Department string    `json:"department"`
	CreatedAt  time.Time `json:"created_at"`
	UpdatedAt  time.Time `json:"updated_at"`
}

// PortalMessage is a public message of a ticket (no internal notes).
type PortalMessage struct {
	From      string           `json:"from" doc:"The customer's address, or empty for support"`
	Name      string           `json:"name" doc:"The writer's name: the customer's, or the agent's"`
	Support   bool             `json:"support" doc:"true: written by support"`
	Text      string           `json:"text"`
	ArrivedAt time.Time        `json:"arrived_at"`
	Files     []tickets.Attach `json:"files,omitempty" doc:"The files attached (names, types, sizes, SHA-256)"`
}

// PortalThread is a ticket with its public messages, oldest first.
type PortalThread struct {
	Ticket   PortalTicket    `json:"ticket"`
	Messages []PortalMessage `json:"messages"`
}

type portalTicketsOutput struct {
	Body struct {
		Tickets []PortalTicket `json:"tickets" doc:"Newest first, at most 100"`
	}
}

type portalThreadOutput struct{ Body PortalThread }

type portalOpenInput struct {
	Key  string `header:"Idempotency-Key" maxLength:"200" doc:"The same key opens one ticket: a retry answers the same number"`
	Body struct {
		Department string         `json:"department" minLength:"1" maxLength:"100" doc:"One of the departments offered"`
		Subject    string         `json:"subject" minLength:"1" maxLength:"300"`
		Text       string         `json:"text" minLength:"1" maxLength:"20000"`
		Files      []attachmentIn `json:"files,omitempty" maxItems:"5" doc:"Files attached, base64; judged by their bytes: PDF, PNG, JPEG, GIF, text, CSV, DOCX, XLSX, ODT; each up to 5 MB, 10 MB in all (else 400, field files). content_type is ignored"`
	}
}

type portalReplyInput struct {
	Number int64  `path:"number" minimum:"1" doc:"The ticket number"`
	Key    string `header:"Idempotency-Key" maxLength:"200" doc:"The same key adds the message once"`
	Body   struct {
		Text  string         `json:"text" minLength:"1" maxLength:"20000"`
		Files []attachmentIn `json:"files,omitempty" maxItems:"5" doc:"As when opening a ticket"`
	}
}

type portalOpenOutput struct {
	Body struct {
		Number int64 `json:"number" doc:"The ticket opened"`
	}
}

type portalReplyOutput struct {
	Body struct {
		Number int64 `json:"number"`
		Added  bool  `json:"added"`
	}
}

func (s *Server) registerPortalTickets() {
	op := s.portalOp("portalTickets", http.MethodGet, "/tickets", "The client's tickets")
	huma.Register(s.api, op, s.portalTickets)

	op = s.portalOp("portalTicket", http.MethodGet, "/tickets/{number}", "One of the client's tickets", http.StatusNotFound)
	op.Description = "The ticket and its public messages (internal notes are never shown). Another client's ticket is 404."
	huma.Register(s.api, op, s.portalTicket)

	op = s.portalOp("portalOpenTicket", http.MethodPost, "/tickets", "Open a ticket as the client")
	op.Description = "Opens a ticket (channel portal) written as the client's principal address."
	op.DefaultStatus = http.StatusCreated
	op.MaxBodyBytes = MaxReplyBody
	huma.Register(s.api, op, s.portalOpen)

	op = s.portalOp("portalReplyTicket", http.MethodPost, "/tickets/{number}/replies", "Add the client's message to a ticket",
		http.StatusNotFound)
	op.DefaultStatus = http.StatusCreated
	op.MaxBodyBytes = MaxReplyBody
	huma.Register(s.api, op, s.portalReply)

	op = s.portalOp("portalTicketFile", http.MethodGet, "/tickets/{number}/messages/{message}/files/{file}",
		"A file the customer sent", http.StatusNotFound)
	op.Description = "File `file` (its index in `files`) of message `message` (its index in the thread's `messages`) " +
		"of one of the client's tickets: a file the customer sent, by mail or here (support's replies keep only the " +
		"names). Served as an attachment, typed by its bytes (application/octet-stream when it is none of the " +
		"types the portal takes). Another client's ticket, an index out of range or bytes no longer kept are 404."
	content := map[string]*huma.MediaType{}
	for _, ct := range tickets.FileTypes() {
		content[ct] = &huma.MediaType{Schema: &huma.Schema{Type: "string", ContentEncoding: "binary"}}
	}
	op.Responses = map[string]*huma.Response{"200": {Description: "The file", Content: content}}
	huma.Register(s.api, op, s.portalTicketFile)
}

type ticketFileInput struct {
	Number  int64 `path:"number" minimum:"1" doc:"The ticket number"`
	Message int   `path:"message" minimum:"0" doc:"The message's index in the thread"`
	File    int   `path:"file" minimum:"0" doc:"The file's index in the message's files"`
}

func (s *Server) portalTicketFile(ctx context.Context, in *ticketFileInput) (*fileOutput, error) {
	if s.opts.Raw == nil {
		return nil, newErr(http.StatusServiceUnavailable, CodeUnavailable, "", "no file store: files are not kept here")
	}
	a, data, err := s.opts.Tickets.ClientFile(ctx, s.opts.Raw, portalClientOf(ctx), in.Number, in.Message, in.File)
	if err != nil {
		return nil, s.fail("client ticket file", err)
	}
	ct, name := tickets.DownloadAs(a.Filename, data)
	return download(ct, name, data), nil
}

// customerFiles are the request's files for tickets (which judges them);
// files without a raw store are 503.
func (s *Server) customerFiles(in []attachmentIn) ([]tickets.CustomerFile, error) {
	if len(in) == 0 {
		return nil, nil
	}
	if s.opts.Raw == nil {
		return nil, newErr(http.StatusServiceUnavailable, CodeUnavailable, "", "no file store: files are not taken here")
	}
	out := make([]tickets.CustomerFile, len(in))
	for i, f := range in {
		out[i] = tickets.CustomerFile{Filename: f.Filename, Data: f.Data}
	}
	return out, nil
}

// fileStore is Options.Raw as tickets takes it (nil stays nil).
func (s *Server) fileStore() tickets.FileStore {
	if s.opts.Raw == nil {
		return nil
	}
	return s.opts.Raw
}

func portalTicket(t tickets.Ticket) PortalTicket {
	upd := t.UpdatedAt
	if upd.IsZero() {
		upd = t.CreatedAt
	}
	return PortalTicket{Number: t.Number, Subject: t.Subject, Status: t.Status, Department: t.Department,
		CreatedAt: t.CreatedAt, UpdatedAt: upd}
}

func (s *Server) portalTickets(ctx context.Context, _ *struct{}) (*portalTicketsOutput, error) {
	ts, err := s.opts.Tickets.ClientTickets(ctx, portalClientOf(ctx), 100)
	if err != nil {
		return nil, s.fail("client tickets", err)
	}
	out := &portalTicketsOutput{}
	out.Body.Tickets = []PortalTicket{}
	for _, t := range ts {
		out.Body.Tickets = append(out.Body.Tickets, portalTicket(t))
	}
	return out, nil
}

func (s *Server) portalTicket(ctx context.Context, in *numberInput) (*portalThreadOutput, error) {
	t, msgs, err := s.opts.Tickets.ClientThread(ctx, portalClientOf(ctx), in.Number)
	if err != nil {
		return nil, s.fail("client ticket", err)
	}
	v := PortalThread{Ticket: portalTicket(*t), Messages: []PortalMessage{}}
	for _, m := range msgs {
		pm := PortalMessage{Text: m.Text, ArrivedAt: m.ArrivedAt, Support: m.Direction == tickets.DirReply}
		if pm.Support {
			pm.Name = m.AgentName
		} else {
			pm.From, pm.Name = m.From.Address, m.From.Name
		}
		pm.Files = m.Attachments
		v.Messages = append(v.Messages, pm)
	}
	return &portalThreadOutput{Body: v}, nil
}

func (s *Server) portalOpen(ctx context.Context, in *portalOpenInput) (*portalOpenOutput, error) {
	c, err := s.portalClient(ctx)
	if err != nil {
		return nil, err
	}
	files, err := s.customerFiles(in.Body.Files)
	if err != nil {
		return nil, err
	}
	n, err := s.opts.Tickets.OpenForClient(ctx, tickets.CustomerRequest{ClientID: c.ID, From: c.Email, Name: c.Name,
		Department: in.Body.Department, Subject: in.Body.Subject, Text: in.Body.Text, Nonce: nonceOr(in.Key),
		Files: files, Store: s.fileStore()})
	if err != nil {
		return nil, s.fail("open ticket", err)
	}
	s.log.Info("api: portal ticket opened", "client", c.ID, "ticket", n)
	out := &portalOpenOutput{}
	out.Body.Number = n
	return out, nil
}

func (s *Server) portalReply(ctx context.Context, in *portalReplyInput) (*portalReplyOutput, error) {
	c, err := s.portalClient(ctx)
	if err != nil {
		return nil, err
	}
	files, err := s.customerFiles(in.Body.Files)
	if err != nil {
		return nil, err
	}
	err = s.opts.Tickets.ReplyForClient(ctx, in.Number, tickets.CustomerRequest{ClientID: c.ID, From: c.Email, Name: c.Name,
		Text: in.Body.Text, Nonce: nonceOr(in.Key), Files: files, Store: s.fileStore()})
	if errors.Is(err, tickets.ErrNotFound) {
		return nil, newErr(http.StatusNotFound, CodeNotFound, "", "no such ticket")
	}
	if err != nil {
		return nil, s.fail("reply ticket", err)
	}
	out := &portalReplyOutput{}
	out.Body.Number, out.Body.Added = in.Number, true
	return out, nil
}
