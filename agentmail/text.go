package agentmail

import (
	"regexp"
	"strings"

	"turno/tickets"
)

// commands are what a mail's leading command lines ask for.
type commands struct {
	note   bool
	status string // pending or solved, "" unchanged
	assign string // an agent's address
	bad    string // why a command line is unusable
}

func (c commands) empty() bool { return !c.note && c.status == "" && c.assign == "" }

var commandLine = regexp.MustCompile(`^#([\p{L}]+)(?:[ \t]+(.*))?$`)

// parseCommands takes the leading command lines off text (blank lines
// before and between them skipped; the first other line ends them).
func parseCommands(text string) (commands, string) {
	var c commands
	lines := strings.Split(strings.ReplaceAll(text, "\r\n", "\n"), "\n")
	i := 0
	for ; i < len(lines); i++ {
		l := strings.TrimSpace(lines[i])
		if l == "" {
			continue
		}
		sm := commandLine.FindStringSubmatch(l)
		if sm == nil {
			break
		}
		arg := strings.TrimSpace(sm[2])
		switch strings.ToLower(sm[1]) {
		case "nota", "note":
			c.note = true
		case "pendiente", "pending":
			c.status = tickets.StatusPending
		case "resuelto", "solved":
			c.status = tickets.StatusSolved
		case "asignar", "assign":
			arg = strings.Trim(arg, "<>")
			if arg == "" || !strings.Contains(arg, "@") || strings.ContainsAny(arg, " \t") {
				c.bad = "#" + sm[1] + " needs one address"
			}
			c.assign = strings.ToLower(arg)
		default:
			// Not a command (a hashtag, "#123"): the text starts here.
			return c, strings.Join(lines[i:], "\n")
		}
		if arg != "" && !strings.EqualFold(sm[1], "asignar") && !strings.EqualFold(sm[1], "assign") {
			// "#nota El cliente llamó": the rest of the line starts the text.
			return c, strings.Join(append([]string{arg}, lines[i+1:]...), "\n")
		}
	}
	return c, strings.Join(lines[i:], "\n")
}

// mobileSignatures are the one-line signatures mail apps append.
var mobileSignature = regexp.MustCompile(`(?i)^(sent from my .{1,40}|enviado desde mi .{1,40}|sent from (outlook|mail|yahoo mail|gmail)( for .{1,30})?|enviado desde (outlook|correo|yahoo mail|gmail)( para .{1,30})?|get outlook for (ios|android)|obtener outlook para (ios|android)|descargar outlook para (ios|android)|enviado con .{1,40}|sent with .{1,40}|sent via .{1,40}|enviado a través de .{1,40})\.?$`)

// stripSignature removes a trailing mobile or Outlook signature line and
// the agent's own signature (the reply template adds it), then trailing
// blank lines.
func stripSignature(text, own string) string {
	text = strings.TrimRight(strings.ReplaceAll(text, "\r\n", "\n"), " \t\n")
	for range 3 {
		lines := strings.Split(text, "\n")
		last := strings.TrimSpace(lines[len(lines)-1])
		if last == "" || !mobileSignature.MatchString(last) {
			break
		}
		text = strings.TrimRight(strings.Join(lines[:len(lines)-1], "\n"), " \t\n")
	}
	if own = strings.TrimSpace(strings.ReplaceAll(own, "\r\n", "\n")); own != "" {
		if s, ok := strings.CutSuffix(text, own); ok {
			text = strings.TrimRight(s, " \t\n")
		}
	}
	return text
}
