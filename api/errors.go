package api

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"turno/agents"
	"turno/billing"
	"turno/clients"
	"turno/replies"
	"turno/tickets"
)

// Error codes.
const (
	CodeBadRequest   = "bad_request"
	CodeUnauthorized = "unauthorized"
	CodeNotFound     = "not_found"
	CodeConflict     = "conflict"
	CodeKeyReused    = "idempotency_key_reused"
	CodeTooLarge     = "too_large"
	CodeRateLimited  = "rate_limited"
	CodeUnavailable  = "unavailable"
	CodeInternal     = "internal"
)

// Error is every error the API answers: {"error":{...}}.
type Error struct {
	Status int       `json:"-"`
	Body   ErrorBody `json:"error"`
	// Headers are set on the answer (Retry-After on a 503).
	Headers http.Header `json:"-"`
}

// GetHeaders makes huma set Headers on the answer.
func (e *Error) GetHeaders() http.Header {
	if e.Headers == nil {
		e.Headers = http.Header{}
	}
	return e.Headers
}

// ErrorBody is what went wrong.
type ErrorBody struct {
	Code    string `json:"code" enum:"bad_request,unauthorized,not_found,conflict,idempotency_key_reused,too_large,rate_limited,unavailable,internal" doc:"Machine-readable error code"`
	Message string `json:"message" doc:"What went wrong, for people"`
	Field   string `json:"field,omitempty" doc:"The offending input (a body field, query or path parameter, or header), when one is to blame"`
	// Newer lists, on a conflict, the messages that arrived since the one
	// the reply answered, oldest first.
	Newer []NewerMessage `json:"newer,omitempty" doc:"On a conflict: the messages that arrived since the one answered, oldest first"`
}

// NewerMessage names a message the agent had not seen.
type NewerMessage struct {
	Key       string    `json:"key" doc:"The message's key: answer it to reply"`
	From      string    `json:"from" doc:"The sender's address"`
	Agent     string    `json:"agent,omitempty" doc:"The agent who wrote it, for another agent's reply"`
	ArrivedAt time.Time `json:"arrived_at"`
}

func (e *Error) Error() string  { return e.Body.Code + ": " + e.Body.Message }
func (e *Error) GetStatus() int { return e.Status }

func newErr(status int, code, field, format string, args ...any) *Error {
	return &Error{Status: status, Body: ErrorBody{Code: code, Field: field, Message: fmt.Sprintf(format, args...)}}
}

// codeFor is the code of a status huma chose.
func codeFor(status int) (int, string) {
	switch status {
	case http.StatusBadRequest, http.StatusUnprocessableEntity, http.StatusUnsupportedMediaType:
		// huma answers 422 for a body or parameter that fails its schema
		// (unknown fields included): bad input like any other.
		return http.StatusBadRequest, CodeBadRequest
	case http.StatusUnauthorized:
		return status, CodeUnauthorized
	case http.StatusNotFound:
		return status, CodeNotFound
	case http.StatusConflict:
		return status, CodeConflict
	case http.StatusRequestEntityTooLarge:
		return status, CodeTooLarge
	case http.StatusTooManyRequests:
		return status, CodeRateLimited
	case http.StatusServiceUnavailable:
		return status, CodeUnavailable
	}
	if status >= 400 && status < 500 {
		return http.StatusBadRequest, CodeBadRequest
	}
	return http.StatusInternalServerError, CodeInternal
}

// humaError replaces huma.NewError: huma's own errors (validation, body
// parsing, size) take the API's one shape. Details of a 500 are logged,
// never answered.
func humaError(status int, msg string, errs ...error) huma.StatusError {
	st, code := codeFor(status)
	if code == CodeInternal {
		if status != 0 { // 0 is huma asking for the schema at start
			slog.Default().Error("api: internal error", "msg", msg, "err", errors.Join(errs...))
		}
		return newErr(st, code, "", "internal error; retry later")
	}
	e := &Error{Status: st, Body: ErrorBody{Code: code, Message: msg}}
	var parts []string
	for _, err := range errs {
		if err == nil {
			continue
		}
		var d huma.ErrorDetailer
		if !errors.As(err, &d) {
			parts = append(parts, err.Error())
			continue
		}
		det := d.ErrorDetail()
		field := fieldOf(det.Location)
		var missing string
		if _, err := fmt.Sscanf(det.Message, "expected required property %s to be present", &missing); err == nil {
			// huma puts a missing property's location on its parent.
			if field != "" {
				missing = field + "." + missing
			}
			field = missing
		}
		if e.Body.Field == "" {
			e.Body.Field = field
		}
		m := det.Message
		if field != "" {
			m = field + ": " + m
		}
		parts = append(parts, m) // never det.Value: it may be the whole body
	}
	if len(parts) > 0 {
		e.Body.Message = strings.Join(parts, "; ")
	}
	if e.Body.Message == "" {
		e.Body.Message = strings.ToLower(http.StatusText(st))
	}
	return e
}

