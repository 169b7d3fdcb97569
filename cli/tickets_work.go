package cli

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"turno/mailout"
	"turno/replies"
	"turno/tickets"
)

// The commands that change a ticket: reply, note, assign, unassign,
// status, priority, move, merge, link. Each is one call into
// tickets.Service as the acting agent; the rules live there.

// ticketStdin is where reply and note read text from, and whether it is a
// terminal (a terminal is read only when asked with "-"). Tests replace it.
var ticketStdin = func() (io.Reader, bool) {
	fi, err := os.Stdin.Stat()
	return os.Stdin, err != nil || fi.Mode()&os.ModeCharDevice != 0
}

// textFlags are the text sources of reply and note.
type textFlags struct {
	file string
	key  string
}

func (f *textFlags) add(cmd *cobra.Command, what, once string) {
	cmd.Flags().StringVarP(&f.file, "file", "f", "", "read the "+what+" from this file (- for stdin)")
	cmd.Flags().StringVar(&f.key, "key", "", "idempotency key: the same key "+once+" (default: a new one, printed on stderr)")
}

// read returns the text: from --file, from stdin with "-" (as --file or
// as the argument after N), or from stdin when nothing else gives text and
// stdin is not a terminal.
func (f *textFlags) read(args []string, orStdin bool) (string, error) {
	dash := len(args) > 1
	if len(args) > 1 && args[1] != "-" {
		return "", fmt.Errorf("unexpected argument %q: the text comes from --file F, or - for stdin", args[1])
	}
	if dash && f.file != "" {
		return "", errors.New("give --file or -, not both")
	}
	var r io.Reader
	switch {
	case dash || f.file == "-":
		r, _ = ticketStdin()
	case f.file != "":
		b, err := os.ReadFile(f.file)
		if err != nil {
			return "", fmt.Errorf("--file: %w", err)
		}
		return string(b), nil
	case orStdin:
		in, tty := ticketStdin()
		if tty {
			return "", nil
		}
		r = in
	default:
		return "", nil
	}
	b, err := io.ReadAll(r)
	if err != nil {
		return "", fmt.Errorf("read stdin: %w", err)
	}
	return string(b), nil
}

// idemKey is --key, or a new key announced on stderr so a retry can reuse it.
func (t *ticketCmds) idemKey(k string) (string, error) {
	if k = strings.TrimSpace(k); k != "" {
		return k, nil
	}
	var b [12]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", err
	}
	k = "cli-" + hex.EncodeToString(b[:])
	fmt.Fprintf(t.e.stderr, "idempotency key: %s; repeat with --key %s to retry safely\n", k, k)
	return k, nil
}

