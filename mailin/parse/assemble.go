package parse

import "strings"

// finish fills the Message from the top-level header and what the walk
// collected.
func (p *parser) finish() {
	m, h, w := p.msg, p.top, &p.w
	m.MessageID = NormalizeMessageID(h.get("Message-Id"))
	m.Subject = strings.TrimSpace(fixC1(decodeWords(h.get("Subject"), w)))
	m.From = firstAddress(h.get("From"), w, "From")
	m.ReplyTo = firstAddress(h.get("Reply-To"), w, "Reply-To")
	m.To = parseAddressList(h.get("To"), w, "To")
	m.Cc = parseAddressList(h.get("Cc"), w, "Cc")
	m.Date = parseDate(h.get("Date"), w)
	m.InReplyTo = NormalizeMessageID(h.get("In-Reply-To"))
	m.References = messageIDs(h.get("References"))
	m.TicketRef, _ = TicketTag(m.Subject)
	m.AuthResults = authResults(h)

	switch {
	case p.havePlain:
		m.Text, m.Quoted = stripQuotes(p.plain)
	case p.haveHTML:
		text, quoted := htmlToText(p.html)
		m.Text, m.Quoted = stripQuotes(text)
		m.Quoted = joinNonEmpty(m.Quoted, quoted)
	}
	if p.haveHTML {
		m.HTML = sanitizeHTML(p.html)
	}

	m.Kind, m.KindReason = classify(h, p.report, m.From)
	m.Own = isOwn(h, m.From, p.opts.OwnAddresses)
	if m.Kind == KindBounce {
		m.Bounce = p.bounce()
	}
	m.Warnings = w.list
}

func joinNonEmpty(a, b string) string {
	switch {
	case a == "":
		return b
	case b == "":
		return a
	}
	return a + "\n\n" + b
}

// bounce builds the Bounce from the delivery-status part or, failing
// that, from the human-readable text.
func (p *parser) bounce() *Bounce {
	b := &Bounce{OriginalMessageID: p.origHeaderID}
	text := strings.Join(append([]string{p.plain, p.html}, p.bounceTextParts...), "\n")
	if len(p.dsn) > 0 {
		b.Recipients = parseDSN(p.dsn)
	}
	if len(b.Recipients) == 0 {
		own := map[string]bool{}
		for _, a := range p.opts.OwnAddresses {
			own[strings.ToLower(strings.TrimSpace(a))] = true
		}
		for _, a := range append(append([]Address{}, p.msg.To...), p.msg.Cc...) {
			own[strings.ToLower(a.Address)] = true
		}
		b.Recipients = scrapeBounce(text, func(a string) bool { return own[a] || isDaemon(a) })
	}
	b.Addressed = p.addressed(text)
	b.Status = worstStatus(b.Recipients, text)
	if b.OriginalMessageID == "" {
		if m := messageIDLine.FindStringSubmatch(text); m != nil {
			b.OriginalMessageID = NormalizeMessageID(m[1])
		}
	}
	if b.Recipients == nil {
		b.Recipients = []BounceRecipient{}
	}
	return b
}
