// Package api is the agents' HTTP API, /api/v1: thin JSON handlers over
// the domain packages (tickets, agents, replies, clients, billing), each
// one parsing its input, calling one domain method with the acting agent
// and mapping the domain's errors. Every rule (scope, collision,
// idempotency) is the domain's; this package owns no collection.
//
// The routes are described with huma v2 on net/http's ServeMux (the
// humago adapter), so the OpenAPI 3.1 document served at
// GET /api/v1/openapi.json comes from the same code that serves them.
//
// # Authentication
//
// "Authorization: Bearer <token>": an agent's token for every route but
// POST /api/v1/payments, which takes the configured billing.api_token or a
// gateway token and refuses agent tokens, and /api/v1/portal/…, which
// takes only a portal token (`turno agents token create --portal CLIENT`)
// and acts for that one client: every read and write is scoped to it, and
// another client's ticket, invoice or file is a 404 (portal*.go, over the
// same domain calls as the built-in portal pages; downloads, a document's
// PDF or a file the customer sent, are attachments with nosniff). A missing or invalid token is a
// 401 with WWW-Authenticate. Requests that present a wrong token are
// counted per client address (10 in a burst, then one more every 6 s);
// over that, requests get 429 with Retry-After and their token is not
// even checked. Valid tokens are never limited.
//
// # Errors
//
// Every error, huma's own validation errors included, is
// {"error":{"code","message","field"}} with code bad_request (400: bad
// input, malformed JSON, unknown fields; nothing changed), unauthorized
// (401), not_found (404: also another department's ticket), conflict (409:
// newer messages arrived since the one answered, "newer" lists them; or a
// payment report's decision contradicting the one taken),
// idempotency_key_reused (422), too_large (413), rate_limited (429),
// unavailable (503) or internal (500: details only in the log).
package api
