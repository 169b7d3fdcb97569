package parse

import (
	"regexp"
	"strings"
)

var (
	// attribution: "On Mon, 3 Mar 2025 at 10:15, Ana <a@b.cl> wrote:",
	// "El lun, 3 mar 2025 a las 10:15, Ana (<a@b.cl>) escribió:".
	attribution     = regexp.MustCompile(`(?i)^\s*(on|el)\s.*\b(wrote|escribi[óo]|ha escrito)\s*:\s*$`)
	attributionHead = regexp.MustCompile(`(?i)^\s*(on|el)\s+\S`)
	attributionTail = regexp.MustCompile(`(?i)\b(wrote|escribi[óo]|ha escrito)\s*:\s*$`)
	// originalMessage: Outlook and Thunderbird separators.
	originalMessage = regexp.MustCompile(`(?i)^\s*-{2,}\s*(original message|mensaje original|respuesta original)\s*-{2,}\s*$`)
	// headerLine: first line of an Outlook header block.
	headerLine = regexp.MustCompile(`(?i)^\s*\*?(from|de)\s*:\s*\*?\s*\S`)
	headerNext = regexp.MustCompile(`(?i)^\s*\*?(sent|enviado|date|fecha|to|para|subject|asunto|cc)\s*:`)
	underscore = regexp.MustCompile(`^\s*_{10,}\s*$`)
	// forwardLine: a forwarded message follows; it is content, not history.
	forwardLine = regexp.MustCompile(`(?i)^\s*(-{2,}\s*(forwarded message|mensaje reenviado)\s*-{2,}|begin forwarded message:|inicio del mensaje reenviado:)\s*$`)
	// bounceCopy: qmail's separator before the returned message.
	bounceCopy = regexp.MustCompile(`(?i)^\s*-{2,}\s*below this line is a copy of the message`)
)

// stripQuotes splits plain ticket text into the customer's own words and
// the quoted history (and signature) that follows. It cuts at the first
// marker: an attribution line (possibly wrapped over two lines), an
// Outlook header block (From:/De: followed by Sent:/Enviado:/To:/Para:/
// Subject:/Asunto: lines, with its underscore rule), an "Original
// Message" separator, a trailing block of '>' lines, or a "-- "
// signature line. '>' lines followed by more of the customer's own text
// are kept (inline replies). If nothing would be left, nothing is cut.
func stripQuotes(s string) (text, quoted string) {
	lines := strings.Split(s, "\n")
	cut := quoteCut(lines)
	if cut < 0 {
		return strings.TrimSpace(s), ""
	}
	text = tidyText(strings.Join(lines[:cut], "\n"))
	if strings.TrimSpace(text) == "" {
		return tidyText(s), ""
	}
	return text, tidyText(strings.Join(lines[cut:], "\n"))
}

func quoteCut(lines []string) int {
	for i, l := range lines {
		t := strings.TrimRight(l, " \t")
		switch {
		case forwardLine.MatchString(t):
			return -1
		case t == "--" || l == "-- ":
			return i
		case bounceCopy.MatchString(t):
			return i
		case originalMessage.MatchString(t):
			return i
		case attribution.MatchString(t):
			return i
		case attributionHead.MatchString(t) && i+1 < len(lines) && attributionTail.MatchString(lines[i+1]) &&
			len(t) < 200:
			return i
		case headerLine.MatchString(t) && outlookBlock(lines[i+1:]):
			// Include the underscore rule (and blanks) just above.
			j := i
			for j > 0 && (strings.TrimSpace(lines[j-1]) == "" || underscore.MatchString(lines[j-1])) {
				j--
			}
			if j < i && !hasUnderscore(lines[j:i]) {
				j = i
			}
			return j
		case strings.HasPrefix(t, ">") && quoteTail(lines[i:]):
			return i
		}
	}
	return -1
}

func hasUnderscore(lines []string) bool {
	for _, l := range lines {
		if underscore.MatchString(l) {
			return true
		}
	}
	return false
}

// outlookBlock: within the next lines, at least two more header lines
// before the first blank line after them.
func outlookBlock(next []string) bool {
	n := 0
	for _, l := range next[:min(len(next), 8)] {
		if headerNext.MatchString(l) {
			n++
			continue
		}
		if strings.TrimSpace(l) == "" && n > 0 {
			break
		}
	}
	return n >= 2
}

// quoteTail: from here on only '>' lines, blank lines and possibly a
// signature remain.
func quoteTail(lines []string) bool {
	for _, l := range lines {
		t := strings.TrimRight(l, " \t")
		if t == "--" || l == "-- " {
			return true
		}
		if t != "" && !strings.HasPrefix(t, ">") {
			return false
		}
	}
	return true
}
