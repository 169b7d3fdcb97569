package config

import (
	"net/mail"
	"slices"
	"strings"
)

// DepartmentConfig is one [departments.<name>] table: who the agents'
// replies on that department's tickets come from.
//
//	[departments.ventas]
//	address = "ventas@miproveedor.cl"   # replies come From it (and Reply-To)
//	name = "Ventas Mi Proveedor"        # shown as "Ana Rojas — Ventas Mi Proveedor"
//
// A department without a table replies as mail.from_name and
// mail.from_address.
type DepartmentConfig struct {
	// Address is the department's support address. Empty:
	// mail.from_address.
	Address string `toml:"address"`
	// Name is the team's display name. Empty: company.name.
	Name string `toml:"name"`
}

// DepartmentSender is the From of agents' replies on dept's tickets: the
// department's table where it sets them, else mail.from_name and
// mail.from_address. Call it on a loaded Config (derive has filled the
// mail keys).
func (c Config) DepartmentSender(dept string) (name, address string) {
	name, address = c.Mail.FromName, c.Mail.FromAddress
	d, ok := c.Departments[dept]
	if !ok {
		return name, address
	}
	name = c.Company.Name
	if d.Name != "" {
		name = d.Name
	}
	if d.Address != "" {
		address = d.Address
	}
	return name, address
}

// DepartmentNames lists the departments that have a table, sorted.
func (c Config) DepartmentNames() []string {
	out := make([]string, 0, len(c.Departments))
	for k := range c.Departments {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// validateDepartments checks every [departments.<name>] table: a plain
// address (no display name, no line break) and a one-line name.
func (c *Config) validateDepartments(add func(key, format string, args ...any)) {
	for _, dept := range c.DepartmentNames() {
		d := c.Departments[dept]
		p := "departments." + dept + "."
		if strings.TrimSpace(dept) == "" {
			add("departments", "a department needs a name (got %q)", dept)
			continue
		}
		if d.Address != "" {
			a, err := mail.ParseAddress(d.Address)
			if err != nil || a.Address != d.Address || strings.ContainsAny(d.Address, "\r\n") {
				add(p+"address", "must be one plain email address such as ventas@example.cl (got %q)", d.Address)
			}
		}
		if strings.ContainsAny(d.Name, "\r\n\x00") {
			add(p+"name", "must be one line")
		}
	}
}