func (t *ticketCmds) replyCmd() *cobra.Command {
	var tf textFlags
	var saved, status string
	var attach []string
	var cc, force, asJSON bool
	cmd := &cobra.Command{
		Use:   "reply N [-]",
		Short: "Answer a ticket's requester by mail",
		Long: `Answer ticket N's requester: the reply is mailed through the outbox (turno
serve delivers it) from the department's address with the agent's name,
and stored on the ticket.

The text comes from --file F, from stdin with - (or --file -), or from
stdin when no file is given and stdin is not a terminal. --saved NAME adds
a saved reply (after the text, if both are given) in the ticket's
language with its placeholders filled.

The reply answers the newest message the customer can see as this command
reads the ticket just before replying. If another customer message or
another agent's reply arrived in between, nothing is sent: the command
prints what is new and exits non-zero; read it ("turno tickets show N"),
or repeat with --force to send anyway.

Every reply has an idempotency key: --key K, or a new one printed on
stderr. Repeating the command with the same key never sends twice.

After the reply the ticket is open, or what --status says.`,
		Args: cobra.RangeArgs(1, 2),
		RunE: func(c *cobra.Command, args []string) error {
			n, err := ticketNumber(args[0])
			if err != nil {
				return err
			}
			switch status {
			case "", tickets.StatusOpen, tickets.StatusPending, tickets.StatusSolved:
			default:
				return fmt.Errorf("--status must be open, pending or solved (got %q)", status)
			}
			text, err := tf.read(args, saved == "")
			if err != nil {
				return err
			}
			if strings.TrimSpace(text) == "" && saved == "" {
				return errors.New("no reply text: give --file F, - to read stdin, or --saved NAME")
			}
			atts, err := readAttachments(attach)
			if err != nil {
				return err
			}
			return t.with(c, true, func(ctx context.Context, w *work) error {
				th, err := w.Tickets.Get(ctx, w.actor, n)
				if err != nil {
					return workError(n, err, nil)
				}
				if saved != "" {
					s, err := w.Replies.Get(ctx, saved)
					if errors.Is(err, replies.ErrNotFound) {
						return fmt.Errorf("--saved: no saved reply %q (see turno replies list)", saved)
					}
					if err != nil {
						return fmt.Errorf("--saved: %w", err)
					}
					st := s.Text(threadLang(th), replies.Vars{RequesterName: th.Ticket.Requester.Name,
						TicketNumber: n, AgentName: w.actor.Name})
					if strings.TrimSpace(text) != "" {
						text = strings.TrimRight(text, "\n") + "\n\n" + st
					} else {
						text = st
					}
				}
				key, err := t.idemKey(tf.key)
				if err != nil {
					return err
				}
				in := tickets.ReplyInput{Key: key, Answers: answered(th),
					Text: text, CcOthers: cc, Attachments: atts, Status: status, Force: force}
				res, err := w.Tickets.Reply(ctx, w.actor, n, in)
				if errors.Is(err, tickets.ErrKeyReused) && tf.key != "" {
					res, err = retryAnswers(ctx, w, n, th, in)
				}
				var conflict *tickets.ConflictError
				if errors.As(err, &conflict) {
					t.printConflict(conflict)
					return fmt.Errorf("ticket %d: reply not sent: %d newer message(s) since the one you answered; read them with \"turno tickets show %d\", or repeat with --force to send anyway",
						n, len(conflict.Newer), n)
				}
				if err != nil {
					return workError(n, err, map[string]string{"text": "the reply text", "status": "--status",
						"key": "--key", "answers": "the answered message", "attachments": "--attach"})
				}
				return t.e.emit(asJSON, res, func(out io.Writer) error {
					if res.Replayed {
						fmt.Fprintf(out, "Already sent with key %s: nothing sent again.\n", key)
					} else {
						fmt.Fprintf(out, "Reply sent on ticket #%d (outbox entry %s).\n", n, res.Message.OutboxID)
					}
					fmt.Fprintln(out, ticketLine(&res.Ticket))
					return nil
				})
			})
		},
	}
	tf.add(cmd, "reply text", "never sends twice")
	fl := cmd.Flags()
	fl.StringVar(&saved, "saved", "", "add this saved reply (turno replies list), in the ticket's language")
	fl.StringArrayVar(&attach, "attach", nil, "attach this file (repeatable)")
	fl.StringVar(&status, "status", "", "the ticket's status after the reply: open (default), pending or solved")
	fl.BoolVar(&cc, "cc", false, "copy the other recipients of the answered message")
	fl.BoolVar(&force, "force", false, "send even if newer messages arrived since the one answered")
	jsonFlag(cmd, &asJSON)
	return cmd
}

// retryAnswers repeats a reply whose key was refused as reused for
// another request. The reply's request includes the message it answered,
// and a retry after the first attempt reached the ticket reads a newer one
// (that very reply): so it is tried again with what each of the agent's
// replies on the ticket answered, newest first. Only the identical request
// matches the key (a replay, or the remaining steps of an interrupted
// one); every other attempt is refused again and changes nothing.
func retryAnswers(ctx context.Context, w *work, n int64, th *tickets.Thread, in tickets.ReplyInput) (*tickets.ReplyResult, error) {
	tried := map[string]bool{in.Answers: true}
	for i := len(th.Messages) - 1; i >= 0 && len(tried) <= 10; i-- {
		m := th.Messages[i]
		if m.Direction != tickets.DirReply || m.Agent != w.actor.Email || tried[m.Answers] {
			continue
		}
		tried[m.Answers] = true
		in.Answers = m.Answers
		res, err := w.Tickets.Reply(ctx, w.actor, n, in)
		if !errors.Is(err, tickets.ErrKeyReused) {
			return res, err
		}
	}
	return nil, tickets.ErrKeyReused
}

