package mailout

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base32"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// VERP (variable envelope return path). Every delivery goes in its own SMTP
// transaction per recipient, and its envelope sender (MAIL FROM) is
// mail.from_address with a "+" subaddress that names the outbox entry and
// that one recipient, signed with the Message-ID key:
//
//	soporte+b.<entry>.<rcpt>.<mac>@proveedor.cl
//	  entry  12 base32 chars  HMAC(key, "verp-entry", entry id); the _id in outbox_verp
//	  rcpt    4 base32 chars  HMAC(key, "verp-rcpt", address): which recipient
//	  mac    12 base32 chars  HMAC(key, "verp-mac", entry id, address)
//
// A bounce goes to the envelope sender, so a real one is addressed to that
// address (the DSN's To, and the Delivered-To / X-Original-To the receiving
// server adds) or quotes it (Postfix's X-Postfix-Sender). Only the
// recipient the message went to ever sees its token (in Return-Path), so a
// recipient can forge a bounce for nobody but itself.
const (
	// VERPCollection maps an entry tag to its entry's _id: {_id: tag,
	// entry: <outbox _id>}. Written before each delivery attempt, read by
	// _id when a bounce names the tag.
	VERPCollection = "outbox_verp"

	verpMarker   = "+b."
	verpEntryLen = 12
	verpRcptLen  = 4
	verpMACLen   = 12
	// verpLen is what the token adds to the local part: "+b." and the
	// three fields with their dots.
	verpLen = len(verpMarker) + verpEntryLen + 1 + verpRcptLen + 1 + verpMACLen
	// maxLocalPart is RFC 5321's limit on a local part.
	maxLocalPart = 64
	// maxVERPTokens bounds the addresses a bounce may make us look up.
	maxVERPTokens = 8
)

var verpEncoding = base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").WithPadding(base32.NoPadding)

// verpHash is the first n base32 characters of HMAC-SHA256(key) over parts
// joined by NUL bytes.
func verpHash(key []byte, n int, parts ...string) string {
	m := hmac.New(sha256.New, key)
	for i, p := range parts {
		if i > 0 {
			m.Write([]byte{0})
		}
		m.Write([]byte(p))
	}
	return verpEncoding.EncodeToString(m.Sum(nil))[:n]
}

func verpEntryTag(key []byte, entryID string) string {
	return verpHash(key, verpEntryLen, "verp-entry", entryID)
}

func verpRcptTag(key []byte, rcpt string) string {
	return verpHash(key, verpRcptLen, "verp-rcpt", normalizeAddress(rcpt))
}

func verpMAC(key []byte, entryID, rcpt string) string {
	return verpHash(key, verpMACLen, "verp-mac", entryID, normalizeAddress(rcpt))
}

// VERPSender returns the envelope sender for delivering entry entryID to
// rcpt: from with the signed token as a "+" subaddress. ok is false, and
// from is returned unchanged, when from has no room for the token (a local
// part longer than 64 - 33 = 31 characters, or one that already has a
// "+"): bounces of such mail can never prove themselves.
func VERPSender(from string, key []byte, entryID, rcpt string) (addr string, ok bool) {
	local, domain, found := strings.Cut(from, "@")
	if !found || local == "" || domain == "" || len(key) == 0 || strings.Contains(local, "+") ||
		len(local)+verpLen > maxLocalPart || strings.ContainsAny(local, "\"\\ ") {
		return from, false
	}
	return local + verpMarker + verpEntryTag(key, entryID) + "." + verpRcptTag(key, rcpt) + "." +
		verpMAC(key, entryID, rcpt) + "@" + domain, true
}

var verpWarn sync.Once