// fieldOf turns huma's location ("body.attachments[0].data",
// "query.limit", "header.Idempotency-Key") into the field name.
func fieldOf(loc string) string {
	for _, p := range []string{"body.", "query.", "path.", "header."} {
		if f, ok := strings.CutPrefix(loc, p); ok {
			return f
		}
	}
	if loc == "body" {
		return ""
	}
	return loc
}

// fail maps a domain error to the API's answer; unknown errors are
// logged and answered as internal.
func (s *Server) fail(op string, err error) error { // always an *Error
	var (
		ie  *tickets.InputError
		ce  *tickets.ConflictError
		ae  *agents.InputError
		be  *billing.InputError
		cv  *clients.ValidationError
		cnf *clients.NotFoundError
	)
	switch {
	case errors.As(err, &ie):
		return newErr(http.StatusBadRequest, CodeBadRequest, ie.Field, "%s", ie.Msg)
	case errors.As(err, &ce):
		e := newErr(http.StatusConflict, CodeConflict, "answers", "%s", ce.Error())
		for _, m := range ce.Newer {
			e.Body.Newer = append(e.Body.Newer, NewerMessage{Key: m.Key, From: m.From.Address, Agent: m.Agent, ArrivedAt: m.ArrivedAt})
		}
		return e
	case errors.Is(err, tickets.ErrKeyReused):
		return newErr(http.StatusUnprocessableEntity, CodeKeyReused, "Idempotency-Key", "%s", tickets.ErrKeyReused.Error())
	case errors.Is(err, tickets.ErrNotFound):
		return newErr(http.StatusNotFound, CodeNotFound, "", "no such ticket")
	case errors.Is(err, tickets.ErrNoAgent):
		return newErr(http.StatusBadRequest, CodeBadRequest, "assignee", "%s", tickets.ErrNoAgent.Error())
	case errors.As(err, &ae):
		return newErr(http.StatusBadRequest, CodeBadRequest, ae.Field, "%s", ae.Msg)
	case errors.Is(err, agents.ErrNotFound):
		return newErr(http.StatusNotFound, CodeNotFound, "", "no such agent")
	case errors.Is(err, replies.ErrNotFound):
		return newErr(http.StatusNotFound, CodeNotFound, "", "no such saved reply")
	case errors.Is(err, billing.ErrReferenceReused):
		return newErr(http.StatusConflict, CodeConflict, "reference", "%s", err.Error())
	case errors.As(err, &be):
		return newErr(http.StatusBadRequest, CodeBadRequest, "", "%s", be.Msg)
	case errors.As(err, &cv):
		f := ""
		if len(cv.Problems) > 0 {
			f = cv.Problems[0].Field
		}
		return newErr(http.StatusBadRequest, CodeBadRequest, f, "%s", cv.Error())
	case errors.As(err, &cnf):
		return newErr(http.StatusBadRequest, CodeBadRequest, "client_id", "%s", cnf.Error())
	case tickets.IsTransient(err):
		// The store did not answer, or another change holds the ticket (a
		// crashed process's hold expires within a minute): the same
		// request, with its Idempotency-Key, succeeds later.
		s.log.Warn("api: "+op+" deferred", "err", err)
		e := newErr(http.StatusServiceUnavailable, CodeUnavailable, "", "busy; retry this request (with the same Idempotency-Key) in a few seconds")
		e.Headers = http.Header{"Retry-After": {"5"}}
		return e
	}
	s.log.Error("api: "+op+" failed", "err", err)
	return newErr(http.StatusInternalServerError, CodeInternal, "", "internal error; retry later")
}
