package clients

import "context"

// LinkContact registers addr as a technical contact of client id: an agent
// checked the proof an unverified sender gave (the regain-access
// procedure). Audited as done by `by`. Linking twice changes nothing.
func (r *Registry) LinkContact(ctx context.Context, id, addr, name, by string) error {
	return r.AddContact(ctx, id, Contact{Address: addr, Name: name, Role: RoleTechnical}, by)
}