// verpOn reports whether mail.from_address can carry a VERP token; when it
// cannot, it says so once per process.
func (o *Outbox) verpOn() bool {
	_, ok := VERPSender(o.opts.Mail.FromAddress, o.opts.MessageIDKey, "", "")
	if !ok {
		verpWarn.Do(func() {
			o.log.Warn("mail.from_address cannot carry a VERP token (local part over 31 characters, or with a '+'): no bounce will be matched to a message, only SMTP rejections mark addresses undeliverable",
				"from_address", o.opts.Mail.FromAddress)
		})
	}
	return ok
}

// VERPBase returns addr without a VERP token: the configured
// mail.from_address for an envelope sender Turno made, addr itself for any
// other address.
func VERPBase(addr string) string {
	if _, ok := parseVERP(addr); !ok {
		return addr
	}
	local, domain, _ := strings.Cut(addr, "@")
	return local[:strings.LastIndex(strings.ToLower(local), verpMarker)] + "@" + domain
}

// verpToken is a parsed VERP token; the fields are lower case.
type verpToken struct{ entry, rcpt, mac string }

// parseVERP reads addr ("<...>" or bare, any case) as a VERP address.
// Only the token's shape is checked here; the base address is not, as
// the signature is what proves it.
func parseVERP(addr string) (verpToken, bool) {
	addr = strings.ToLower(strings.Trim(strings.TrimSpace(addr), "<>"))
	local, _, ok := strings.Cut(addr, "@")
	if !ok {
		return verpToken{}, false
	}
	i := strings.LastIndex(local, verpMarker)
	if i <= 0 {
		return verpToken{}, false
	}
	f := strings.Split(local[i+len(verpMarker):], ".")
	if len(f) != 3 || len(f[0]) != verpEntryLen || len(f[1]) != verpRcptLen || len(f[2]) != verpMACLen {
		return verpToken{}, false
	}
	for _, s := range f {
		if strings.Trim(s, "abcdefghijklmnopqrstuvwxyz234567") != "" {
			return verpToken{}, false
		}
	}
	return verpToken{entry: f[0], rcpt: f[1], mac: f[2]}, true
}

type verpDoc struct {
	Tag       string    `bson:"_id"`
	Entry     string    `bson:"entry"`
	CreatedAt time.Time `bson:"created_at"`
}

// rememberVERP records which entry a tag names, before the first
// transaction that carries it. A repeat is an E11000, ignored.
func rememberVERP(ctx context.Context, db *mongo.Database, key []byte, entryID string, now time.Time) error {
	_, err := db.Collection(VERPCollection).InsertOne(ctx, verpDoc{Tag: verpEntryTag(key, entryID), Entry: entryID, CreatedAt: now.UTC()})
	if err != nil && !mongo.IsDuplicateKeyError(err) {
		return fmt.Errorf("record envelope tag of %s: %w", entryID, err)
	}
	return nil
}

// BouncedRecipient is one address a delivery report says failed.
type BouncedRecipient struct {
	Address    string
	Status     string // "5.1.1"; only 5.x.x marks the address undeliverable
	Diagnostic string
}

// Reasons a bounce is refused (BounceVerdict.Reason, the reason label of
// turno_bounces_refused_total).
const (
	RefusedNoVERP       = "no_verp"       // no address of the report carries a VERP token
	RefusedUnknownEntry = "unknown_entry" // the token names no outbox entry
	RefusedBadSignature = "bad_signature" // the token does not verify for the entry and any of its recipients
	RefusedNotRecipient = "not_recipient" // no failed recipient is the one the token was made for
	RefusedNoRecipients = "no_recipients" // the report names no failed recipient
)

// BounceVerdict is what RecordBounce decided.
type BounceVerdict struct {
	// Matched: the report proved that it answers entry Entry's delivery to
	// at least one of its failed recipients.
	Matched bool
	// Reason is why it was refused (one of the Refused* constants), "" when
	// matched.
	Reason string
	// Entry is the outbox entry a verified token names ("" if none).
	Entry string
	// Sensitive: an entry a token names carried a secret (a password or
	// set-password link): the report may quote it, so its raw copy must go.
	Sensitive bool
	// Suppressed are the addresses marked undeliverable (5.x.x and proven).
	Suppressed []string
}

