package parse

import (
	"fmt"
	"strings"
)

// maxWarnings bounds the warning list so hostile input cannot grow it
// without limit.
const maxWarnings = 50

// warnings collects what Parse had to repair, deduplicated, in order.
type warnings struct {
	list []string
	seen map[string]bool
}

func (w *warnings) addf(format string, args ...any) {
	s := fmt.Sprintf(format, args...)
	if len(s) > 200 {
		s = strings.ToValidUTF8(s[:200], "")
	}
	if w.seen == nil {
		w.seen = map[string]bool{}
	}
	if w.seen[s] || len(w.list) >= maxWarnings {
		return
	}
	w.seen[s] = true
	w.list = append(w.list, s)
}
