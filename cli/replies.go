package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"turno/replies"
	"turno/store"
)

func newRepliesCmd(e *env) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{Use: "replies", Short: "Manage saved replies",
		Long: `Saved replies are named answers, in Spanish and optionally English, that
agents insert into a reply. Their text may hold the placeholders
{requester_name}, {ticket_number} and {agent_name}, filled when used;
anything else in braces is left as written.`}
	cmd.PersistentFlags().BoolVar(&asJSON, "json", false, "print one JSON document instead of text")
	withReplies := func(fn func(ctx context.Context, s *replies.Store) error) error {
		return e.withStore(func(ctx context.Context, st *store.Store) error { return fn(ctx, replies.New(st.DB)) })
	}

	var es, esFile, en, enFile string
	add := &cobra.Command{
		Use:   "add NAME --es TEXT|--es-file F [--en TEXT|--en-file F]",
		Short: "Add a saved reply, or replace the one of that name",
		Long: `Add a saved reply, or replace the one of that name. NAME is 1 to 64 of
a-z, 0-9, - and _ (upper case is lowered). The Spanish text is required;
without an English one, English-speaking requesters get the Spanish.`,
		Args: cobra.ExactArgs(1),
		RunE: func(_ *cobra.Command, args []string) error {
			esText, err := textFlag("--es", es, esFile)
			if err != nil {
				return err
			}
			if esText == "" {
				return errors.New("--es or --es-file is required: the Spanish text")
			}
			enText, err := textFlag("--en", en, enFile)
			if err != nil {
				return err
			}
			return withReplies(func(ctx context.Context, s *replies.Store) error {
				r, err := s.Put(ctx, replies.Saved{Name: args[0], ES: esText, EN: enText})
				if err != nil {
					return replyErr(err)
				}
				return e.printReply(asJSON, r)
			})
		},
	}
	add.Flags().StringVar(&es, "es", "", "the Spanish text")
	add.Flags().StringVar(&esFile, "es-file", "", "read the Spanish text from this file")
	add.Flags().StringVar(&en, "en", "", "the English text")
	add.Flags().StringVar(&enFile, "en-file", "", "read the English text from this file")

	list := &cobra.Command{
		Use: "list", Short: "List saved replies by name", Args: cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			return withReplies(func(ctx context.Context, s *replies.Store) error {
				rs, err := s.List(ctx)
				if err != nil {
					return err
				}
				return e.emit(asJSON, rs, func(w io.Writer) error {
					tw := newTable(w, "NAME\tEN\tUPDATED\tSPANISH")
					for _, r := range rs {
						fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", r.Name, yesNo(r.EN != ""), e.when(r.UpdatedAt), firstLine(r.ES, 60))
					}
					return tw.Flush()
				})
			})
		},
	}
	show := &cobra.Command{
		Use: "show NAME", Short: "Show a saved reply", Args: cobra.ExactArgs(1),
		RunE: func(_ *cobra.Command, args []string) error {
			return withReplies(func(ctx context.Context, s *replies.Store) error {
				r, err := s.Get(ctx, args[0])
				if err != nil {
					return err
				}
				return e.printReply(asJSON, r)
			})
		},
	}
	remove := &cobra.Command{
		Use: "remove NAME", Short: "Remove a saved reply", Args: cobra.ExactArgs(1),
		RunE: func(_ *cobra.Command, args []string) error {
			return withReplies(func(ctx context.Context, s *replies.Store) error {
				if err := s.Remove(ctx, args[0]); err != nil {
					return err
				}
				return e.done(asJSON, "remove", strings.ToLower(strings.TrimSpace(args[0])))
			})
		},
	}
	cmd.AddCommand(add, list, show, remove)
	return cmd
}

// textFlag is the text of --X or of --X-file, not both.
func textFlag(flag, text, file string) (string, error) {
	if file == "" {
		return text, nil
	}
	if text != "" {
		return "", fmt.Errorf("give %s or %s-file, not both", flag, flag)
	}
	b, err := os.ReadFile(file)
	if err != nil {
		return "", fmt.Errorf("%s-file: %w", flag, err)
	}
	return string(b), nil
}

func firstLine(s string, max int) string {
	s, _, cut := strings.Cut(s, "\n")
	if r := []rune(s); len(r) > max {
		return string(r[:max-1]) + "…"
	} else if cut {
		return s + " …"
	}
	return s
}

func (e *env) printReply(asJSON bool, r *replies.Saved) error {
	return e.emit(asJSON, r, func(w io.Writer) error {
		fmt.Fprintf(w, "name:     %s\ncreated:  %s\nupdated:  %s\n\n--- es ---\n%s\n", r.Name, e.when(r.CreatedAt), e.when(r.UpdatedAt), r.ES)
		if r.EN != "" {
			fmt.Fprintf(w, "\n--- en ---\n%s\n", r.EN)
		}
		return nil
	})
}

// replyErr names the flag of a refused field.
func replyErr(err error) error {
	var ie *replies.InputError
	if errors.As(err, &ie) {
		flag := map[string]string{"name": "NAME", "es": "--es", "en": "--en"}[ie.Field]
		if flag == "" {
			flag = ie.Field
		}
		return fmt.Errorf("%s: %s", flag, ie.Msg)
	}
	return err
}
