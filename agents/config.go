package agents

import (
	"slices"

	"turno/config"
)

// DepartmentsFromConfig is every department the configuration names: the
// mailboxes', the priority offsets' and "soporte", sorted.
func DepartmentsFromConfig(cfg config.Config) []string {
	set := map[string]bool{"soporte": true}
	for _, m := range cfg.Mailboxes {
		if m.Department != "" {
			set[m.Department] = true
		}
	}
	for d := range cfg.Tickets.Priority.Departments {
		set[d] = true
	}
	out := make([]string, 0, len(set))
	for d := range set {
		out = append(out, d)
	}
	slices.Sort(out)
	return out
}
