package tickets

import "context"

// RecentClientTickets are the client's tickets an agent may see (their
// departments; every one for an admin), newest first, at most limit (0:
// 10), without events: what the console shows beside a ticket. Like
// ClientTickets it reads the client's index document, then each ticket by
// _id, and checks each ticket's client_id (the index is a superset). It
// reads at most maxRecentReads tickets, so a client with many tickets in
// other departments costs a bounded number of _id reads.
func (s *Service) RecentClientTickets(ctx context.Context, a Actor, clientID string, limit int) ([]Ticket, error) {
	if clientID == "" {
		return nil, nil
	}
	if limit <= 0 {
		limit = 10
	}
	nums, err := s.clientTicketNumbers(ctx, clientID)
	if err != nil {
		return nil, err
	}
	var out []Ticket
	for i, n := range nums {
		if len(out) >= limit || i >= maxRecentReads {
			break
		}
		t, err := s.getTicket(ctx, n)
		if err != nil {
			return nil, err
		}
		if t != nil && t.ClientID == clientID && a.Sees(t.Department) {
			t.Events = nil
			out = append(out, *t)
		}
	}
	return out, nil
}

const maxRecentReads = 50
