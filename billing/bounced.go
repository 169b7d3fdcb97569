package billing

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"turno/mailout"
	"turno/scheduler"
)

// Bounced collection notes.
//
// A note goes to the billing contact when it is not suppressed; if the
// outbox learns afterwards that the address is undeliverable (a 5.x.x reply
// at delivery, or a matched DSN bounce), the next stage goes to the
// principal address (undeliverable.go), but the note that bounced would
// never reach anyone. So the dunning state remembers the last note sent
// (sentNote: its outbox key, stage, recipients and invoices), and each
// collection run, for every client owing money with no new stage due,
// checks it: a suppression of the address it went to (one _id read), and
// then the note's outbox entry (one _id read) to see that the suppression
// is about this note: the recipient failed or was dropped as suppressed,
// or was accepted and then bounced (a suppression from a bounce recorded
// at or after the entry's send). Such a note is re-sent once to the
// client's principal address, listing those of its invoices still unpaid,
// under the key "<note key>:resend:<principal>". Not when the principal
// already had it (it is the bounced address, or was copied), when every
// invoice it listed is paid, or when the client switched collection notes
// off; when the principal is suppressed too the note is held like any note
// without a deliverable address (and re-sent once an address is fixed). A
// client with a new stage due in the same run gets that note instead: it
// lists every unpaid invoice and replaces the watched one. The outcome is
// written on the note (done), so a decided note costs no more reads.

// sentNote is the last collection note sent to a client in an episode.
type sentNote struct {
	Key      string    `bson:"key"` // the outbox idempotency key
	Stage    int       `bson:"stage"`
	To       string    `bson:"to"`       // normalised
	Rcpts    []string  `bson:"rcpts"`    // To and Cc, normalised
	Invoices []string  `bson:"invoices"` // the invoices it listed
	At       time.Time `bson:"at"`
	// Done says why the note needs no more watching ("resent to ADDR",
	// "delivered", "principal had it", "paid", ...); "" while watched.
	Done string `bson:"done,omitempty"`
}

func newSentNote(key string, stage int, to string, cc []string, invs []Invoice, principal string, at time.Time) *sentNote {
	n := &sentNote{Key: key, Stage: stage, To: normAddr(to), At: at.UTC()}
	for _, a := range append([]string{to}, cc...) {
		n.Rcpts = append(n.Rcpts, normAddr(a))
	}
	for _, inv := range invs {
		n.Invoices = append(n.Invoices, inv.ID)
	}
	if slices.Contains(n.Rcpts, normAddr(principal)) {
		n.Done = "principal had it"
	}
	return n
}

func normAddr(a string) string { return strings.ToLower(strings.TrimSpace(a)) }

// resendBounced checks st's last note and re-sends it to the principal
// address if it bounced (see above). owed are the client's unpaid
// invoices; held the run's held notes, one dropped when its note is re-sent.
func (s *Service) resendBounced(ctx context.Context, r scheduler.Run, st dunningState, owed []Invoice, held map[string]heldNote, n counts) error {
	note := st.Note
	if note == nil || note.Done != "" {
		return nil
	}
	sup, suppressed, err := mailout.LookupSuppression(ctx, s.opts.DB, note.To)
	if err != nil || !suppressed {
		return err
	}
	verdict, err := s.noteBounced(ctx, note, sup)
	switch {
	case err != nil:
		return err
	case verdict == "":
		return nil // the outbox is still trying
	case verdict != "bounced":
		return s.noteDone(ctx, r, st.ID, verdict)
	}
	cl, err := s.opts.Clients.Get(ctx, st.ID)
	if err != nil {
		return fmt.Errorf("read client %s: %w", st.ID, err)
	}
	principal := normAddr(cl.Email)
	var still []Invoice
	for _, inv := range owed {
		if slices.Contains(note.Invoices, inv.ID) {
			still = append(still, inv)
		}
	}
	switch {
	case !cl.Mail.CollectionNote:
		return s.noteDone(ctx, r, st.ID, "collection notes switched off")
	case principal == "" || slices.Contains(note.Rcpts, principal):
		return s.noteDone(ctx, r, st.ID, "principal had it")
	case len(still) == 0:
		return s.noteDone(ctx, r, st.ID, "paid")
	}
	psup, psuppressed, err := mailout.LookupSuppression(ctx, s.opts.DB, principal)
	if err != nil {
		return err
	}
	if r.DryRun {
		if psuppressed {
			fmt.Fprintf(r.Out, "client %s: bounced collection note stage %+d held: no deliverable address (see turno billing undeliverable)\n", st.ID, note.Stage)
		} else {
			fmt.Fprintf(r.Out, "client %s: collection note stage %+d bounced at %s, re-sent to %s\n", st.ID, note.Stage, note.To, principal)
		}
		return nil
	}
	if psuppressed {
		// Held like any note no address can receive; watched on, so it
		// goes out once the principal is cleared.
		if err := s.contactSuppressed(ctx, st.ID, note.Stage, "", []mailout.Suppression{sup, psup}, n); !errors.Is(err, errNoteHeld) {
			return err
		}
		return nil
	}
	if err := s.enqueueNote(ctx, note.Key+":resend:"+principal, cl, note.Stage, still, principal, nil); err != nil {
		return err
	}
	n["notes_resent"]++
	s.opts.Logger.Warn("bounced collection note re-sent to the principal address",
		"client", st.ID, "address", note.To, "reason", sup.Reason, "since", sup.CreatedAt, "sent_to", principal, "stage", note.Stage)
	if err := s.noteDone(ctx, r, st.ID, "resent to "+principal); err != nil {
		return err
	}
	if _, ok := held[st.ID]; ok {
		return s.dropHeld(ctx, st.ID)
	}
	return nil
}

// noteBounced reads note's outbox entry and tells whether sup is about it:
// "bounced" when its recipient note.To failed or was dropped as
// suppressed, or was accepted and then bounced (a bounce suppression
// recorded at or after the send); "" while that recipient is pending; else
// why it is not ("delivered", "outbox entry gone").
func (s *Service) noteBounced(ctx context.Context, note *sentNote, sup mailout.Suppression) (string, error) {
	e, err := mailout.Get(ctx, s.opts.DB, mailout.EntryID(note.Key))
	if errors.Is(err, mailout.ErrNotFound) {
		return "outbox entry gone", nil
	}
	if err != nil {
		return "", fmt.Errorf("read collection note %s: %w", note.Key, err)
	}
	for _, rc := range e.Recipients {
		if normAddr(rc.Address) != note.To {
			continue
		}
		switch rc.State {
		case mailout.RcptPending:
			return "", nil
		case mailout.RcptFailed, mailout.RcptSuppressed:
			return "bounced", nil
		case mailout.RcptSent:
			if sup.Source == "bounce" && !e.SentAt.IsZero() && !sup.CreatedAt.Before(e.SentAt) {
				return "bounced", nil
			}
			return "delivered", nil
		}
	}
	return "not a recipient", nil
}

// noteDone records why a client's last note needs no more watching.
func (s *Service) noteDone(ctx context.Context, r scheduler.Run, clientID, why string) error {
	if r.DryRun {
		return nil
	}
	_, err := s.dunning.UpdateOne(ctx, bson.D{{Key: "_id", Value: clientID}}, bson.D{{Key: "$set", Value: bson.D{{Key: "note.done", Value: why}}}})
	if err != nil {
		return fmt.Errorf("record collection note of %s: %w", clientID, err)
	}
	return nil
}
