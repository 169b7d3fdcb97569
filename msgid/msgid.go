// Package msgid makes and checks the Message-IDs Turno puts on ticket mail.
//
// A ticket Message-ID names its ticket and carries an HMAC over that name,
// so a reply whose In-Reply-To or References contains one can be threaded
// into the ticket without trusting the subject tag, and a forged one (a
// stranger guessing "t104233.…@domain") is refused:
//
//	<t104233.5f2c9a1e7b3d4c60.9b1f0c2a4d6e8f10@mail.example.cl>
//	  ticket  random nonce      HMAC-SHA256(key, "t104233.<nonce>")[:8] hex
//
// Mail that is not about a ticket gets a plain random ID (New with ticket 0).
//
// An agent notification's Message-ID also names the agent it went to and
// the ticket's newest customer-visible message when it was made, so a reply
// from the agent's mail client can be matched to both without any lookup:
//
//	<t104233.n.1a2b3c4d.5e6f7a8b.5f2c9a1e7b3d4c60.9b1f0c2a4d6e8f10@mail.example.cl>
//	  ticket  notice agent tag last tag  nonce     HMAC over everything before it
//
// Ticket accepts both shapes; Notice parses the second.
package msgid

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"
)

// New returns a Message-ID (with angle brackets) for mail about ticket (0:
// no ticket) sent from domain, signed with key.
func New(domain string, ticket int64, key []byte) string {
	var nonce [8]byte
	if _, err := rand.Read(nonce[:]); err != nil {
		panic(fmt.Sprintf("msgid: crypto/rand failed: %v", err))
	}
	n := hex.EncodeToString(nonce[:])
	if ticket <= 0 {
		return "<" + n + "." + hex.EncodeToString(nonce[4:]) + "@" + domain + ">"
	}
	local := "t" + strconv.FormatInt(ticket, 10) + "." + n
	return "<" + local + "." + sign(key, local) + "@" + domain + ">"
}

// Ticket returns the ticket a Message-ID (with or without angle brackets)
// was made for, if it is one of ours with a valid signature under key.
func Ticket(id string, key []byte) (int64, bool) {
	id = strings.TrimSpace(id)
	id = strings.TrimSuffix(strings.TrimPrefix(id, "<"), ">")
	local, _, ok := strings.Cut(id, "@")
	if !ok || !strings.HasPrefix(local, "t") {
		return 0, false
	}
	i := strings.LastIndexByte(local, '.')
	if i < 0 {
		return 0, false
	}
	signed, mac := local[:i], local[i+1:]
	if !hmac.Equal([]byte(mac), []byte(sign(key, signed))) {
		return 0, false
	}
	num, _, _ := strings.Cut(signed[1:], ".")
	n, err := strconv.ParseInt(num, 10, 64)
	if err != nil || n <= 0 {
		return 0, false
	}
	return n, true
}

// NewNotice returns a Message-ID (with angle brackets) for a notification
// about ticket sent to the agent whose tag (Tag of the agent's primary
// address) is agentTag, made when the ticket's newest customer-visible
// message was the one whose tag is lastTag (Tag of its key, "" for none).
func NewNotice(domain string, ticket int64, agentTag, lastTag string, key []byte) string {
	var nonce [8]byte
	if _, err := rand.Read(nonce[:]); err != nil {
		panic(fmt.Sprintf("msgid: crypto/rand failed: %v", err))
	}
	if lastTag == "" {
		lastTag = Tag("")
	}
	local := "t" + strconv.FormatInt(ticket, 10) + ".n." + agentTag + "." + lastTag + "." + hex.EncodeToString(nonce[:])
	return "<" + local + "." + sign(key, local) + "@" + domain + ">"
}

// Tag is the 8-hex-digit tag NewNotice embeds for an agent's address or a
// message key (not a secret: the Message-ID's HMAC covers it).
func Tag(s string) string {
	h := sha256.Sum256([]byte(strings.ToLower(strings.TrimSpace(s))))
	return hex.EncodeToString(h[:4])
}

// NoticeRef is what a notification's Message-ID names.
type NoticeRef struct {
	Ticket   int64
	AgentTag string // Tag of the agent's primary address
	LastTag  string // Tag of the newest customer-visible message's key then
}

// Notice parses a Message-ID made by NewNotice, checking its HMAC under key.
func Notice(id string, key []byte) (NoticeRef, bool) {
	n, ok := Ticket(id, key)
	if !ok {
		return NoticeRef{}, false
	}
	id = strings.TrimSuffix(strings.TrimPrefix(strings.TrimSpace(id), "<"), ">")
	local, _, _ := strings.Cut(id, "@")
	parts := strings.Split(local, ".")
	// t<N> n <agent> <last> <nonce> <mac>
	if len(parts) != 6 || parts[1] != "n" || len(parts[2]) != 8 || len(parts[3]) != 8 {
		return NoticeRef{}, false
	}
	return NoticeRef{Ticket: n, AgentTag: parts[2], LastTag: parts[3]}, true
}

func sign(key []byte, s string) string {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(s))
	return hex.EncodeToString(m.Sum(nil)[:8])
}
