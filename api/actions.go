package api

import (
	"context"
	"errors"
	"net/http"
	"strings"

	"github.com/danielgtaylor/huma/v2"

	"turno/mailout"
	"turno/replies"
	"turno/tickets"
)

type attachmentIn struct {
	Filename    string `json:"filename" minLength:"1" maxLength:"255"`
	ContentType string `json:"content_type,omitempty" maxLength:"255" doc:"MIME type; default application/octet-stream"`
	Data        []byte `json:"data" doc:"The file's bytes, base64"`
}

type replyBody struct {
	Text    string `json:"text,omitempty" maxLength:"1000000" doc:"The answer, plain text (required unless saved_reply gives it)"`
	Answers string `json:"answers,omitempty" doc:"Key of the newest message you saw (required unless force): a newer customer message or another agent's reply is a 409"`
	Status  string `json:"status,omitempty" enum:"open,pending,solved" doc:"The ticket's status after the reply; default open"`
	// CcOthers copies the answered message's other recipients.
	CcOthers    bool           `json:"cc_others,omitempty" doc:"Copy the answered message's other recipients"`
	Force       bool           `json:"force,omitempty" doc:"Send even if newer messages arrived"`
	SavedReply  string         `json:"saved_reply,omitempty" doc:"A saved reply's name: its text, in the ticket's language with placeholders filled, is the answer when text is empty, else goes before it"`
	Attachments []attachmentIn `json:"attachments,omitempty" maxItems:"20"`
}

type replyInput struct {
	Number int64  `path:"number" minimum:"1" doc:"The ticket number"`
	Key    string `header:"Idempotency-Key" required:"true" minLength:"1" maxLength:"200" doc:"The same key never sends twice: a retry answers the first result"`
	Body   replyBody
}

type noteBody struct {
	Text string `json:"text" minLength:"1" maxLength:"1000000" doc:"The note, plain text"`
}

type noteInput struct {
	Number int64  `path:"number" minimum:"1" doc:"The ticket number"`
	Key    string `header:"Idempotency-Key" required:"true" minLength:"1" maxLength:"200" doc:"The same key never stores twice"`
	Body   noteBody
}

type replyOutput struct {
	Status int
	Body   tickets.ReplyResult
}

type ticketOutput struct {
	Body tickets.Ticket
}

type assignInput struct {
	Number int64 `path:"number" minimum:"1"`
	Body   struct {
		Assignee string `json:"assignee" doc:"An agent of the ticket's department, me, or empty to unassign"`
	}
}

type statusInput struct {
	Number int64 `path:"number" minimum:"1"`
	Body   struct {
		Status string `json:"status" enum:"new,open,pending,solved,closed"`
	}
}

type priorityInput struct {
	Number int64 `path:"number" minimum:"1"`
	Body   struct {
		Label string `json:"label" enum:"high,medium,low," doc:"The override, or empty to clear it"`
	}
}

type departmentInput struct {
	Number int64 `path:"number" minimum:"1"`
	Body   struct {
		Department string `json:"department" minLength:"1"`
	}
}

type mergeInput struct {
	Number int64 `path:"number" minimum:"1" doc:"The ticket merged away (closed as merged)"`
	Body   struct {
		Into int64 `json:"into" minimum:"1" doc:"The ticket that survives"`
	}
}

type linkInput struct {
	Number int64 `path:"number" minimum:"1"`
	Body   struct {
		ClientID string `json:"client_id" minLength:"1" doc:"The client the unverified requester proved to belong to"`
	}
}

