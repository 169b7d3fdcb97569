package parse

import "strings"

// unflow undoes RFC 3676 format=flowed: a line ending in a space is
// joined with the next line of the same quote depth; space-stuffing is
// removed; with delSp the joining space itself is deleted. The
// signature separator "-- " is never joined.
func unflow(s string, delSp bool) string {
	lines := strings.Split(s, "\n")
	var out []string
	var cur strings.Builder
	curDepth := -1
	open := false
	for _, raw := range lines {
		depth := 0
		for depth < len(raw) && raw[depth] == '>' {
			depth++
		}
		line := raw[depth:]
		if strings.HasPrefix(line, " ") {
			line = line[1:] // space-stuffing (or the space after '>')
		}
		if open && (depth != curDepth || line == "-- ") {
			out = append(out, quotePrefix(curDepth)+cur.String())
			cur.Reset()
			open = false
		}
		flowed := strings.HasSuffix(line, " ") && line != "-- "
		if flowed && delSp {
			line = line[:len(line)-1]
		}
		cur.WriteString(line)
		curDepth = depth
		if flowed {
			open = true
			continue
		}
		out = append(out, quotePrefix(depth)+cur.String())
		cur.Reset()
		open = false
	}
	if open {
		out = append(out, quotePrefix(curDepth)+cur.String())
	}
	return strings.Join(out, "\n")
}

func quotePrefix(depth int) string {
	if depth <= 0 {
		return ""
	}
	return strings.Repeat(">", depth) + " "
}
