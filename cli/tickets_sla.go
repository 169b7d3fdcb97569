package cli

import (
	"fmt"
	"io"
	"strings"

	"turno/tickets"
)

// Service levels in the ticket views: the queue's DUE column and the due
// lines of tickets show (the JSON carries the fields themselves).

// dueColumn is a queue row's DUE: OVERDUE, else the next due time not yet
// met (first response, then resolution), "-" when there is none (no
// targets, or the ticket is solved or waits on the customer).
func (e *env) dueColumn(t tickets.Ticket) string {
	if t.Overdue {
		return "OVERDUE"
	}
	if t.Status == tickets.StatusSolved || t.Status == tickets.StatusClosed {
		return "-"
	}
	if t.FirstResponseAt.IsZero() && !t.FirstResponseDue.IsZero() {
		return e.when(t.FirstResponseDue)
	}
	return e.when(t.ResolutionDue)
}

// printDue prints a ticket's service levels: when each target is (or
// was) due, met or not, and its breaches. Nothing for a ticket without
// due times.
func (e *env) printDue(w io.Writer, t *tickets.Ticket) {
	if t.FirstResponseDue.IsZero() && t.ResolutionDue.IsZero() && t.FirstResponseAt.IsZero() {
		return
	}
	first := "due " + e.when(t.FirstResponseDue)
	if !t.FirstResponseAt.IsZero() {
		first += ", answered " + e.when(t.FirstResponseAt)
	} else if breached(t, tickets.TargetFirstResponse) {
		first += ", missed"
	}
	var res string
	switch {
	case t.Status == tickets.StatusSolved || t.Status == tickets.StatusClosed:
		res = "met (" + t.Status + ")"
	case t.ResolutionDue.IsZero():
		res = "paused while the ticket waits on the customer"
	default:
		res = "due " + e.when(t.ResolutionDue)
		if breached(t, tickets.TargetResolution) {
			res += ", missed"
		}
	}
	fmt.Fprintf(w, "First response %s · resolution %s", first, res)
	if t.Overdue {
		fmt.Fprint(w, " · OVERDUE")
	}
	fmt.Fprintln(w)
}

func breached(t *tickets.Ticket, target string) bool {
	for _, b := range t.SLABreached {
		if strings.EqualFold(b, target) {
			return true
		}
	}
	return false
}
