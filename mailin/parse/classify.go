package parse

import "strings"

// classify decides Kind from headers and structure only (never from the
// subject or body). Order: bounce > auto_reply > bulk > normal.
func classify(h header, report bool, from *Address) (Kind, string) {
	if report {
		return KindBounce, "Content-Type: multipart/report; report-type=delivery-status"
	}
	if from != nil && isDaemon(from.Address) {
		rp := h.get("Return-Path")
		sender := h.get("Sender")
		if returnPathEmpty(rp) || isDaemon(NormalizeMessageID(rp)) || (sender != "" && isDaemon(NormalizeMessageID(sender))) {
			return KindBounce, "From: " + localPart(from.Address)
		}
	}
	if v := strings.ToLower(headerWord(h.get("Auto-Submitted"))); v != "" && v != "no" {
		return KindAutoReply, "Auto-Submitted: " + v
	}
	for _, k := range []string{"X-Autoreply", "X-Autorespond", "X-Auto-Response-Suppress"} {
		if h.has(k) {
			return KindAutoReply, k
		}
	}
	switch p := strings.ToLower(headerWord(h.get("Precedence"))); p {
	case "auto_reply":
		return KindAutoReply, "Precedence: " + p
	case "bulk", "list", "junk":
		return KindBulk, "Precedence: " + p
	}
	for _, k := range []string{"List-Id", "List-Unsubscribe"} {
		if h.has(k) {
			return KindBulk, k
		}
	}
	return KindNormal, ""
}

// headerWord is the first token of a value: "auto-replied; owner=x" → "auto-replied".
func headerWord(v string) string {
	v, _, _ = strings.Cut(v, ";")
	v, _, _ = strings.Cut(strings.TrimSpace(v), "(")
	return strings.TrimSpace(v)
}

// returnPathEmpty: absent, "<>" or blank.
func returnPathEmpty(v string) bool {
	v = strings.TrimSpace(v)
	return v == "" || strings.ReplaceAll(v, " ", "") == "<>"
}

func localPart(addr string) string {
	l, _, _ := strings.Cut(addr, "@")
	return l
}

func isDaemon(addr string) bool {
	switch strings.ToLower(localPart(strings.TrimSpace(addr))) {
	case "mailer-daemon", "postmaster", "mailer_daemon", "mail-daemon":
		return true
	}
	return false
}

// isOwn: carries LoopHeader or is from one of our addresses.
func isOwn(h header, from *Address, own []string) bool {
	if h.has(LoopHeader) {
		return true
	}
	if from == nil {
		return false
	}
	for _, a := range own {
		if strings.EqualFold(strings.TrimSpace(a), from.Address) {
			return true
		}
	}
	return false
}
