// Package web is what the customer portal (package portal) and the agents'
// console share: server-side sessions, CSRF protection, security headers,
// html/template pages embedded in the binary with one layout and a
// Spanish/English message catalogue, the stylesheet, and the rate limits
// and lockout of the access forms. A surface (portal, console) builds one
// Site with its own cookie name, URL prefix, pages and messages, and wraps
// its mux with Site.Wrap.
//
// # Collections
//
//   - web_sessions: _id = hex SHA-256 of the session id the cookie holds
//     (the id itself is never stored) → surface, subject kind and id, the
//     session's CSRF secret, the subject's generation when it logged in,
//     created, expires, rotated_at. A login always makes a new id (the old
//     session, if any, is deleted): no fixation. Expired documents are
//     removed by Sessions.Sweep (a daily job, not a TTL index).
//   - web_subjects: _id = surface/kind/id → generation. "Log out
//     everywhere" increments it; every request reads the session and this
//     document by _id and refuses a session whose generation differs, so
//     revocation never scans.
//   - web_throttle: _id = surface/purpose/SHA-256 of the address/hour →
//     failures in that hour (fixed one-hour windows; every write is an
//     upsert by _id). Sweep removes past hours.
//
// # Cookies
//
// One session cookie per surface (Options.CookieName: turno_portal,
// turno_console), HttpOnly, SameSite=Lax, Path=/, Secure when the request
// came over TLS or from a trusted proxy (http.trusted_proxies) saying
// X-Forwarded-Proto: https. Before login the forms are protected by a
// second cookie, <name>_csrf, holding a random token (double submit).
//
// # CSRF
//
// Two layers, both on every state-changing request (any method but GET,
// HEAD, OPTIONS):
//
//  1. Go's net/http CrossOriginProtection (Go 1.25+, maintained with the
//     standard library): refuses cross-origin browser requests by
//     Sec-Fetch-Site / Origin, with no token and no state.
//  2. A synchronizer token: every form carries a hidden field "csrf" that
//     must equal, compared in constant time, the session's CSRF secret
//     (stored in its web_sessions document) or, before login, the
//     <name>_csrf cookie. This covers browsers that send neither header.
//
// gorilla/csrf was considered and not used: it keeps its own masked token
// in its own cookie and needs a shared authentication key configured on
// every instance, while the server-side session already holds a per-session
// secret that rotates at login; tying the token to it needs a dozen lines
// and no key management. A refused request gets 403 and changes nothing.
// One exception to the 403: a multipart form over Options.MaxForm that
// passed layer 1 goes to the surface's Options.TooLarge, which answers the
// form again with an error and must change nothing (toolarge.go says why
// that is safe without the token).
//
// # Headers
//
// Every response: Content-Security-Policy "default-src 'none'; style-src
// 'self'; img-src 'self' data:; form-action 'self'; base-uri 'none';
// frame-ancestors 'none'" plus Options.ScriptSrc when a surface serves its
// own scripts (never inline), with connect-src 'self' for their fetches,
// X-Content-Type-Options: nosniff, Referrer-Policy: same-origin (the
// set-password link's token never leaves in a Referer), X-Frame-Options:
// DENY, and Cache-Control: no-store.
//
// # Language
//
// Spanish by default; ?lang=en or ?lang=es chooses and is remembered in
// the turno_lang cookie; without either, Accept-Language decides between
// the two. Messages missing in English fall back to Spanish.
//
// # Rate limits
//
// Throttle guards the login and forgot-password forms: per client IP
// (an in-memory token bucket: the IP is the peer's address, or the
// X-Forwarded-For entry a trusted proxy added) and per address (counted in
// web_throttle, so every instance sees the same count). After Lockout (20)
// failed logins for an address within an hour the address is locked until
// the hour ends, whatever password is given, and the LockoutNotifier the
// caller provides (Options.Notifier, or Site.SetNotifier later) is called
// exactly once for it (the update that takes the counter to 20 is the
// only one that sees 20). The pages answer with
// one generic message whether the address is unknown, the password wrong
// or the address locked.
package web
