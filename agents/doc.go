// Package agents owns agent accounts, their departments, API tokens and
// console passwords.
//
// # Collections
//
//   - agents: _id is the agent's primary address in lower case; name,
//     role (agent or admin), departments, alternate addresses, active,
//     language, signature, notify (the notification mails wanted: new,
//     reply, assign, mention, sla; absent: all, ["none"]: none; see
//     notify.go).
//   - agent_addresses: _id is an address (primary or alternate, lower
//     case) → the agent's primary address. Inserted before the agent is
//     written, so the unique _id makes every address belong to at most
//     one agent, and a sender lookup is one _id read. A claim no agent
//     lists (its Add or Update stopped half way) yields to the next agent
//     that wants the address once it is a minute old.
//   - api_tokens: _id is the SHA-256 (hex) of the token; the agent it acts
//     as (or the gateway scope), a label, created, last used, revoked.
//     The token itself is never stored: it is printed once. Printed
//     tokens are "turno_" and 32 random bytes in base64url; last used is
//     written at most once a minute per token.
//   - agent_passwords: _id is the agent's primary address; the argon2id
//     hash (clients' hashing) of the console password and when it was set,
//     kept apart from agents so no listing of agents carries a hash
//     (password.go).
//
// Every lookup on a request path (a token, an address) is an _id read.
package agents