// answered is the message a reply answers: the newest one the customer
// can see, as the ticket reads now.
func answered(th *tickets.Thread) string {
	if lp := th.Ticket.LastPublic; lp != nil && lp.Key != "" {
		return lp.Key
	}
	for i := len(th.Messages) - 1; i >= 0; i-- {
		if th.Messages[i].Direction != tickets.DirNote {
			return th.Messages[i].Key
		}
	}
	return ""
}

// threadLang is the ticket's language: that of its newest customer
// message that has one, else Spanish.
func threadLang(th *tickets.Thread) string {
	for i := len(th.Messages) - 1; i >= 0; i-- {
		if m := th.Messages[i]; m.Direction == tickets.DirIn && m.Lang != "" {
			return m.Lang
		}
	}
	return "es"
}

// printConflict tells the agent what arrived since the message they
// answered: who, when, and the first lines.
func (t *ticketCmds) printConflict(ce *tickets.ConflictError) {
	w := t.e.stderr
	fmt.Fprintf(w, "Ticket #%d changed since the message you answered; new:\n", ce.Ticket)
	for _, m := range ce.Newer {
		who := m.From.Address
		if m.Direction == tickets.DirReply {
			who = "agent " + m.Agent
			if m.AgentName != "" {
				who = "agent " + m.AgentName + " <" + m.Agent + ">"
			}
		} else if m.From.Name != "" {
			who = m.From.Name + " <" + m.From.Address + ">"
		}
		fmt.Fprintf(w, "\n  %s  %s  (%s)\n", t.e.when(m.ArrivedAt), who, m.Key)
		for _, l := range firstLines(m.Text, 3) {
			fmt.Fprintf(w, "  | %s\n", l)
		}
	}
	fmt.Fprintln(w)
}

// firstLines returns up to n non-blank lines of s, each cut to 100 runes.
func firstLines(s string, n int) []string {
	var out []string
	for l := range strings.SplitSeq(s, "\n") {
		if l = strings.TrimSpace(l); l == "" {
			continue
		}
		if len(out) == n {
			out = append(out, "…")
			break
		}
		out = append(out, oneLine(l, 100))
	}
	return out
}

// readAttachments reads --attach files before anything is written.
func readAttachments(paths []string) ([]mailout.Attachment, error) {
	var atts []mailout.Attachment
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			return nil, fmt.Errorf("--attach: %w", err)
		}
		ct := mime.TypeByExtension(filepath.Ext(p))
		if ct == "" {
			ct = http.DetectContentType(b)
		}
		atts = append(atts, mailout.Attachment{Filename: filepath.Base(p), ContentType: ct, Data: b})
	}
	return atts, nil
}

func (t *ticketCmds) noteCmd() *cobra.Command {
	var tf textFlags
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "note N [-]",
		Short: "Add an internal note to a ticket (never mailed)",
		Long: `Add an internal note to ticket N: agents see it, the customer never does.
The text comes from --file F, from stdin with - (or --file -), or from
stdin when no file is given and stdin is not a terminal. --key (default a
new one, printed on stderr) makes a repeated command add the note once.`,
		Args: cobra.RangeArgs(1, 2),
		RunE: func(c *cobra.Command, args []string) error {
			n, err := ticketNumber(args[0])
			if err != nil {
				return err
			}
			text, err := tf.read(args, true)
			if err != nil {
				return err
			}
			if strings.TrimSpace(text) == "" {
				return errors.New("no note text: give --file F, or - to read stdin")
			}
			return t.with(c, false, func(ctx context.Context, w *work) error {
				key, err := t.idemKey(tf.key)
				if err != nil {
					return err
				}
				res, err := w.Tickets.Note(ctx, w.actor, n, tickets.NoteInput{Key: key, Text: text})
				if err != nil {
					return workError(n, err, map[string]string{"text": "the note text", "key": "--key"})
				}
				return t.e.emit(asJSON, res, func(out io.Writer) error {
					if res.Replayed {
						fmt.Fprintf(out, "Already noted with key %s: nothing added again.\n", key)
					} else {
						fmt.Fprintf(out, "Note added to ticket #%d.\n", n)
					}
					return nil
				})
			})
		},
	}
	tf.add(cmd, "note text", "never adds the note twice")
	jsonFlag(cmd, &asJSON)
	return cmd
}