// RecordBounce judges a delivery report: addressed are the addresses it
// was delivered or addressed to or quotes (where a VERP envelope sender
// shows up), bounced its failed recipients. It matches when a VERP token
// among addressed verifies under key for an outbox entry and one recipient
// of it, and that recipient is among bounced; each such recipient with a
// 5.x.x status is marked undeliverable (source "bounce"). Anything else
// changes nothing and says why. Every read is by _id (outbox_verp, then
// outbox); repeating it changes nothing more.
func RecordBounce(ctx context.Context, db *mongo.Database, key []byte, addressed []string, bounced []BouncedRecipient, now time.Time) (BounceVerdict, error) {
	var v BounceVerdict
	proven := map[string]string{} // normalised recipient -> entry id
	reason := RefusedNoVERP
	seen := map[verpToken]bool{}
	for _, a := range addressed {
		t, ok := parseVERP(a)
		if !ok || seen[t] || len(seen) >= maxVERPTokens {
			continue
		}
		seen[t] = true
		e, err := verpEntry(ctx, db, t.entry)
		if err != nil {
			return v, err
		}
		if e == nil {
			reason = worse(reason, RefusedUnknownEntry)
			continue
		}
		v.Sensitive = v.Sensitive || e.Sensitive
		rcpt := ""
		for _, r := range e.Recipients {
			if verpEntryTag(key, e.ID) == t.entry && verpRcptTag(key, r.Address) == t.rcpt &&
				hmac.Equal([]byte(verpMAC(key, e.ID, r.Address)), []byte(t.mac)) {
				rcpt = normalizeAddress(r.Address)
				break
			}
		}
		if rcpt == "" {
			reason = worse(reason, RefusedBadSignature)
			continue
		}
		proven[rcpt] = e.ID
		if v.Entry == "" {
			v.Entry = e.ID
		}
	}
	if len(proven) > 0 {
		reason = RefusedNotRecipient
		if len(bounced) == 0 {
			reason = RefusedNoRecipients
		}
	}
	for _, b := range bounced {
		id, ok := proven[normalizeAddress(b.Address)]
		if !ok {
			continue
		}
		v.Matched, v.Entry, reason = true, id, ""
		if !strings.HasPrefix(b.Status, "5.") {
			continue // a delay or a success report: nothing to suppress
		}
		why := strings.TrimSpace(b.Status + " " + b.Diagnostic)
		if err := MarkUndeliverable(ctx, db, b.Address, "bounce", why, now); err != nil {
			return v, err
		}
		v.Suppressed = append(v.Suppressed, normalizeAddress(b.Address))
	}
	v.Reason = reason
	return v, nil
}

// worse keeps the more telling of two refusal reasons: a token that names
// an entry but does not verify says more than one that names nothing.
func worse(a, b string) string {
	rank := map[string]int{RefusedNoVERP: 0, RefusedUnknownEntry: 1, RefusedBadSignature: 2}
	if rank[b] > rank[a] {
		return b
	}
	return a
}

// verpEntry reads the entry a tag names: outbox_verp by _id, then the
// entry by _id (recipients and the sensitive flag only). nil when either
// is missing.
func verpEntry(ctx context.Context, db *mongo.Database, tag string) (*Entry, error) {
	var d verpDoc
	err := db.Collection(VERPCollection).FindOne(ctx, bson.D{{Key: "_id", Value: tag}}).Decode(&d)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read envelope tag %s: %w", tag, err)
	}
	var e Entry
	err = db.Collection(OutboxCollection).FindOne(ctx, bson.D{{Key: "_id", Value: d.Entry}},
		options.FindOne().SetProjection(bson.D{{Key: "recipients", Value: 1}, {Key: "sensitive", Value: 1}})).Decode(&e)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read bounced outbox entry %s: %w", d.Entry, err)
	}
	return &e, nil
}