func (s *Server) registerActions() {
	op := s.op("replyTicket", http.MethodPost, "/tickets/{number}/replies", "tickets", "Reply to the requester",
		http.StatusNotFound, http.StatusConflict, http.StatusRequestEntityTooLarge)
	op.Description = "Mails the answer through the outbox and stores it on the ticket. 201 when sent, 200 when the key was seen " +
		"before (replayed: nothing sent again), 409 with the newer messages when the ticket changed since the message answered, " +
		"422 when the key was used for another request."
	op.DefaultStatus = http.StatusCreated
	op.MaxBodyBytes = MaxReplyBody
	huma.Register(s.api, op, s.reply)

	op = s.op("noteTicket", http.MethodPost, "/tickets/{number}/notes", "tickets", "Add an internal note", http.StatusNotFound)
	op.Description = "Stored on the ticket for agents only; never mailed. 201, or 200 when the key was seen before."
	op.DefaultStatus = http.StatusCreated
	huma.Register(s.api, op, s.note)

	op = s.op("assignTicket", http.MethodPost, "/tickets/{number}/assign", "tickets", "Assign, take or unassign", http.StatusNotFound)
	huma.Register(s.api, op, func(ctx context.Context, in *assignInput) (*ticketOutput, error) {
		a := actorOf(ctx)
		who := in.Body.Assignee
		if strings.EqualFold(who, "me") {
			who = a.Email
		}
		return s.ticket("assign", func() (*tickets.Ticket, error) { return s.opts.Tickets.Assign(ctx, a, in.Number, who) })
	})
	op = s.op("setTicketStatus", http.MethodPost, "/tickets/{number}/status", "tickets", "Change the status", http.StatusNotFound)
	huma.Register(s.api, op, func(ctx context.Context, in *statusInput) (*ticketOutput, error) {
		return s.ticket("status", func() (*tickets.Ticket, error) {
			return s.opts.Tickets.SetStatus(ctx, actorOf(ctx), in.Number, in.Body.Status)
		})
	})
	op = s.op("setTicketPriority", http.MethodPost, "/tickets/{number}/priority", "tickets", "Override or clear the priority", http.StatusNotFound)
	huma.Register(s.api, op, func(ctx context.Context, in *priorityInput) (*ticketOutput, error) {
		return s.ticket("priority", func() (*tickets.Ticket, error) {
			return s.opts.Tickets.SetPriority(ctx, actorOf(ctx), in.Number, in.Body.Label)
		})
	})
	op = s.op("moveTicket", http.MethodPost, "/tickets/{number}/department", "tickets", "Move to another department", http.StatusNotFound)
	huma.Register(s.api, op, func(ctx context.Context, in *departmentInput) (*ticketOutput, error) {
		return s.ticket("move", func() (*tickets.Ticket, error) {
			return s.opts.Tickets.Move(ctx, actorOf(ctx), in.Number, in.Body.Department)
		})
	})
	op = s.op("mergeTicket", http.MethodPost, "/tickets/{number}/merge", "tickets", "Merge this ticket into another", http.StatusNotFound)
	op.Description = "This ticket's messages and history appear on the other one; this one is closed as merged, and later mail " +
		"that would have joined it joins the other. Answers the surviving ticket."
	huma.Register(s.api, op, func(ctx context.Context, in *mergeInput) (*ticketOutput, error) {
		return s.ticket("merge", func() (*tickets.Ticket, error) {
			return s.opts.Tickets.Merge(ctx, actorOf(ctx), in.Number, in.Body.Into)
		})
	})
	op = s.op("linkTicket", http.MethodPost, "/tickets/{number}/link", "tickets", "Link the requester to a client", http.StatusNotFound)
	op.Description = "Registers the unverified requester as a technical contact of the client (audited as done by the caller), " +
		"marks the ticket verified and recomputes its priority."
	huma.Register(s.api, op, func(ctx context.Context, in *linkInput) (*ticketOutput, error) {
		return s.ticket("link", func() (*tickets.Ticket, error) {
			return s.opts.Tickets.Link(ctx, actorOf(ctx), in.Number, in.Body.ClientID)
		})
	})
}

func (s *Server) ticket(op string, fn func() (*tickets.Ticket, error)) (*ticketOutput, error) {
	t, err := fn()
	if err != nil {
		return nil, s.fail(op, err)
	}
	return &ticketOutput{Body: *t}, nil
}

func (s *Server) reply(ctx context.Context, in *replyInput) (*replyOutput, error) {
	a := actorOf(ctx)
	text := in.Body.Text
	if in.Body.SavedReply != "" {
		saved, err := s.savedText(ctx, a, in.Number, in.Body.SavedReply)
		if err != nil {
			return nil, err
		}
		if strings.TrimSpace(text) == "" {
			text = saved
		} else {
			text = saved + "\n\n" + text
		}
	}
	atts := make([]mailout.Attachment, len(in.Body.Attachments))
	for i, f := range in.Body.Attachments {
		ct := f.ContentType
		if ct == "" {
			ct = "application/octet-stream"
		}
		atts[i] = mailout.Attachment{Filename: f.Filename, ContentType: ct, Data: f.Data}
	}
	res, err := s.opts.Tickets.Reply(ctx, a, in.Number, tickets.ReplyInput{Key: in.Key, Answers: in.Body.Answers,
		Text: text, CcOthers: in.Body.CcOthers, Attachments: atts, Status: in.Body.Status, Force: in.Body.Force})
	if err != nil {
		return nil, s.fail("reply", err)
	}
	return replied(res), nil
}

func (s *Server) note(ctx context.Context, in *noteInput) (*replyOutput, error) {
	res, err := s.opts.Tickets.Note(ctx, actorOf(ctx), in.Number, tickets.NoteInput{Key: in.Key, Text: in.Body.Text})
	if err != nil {
		return nil, s.fail("note", err)
	}
	return replied(res), nil
}

func replied(res *tickets.ReplyResult) *replyOutput {
	out := &replyOutput{Status: http.StatusCreated, Body: *res}
	if res.Replayed {
		out.Status = http.StatusOK
	}
	return out
}

// savedText is the saved reply's text in the ticket's language (its
// customer's first message's), placeholders filled.
func (s *Server) savedText(ctx context.Context, a tickets.Actor, n int64, name string) (string, error) {
	if s.opts.Replies == nil {
		return "", newErr(http.StatusBadRequest, CodeBadRequest, "saved_reply", "saved replies are not available")
	}
	th, err := s.opts.Tickets.Get(ctx, a, n)
	if err != nil {
		return "", s.fail("reply", err)
	}
	r, err := s.opts.Replies.Get(ctx, name)
	if err != nil {
		if errors.Is(err, replies.ErrNotFound) {
			return "", newErr(http.StatusBadRequest, CodeBadRequest, "saved_reply", "no saved reply named %q", name)
		}
		return "", s.fail("reply", err)
	}
	lang := "es"
	for _, m := range th.Messages {
		if m.Direction == tickets.DirIn && m.Lang != "" {
			lang = m.Lang
			break
		}
	}
	who := th.Ticket.Requester.Name
	if who == "" {
		who = th.Ticket.Requester.Address
	}
	return r.Text(lang, replies.Vars{RequesterName: who, TicketNumber: n, AgentName: a.Name}), nil
}