// change runs one ticket change and prints the resulting ticket (--json:
// the ticket as a JSON document).
func (t *ticketCmds) change(c *cobra.Command, n int64, asJSON bool, fields map[string]string,
	fn func(ctx context.Context, w *work) (*tickets.Ticket, error)) error {
	return t.with(c, false, func(ctx context.Context, w *work) error {
		tk, err := fn(ctx, w)
		if err != nil {
			return workError(n, err, fields)
		}
		return t.e.emit(asJSON, tk, func(out io.Writer) error {
			_, err := fmt.Fprintln(out, ticketLine(tk))
			return err
		})
	})
}

func (t *ticketCmds) assignCmd() *cobra.Command {
	var me, asJSON bool
	cmd := &cobra.Command{
		Use:   "assign N AGENT|--me",
		Short: "Assign a ticket to an agent of its department (--me: take it)",
		Args:  cobra.RangeArgs(1, 2),
		RunE: func(c *cobra.Command, args []string) error {
			n, err := ticketNumber(args[0])
			if err != nil {
				return err
			}
			if me == (len(args) == 2) {
				return errors.New("give the agent's address or --me (one of them)")
			}
			return t.change(c, n, asJSON, map[string]string{"assignee": "AGENT"}, func(ctx context.Context, w *work) (*tickets.Ticket, error) {
				who := w.actor.Email
				if !me {
					who = args[1]
				}
				tk, err := w.Tickets.Assign(ctx, w.actor, n, who)
				if errors.Is(err, tickets.ErrNoAgent) {
					return nil, fmt.Errorf("AGENT: no active agent %q", who)
				}
				return tk, err
			})
		},
	}
	cmd.Flags().BoolVar(&me, "me", false, "assign the ticket to the acting agent")
	jsonFlag(cmd, &asJSON)
	return cmd
}

func (t *ticketCmds) unassignCmd() *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "unassign N",
		Short: "Leave a ticket assigned to no one",
		Args:  cobra.ExactArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			n, err := ticketNumber(args[0])
			if err != nil {
				return err
			}
			return t.change(c, n, asJSON, nil, func(ctx context.Context, w *work) (*tickets.Ticket, error) {
				return w.Tickets.Assign(ctx, w.actor, n, "")
			})
		},
	}
	jsonFlag(cmd, &asJSON)
	return cmd
}

func (t *ticketCmds) statusCmd() *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "status N STATUS",
		Short: "Set a ticket's status: " + strings.Join(tickets.Statuses, ", "),
		Args:  cobra.ExactArgs(2),
		RunE: func(c *cobra.Command, args []string) error {
			n, err := ticketNumber(args[0])
			if err != nil {
				return err
			}
			if !validStatus(args[1]) {
				return fmt.Errorf("STATUS must be one of %s (got %q)", strings.Join(tickets.Statuses, ", "), args[1])
			}
			return t.change(c, n, asJSON, map[string]string{"status": "STATUS"}, func(ctx context.Context, w *work) (*tickets.Ticket, error) {
				return w.Tickets.SetStatus(ctx, w.actor, n, args[1])
			})
		},
	}
	jsonFlag(cmd, &asJSON)
	return cmd
}

func (t *ticketCmds) priorityCmd() *cobra.Command {
	var clear, asJSON bool
	cmd := &cobra.Command{
		Use:   "priority N LABEL|--clear",
		Short: "Override a ticket's priority label (high, medium, low) until cleared",
		Long: `Set ticket N's priority label by hand (high, medium or low): the queue
order follows it until --clear restores the computed priority.`,
		Args: cobra.RangeArgs(1, 2),
		RunE: func(c *cobra.Command, args []string) error {
			n, err := ticketNumber(args[0])
			if err != nil {
				return err
			}
			if clear == (len(args) == 2) {
				return errors.New("give a LABEL (high, medium or low) or --clear (one of them)")
			}
			label := ""
			if !clear {
				if label = args[1]; label == "" || !validLabel(label) {
					return fmt.Errorf("LABEL must be high, medium or low (got %q)", label)
				}
			}
			return t.change(c, n, asJSON, map[string]string{"label": "LABEL"}, func(ctx context.Context, w *work) (*tickets.Ticket, error) {
				return w.Tickets.SetPriority(ctx, w.actor, n, label)
			})
		},
	}
	cmd.Flags().BoolVar(&clear, "clear", false, "drop the override: back to the computed priority")
	jsonFlag(cmd, &asJSON)
	return cmd
}

