package tickets

import "context"

// ClientPaymentReport is the payment report on the client's ticket n, for
// the portal: another client's ticket, or a ticket without a report, is
// ErrNotFound. Its Receipt says where the proof's bytes are (for a portal
// report, Ref is the raw store's key of the file itself; for mail, the
// raw message's).
func (s *Service) ClientPaymentReport(ctx context.Context, clientID string, n int64) (*PaymentReport, error) {
	if _, err := s.clientTicket(ctx, clientID, n); err != nil {
		return nil, err
	}
	return s.report(ctx, n)
}
