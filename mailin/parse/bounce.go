package parse

import (
	"bufio"
	"bytes"
	"regexp"
	"strings"
)

// parseDSN reads an RFC 3464 message/delivery-status body: one
// per-message block, then one block per recipient.
func parseDSN(b []byte) []BounceRecipient {
	br := bufio.NewReader(bytes.NewReader(normalizeDSN(b)))
	var out []BounceRecipient
	for i := 0; i < 1000; i++ {
		h, _ := readHeader(br, &warnings{})
		if len(h) == 0 {
			if _, err := br.ReadByte(); err != nil {
				break
			}
			br.UnreadByte()
			readLine(br) // skip a stray line
			continue
		}
		h = fixHeader(h, &warnings{})
		addr := afterType(h.get("Final-Recipient"))
		if addr == "" {
			addr = afterType(h.get("Original-Recipient"))
		}
		if addr == "" {
			continue // per-message block
		}
		out = append(out, BounceRecipient{
			Address:    strings.Trim(addr, "<>"),
			Status:     statusCode(h.get("Status")),
			Action:     strings.ToLower(headerWord(h.get("Action"))),
			Diagnostic: afterType(h.get("Diagnostic-Code")),
		})
	}
	return out
}

// normalizeDSN makes blank-looking lines (spaces only) real separators.
func normalizeDSN(b []byte) []byte {
	lines := bytes.Split(bytes.ReplaceAll(b, []byte("\r\n"), []byte("\n")), []byte("\n"))
	for i, l := range lines {
		if len(bytes.TrimSpace(l)) == 0 {
			lines[i] = nil
		}
	}
	return bytes.Join(lines, []byte("\n"))
}

// afterType strips an "rfc822;" / "smtp;" type prefix.
func afterType(v string) string {
	if _, after, ok := strings.Cut(v, ";"); ok {
		return strings.TrimSpace(after)
	}
	return strings.TrimSpace(v)
}

var (
	statusRe = regexp.MustCompile(`\b([245])\.(\d{1,3})\.(\d{1,3})\b`)
	emailRe  = regexp.MustCompile(`[A-Za-z0-9._%+'=-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+`)
)

func statusCode(v string) string {
	return statusRe.FindString(v)
}

// worstStatus: the first permanent (5.x.x) code, else the first code.
func worstStatus(rs []BounceRecipient, text string) string {
	first := ""
	for _, r := range rs {
		if strings.HasPrefix(r.Status, "5") {
			return r.Status
		}
		if first == "" {
			first = r.Status
		}
	}
	if first != "" {
		return first
	}
	for _, c := range statusRe.FindAllString(text, -1) {
		if strings.HasPrefix(c, "5") {
			return c
		}
		if first == "" {
			first = c
		}
	}
	return first
}

// scrapeBounce finds failed recipients in a non-RFC 3464 bounce: an
// address on a line that has, or is followed within two lines by, an SMTP
// status code (Postfix "<a@b>: host ... said: 550 5.1.1 ...", Exchange
// "a@b ... Remote Server returned '550 5.1.1 ...'").
func scrapeBounce(text string, skip func(string) bool) []BounceRecipient {
	lines := strings.Split(text, "\n")
	var out []BounceRecipient
	seen := map[string]bool{}
	for i, l := range lines {
		if strings.HasPrefix(strings.TrimSpace(l), ">") || strings.HasPrefix(strings.ToLower(strings.TrimSpace(l)), "message-id") {
			continue
		}
		for _, a := range emailRe.FindAllString(l, -1) {
			la := strings.ToLower(a)
			if seen[la] || skip(la) {
				continue
			}
			window := strings.Join(lines[i:min(len(lines), i+3)], " ")
			code := statusRe.FindString(window)
			if code == "" {
				continue
			}
			seen[la] = true
			diag := strings.TrimSpace(window)
			if len(diag) > 300 {
				diag = strings.ToValidUTF8(diag[:300], "")
			}
			out = append(out, BounceRecipient{Address: a, Status: code, Action: "failed", Diagnostic: diag})
		}
	}
	return out
}

var messageIDLine = regexp.MustCompile(`(?im)^\s*message-id:\s*(<[^>\s]+>)`)

// maxAddressed bounds Bounce.Addressed.
const maxAddressed = 16

// addressed collects Bounce.Addressed: the delivery headers the receiving
// server adds and the report's To, then subaddressed addresses quoted in
// the delivery-status part (Postfix's X-Postfix-Sender) and in text.
func (p *parser) addressed(text string) []string {
	var out []string
	seen := map[string]bool{}
	add := func(a string) {
		a = strings.Trim(strings.TrimSpace(a), "<>")
		if la := strings.ToLower(a); a != "" && !seen[la] && len(out) < maxAddressed {
			seen[la] = true
			out = append(out, a)
		}
	}
	for _, f := range p.top {
		switch f.key {
		case "Delivered-To", "X-Original-To", "Envelope-To":
			for _, a := range emailRe.FindAllString(f.value, maxAddressed) {
				add(a)
			}
		}
	}
	for _, a := range p.msg.To {
		add(a.Address)
	}
	for _, src := range []string{string(p.dsn), text} {
		for _, a := range emailRe.FindAllString(src, -1) {
			if local, _, _ := strings.Cut(a, "@"); strings.Contains(local, "+") {
				add(a)
			}
		}
	}
	return out
}