func (t *ticketCmds) moveCmd() *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "move N DEPARTMENT",
		Short: "Move a ticket to another department (its priority is recomputed)",
		Args:  cobra.ExactArgs(2),
		RunE: func(c *cobra.Command, args []string) error {
			n, err := ticketNumber(args[0])
			if err != nil {
				return err
			}
			return t.change(c, n, asJSON, map[string]string{"department": "DEPARTMENT"}, func(ctx context.Context, w *work) (*tickets.Ticket, error) {
				return w.Tickets.Move(ctx, w.actor, n, args[1])
			})
		},
	}
	jsonFlag(cmd, &asJSON)
	return cmd
}

func (t *ticketCmds) mergeCmd() *cobra.Command {
	var into string
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "merge B --into A",
		Short: "Merge ticket B into ticket A",
		Long: `Merge ticket B into ticket A: B's messages and history appear on A, B is
closed as merged into A, and later mail that would have joined B joins A.
Prints ticket A.`,
		Args: cobra.ExactArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			from, err := ticketNumber(args[0])
			if err != nil {
				return err
			}
			if into == "" {
				return errors.New("--into A is required: the ticket that B joins")
			}
			to, err := ticketNumber(into)
			if err != nil {
				return fmt.Errorf("--into: %w", err)
			}
			if to == from {
				return errors.New("--into: a ticket cannot be merged into itself")
			}
			return t.with(c, false, func(ctx context.Context, w *work) error {
				for _, n := range []int64{from, to} { // name the missing one
					if _, err := w.Tickets.Get(ctx, w.actor, n); err != nil {
						return workError(n, err, nil)
					}
				}
				tk, err := w.Tickets.Merge(ctx, w.actor, from, to)
				if err != nil {
					return workError(from, err, map[string]string{"into": "--into", "from": "B"})
				}
				return t.e.emit(asJSON, tk, func(out io.Writer) error {
					fmt.Fprintf(out, "Ticket #%d merged into #%d.\n", from, to)
					_, err := fmt.Fprintln(out, ticketLine(tk))
					return err
				})
			})
		},
	}
	cmd.Flags().StringVar(&into, "into", "", "the ticket B is merged into (required)")
	jsonFlag(cmd, &asJSON)
	return cmd
}

func (t *ticketCmds) linkCmd() *cobra.Command {
	var client string
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "link N --client ID",
		Short: "Link a ticket's unverified requester to a client",
		Long: `Link ticket N's unverified requester to client ID, once you have checked
the proof they sent: the address becomes a technical contact of the
client (audited as done by the acting agent), the ticket is marked
verified and its priority recomputed.`,
		Args: cobra.ExactArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			n, err := ticketNumber(args[0])
			if err != nil {
				return err
			}
			if strings.TrimSpace(client) == "" {
				return errors.New("--client ID is required")
			}
			return t.change(c, n, asJSON, map[string]string{"client": "--client", "client_id": "--client"}, func(ctx context.Context, w *work) (*tickets.Ticket, error) {
				return w.Tickets.Link(ctx, w.actor, n, client)
			})
		},
	}
	cmd.Flags().StringVar(&client, "client", "", "the client's ID (required)")
	jsonFlag(cmd, &asJSON)
	return cmd
}

// workError words a tickets.Service error for the command line: bad input
// names the flag or argument (fields maps the service's field names to
// them), a ticket out of sight is "not found".
func workError(n int64, err error, fields map[string]string) error {
	var in *tickets.InputError
	switch {
	case errors.As(err, &in):
		if in.Field == "" {
			return errors.New(in.Msg)
		}
		name := in.Field
		if f, ok := fields[in.Field]; ok {
			name = f
		}
		return fmt.Errorf("%s: %s", name, in.Msg)
	case errors.Is(err, tickets.ErrNotFound):
		if n == 0 {
			return err
		}
		return fmt.Errorf("ticket %d not found (or not in your departments)", n)
	case errors.Is(err, tickets.ErrKeyReused):
		return errors.New("--key: this idempotency key was already used for a different request; use a new key (or none, to get one)")
	}
	return err
}
