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

func sign(key []byte, s string) string {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(s))
	return hex.EncodeToString(m.Sum(nil)[:8])
}
