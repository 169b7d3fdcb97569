package api

import (
	"context"
	"net/http"

	"github.com/danielgtaylor/huma/v2"

	"turno/agentmail"
)

// Releasing a held mail: an agent's answer by mail held on its ticket for
// authentication (mailboxes.agent_auth) is confirmed by its agent or an
// admin and applied as it would have been on arrival (agentmail.Router.Release).

type releaseHeldInput struct {
	Number int64  `path:"number" minimum:"1" doc:"The ticket number"`
	Key    string `path:"key" minLength:"1" maxLength:"80" doc:"The held mail's key (held:<64 hex digits>, or the hex alone), as the ticket lists it and the explanation mail gives it"`
}

type releaseHeldBody struct {
	Ticket   int64  `json:"ticket" doc:"The ticket the mail was applied on"`
	Outcome  string `json:"outcome" enum:"applied,note" doc:"applied: a reply (mailed to the customer) or commands; note: an internal note"`
	Replayed bool   `json:"replayed" doc:"Released before: nothing was applied again"`
}

type releaseHeldOutput struct {
	Body releaseHeldBody
}

func (s *Server) registerHeld() {
	op := s.op("releaseHeldMail", http.MethodPost, "/tickets/{number}/held/{key}/release", "tickets",
		"Confirm a mail held for authentication", http.StatusNotFound, http.StatusConflict, http.StatusServiceUnavailable)
	op.Description = "Applies an agent's answer by mail that was held because the mailbox requires DKIM or SPF and the mail " +
		"lacked it, exactly as it would have been applied on arrival (as the agent who sent it). Only that agent or an admin " +
		"may release it. Releasing twice applies once (replayed). 409 with the newer messages when the customer wrote " +
		"after the notification the mail answered; 400 for a mail held for another reason or that no longer applies."
	huma.Register(s.api, op, s.releaseHeld)
}

func (s *Server) releaseHeld(ctx context.Context, in *releaseHeldInput) (*releaseHeldOutput, error) {
	if s.opts.Held == nil {
		return nil, newErr(http.StatusServiceUnavailable, CodeUnavailable, "", "releasing held mail is not available here")
	}
	res, err := s.opts.Held.Release(ctx, actorOf(ctx), in.Number, in.Key)
	if err != nil {
		return nil, s.fail("release held mail", err)
	}
	return &releaseHeldOutput{Body: releaseHeldBody{Ticket: res.Ticket, Outcome: res.Outcome, Replayed: res.Replayed}}, nil
}

// Releaser is agentmail.Router's release (Options.Held).
type Releaser = agentmail.Releaser
