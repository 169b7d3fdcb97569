package api

import (
	"context"
	"net/http"

	"github.com/danielgtaylor/huma/v2"

	"turno/replies"
)

type savedListOutput struct {
	Body struct {
		Replies []replies.Saved `json:"replies"`
	}
}

type savedInput struct {
	Name string `path:"name" minLength:"1" doc:"The saved reply's name"`
}

type savedOutput struct {
	Body replies.Saved
}

func (s *Server) registerReplies() {
	op := s.op("listSavedReplies", http.MethodGet, "/replies", "replies", "Saved replies")
	op.Description = "Every saved reply, by name, in Spanish and English, with their placeholders " +
		"{requester_name}, {ticket_number} and {agent_name} unfilled."
	huma.Register(s.api, op, func(ctx context.Context, _ *noInput) (*savedListOutput, error) {
		out := &savedListOutput{}
		out.Body.Replies = []replies.Saved{}
		if s.opts.Replies == nil {
			return out, nil
		}
		all, err := s.opts.Replies.List(ctx)
		if err != nil {
			return nil, s.fail("list saved replies", err)
		}
		if all != nil {
			out.Body.Replies = all
		}
		return out, nil
	})
	op = s.op("getSavedReply", http.MethodGet, "/replies/{name}", "replies", "One saved reply", http.StatusNotFound)
	huma.Register(s.api, op, func(ctx context.Context, in *savedInput) (*savedOutput, error) {
		if s.opts.Replies == nil {
			return nil, newErr(http.StatusNotFound, CodeNotFound, "", "no such saved reply")
		}
		r, err := s.opts.Replies.Get(ctx, in.Name)
		if err != nil {
			return nil, s.fail("show saved reply", err)
		}
		return &savedOutput{Body: *r}, nil
	})
}
