package agents

import (
	"slices"
	"strings"

	"turno/config"
)

// DepartmentsFromConfig is every department the configuration names: the
// mailboxes', the keys of tickets.priority.departments and of [departments],
// and "soporte" (the development mailbox's), sorted. The daemon and the CLI build
// Options.Departments from it, so both accept the same names.
func DepartmentsFromConfig(cfg config.Config) []string {
	set := map[string]bool{"soporte": true}
	for _, m := range cfg.Mailboxes {
		if d := strings.TrimSpace(m.Department); d != "" {
			set[d] = true
		}
	}
	for d := range cfg.Tickets.Priority.Departments {
		if d = strings.TrimSpace(d); d != "" {
			set[d] = true
		}
	}
	for _, d := range cfg.DepartmentNames() {
		set[d] = true
	}
	out := make([]string, 0, len(set))
	for d := range set {
		out = append(out, d)
	}
	slices.Sort(out)
	return out
}
