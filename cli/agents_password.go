package cli

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"turno/agents"
)

// passwordPrompt reads a password from the terminal without echo; tests
// replace it. nil error and ok=false: stdin is not a terminal.
var passwordPrompt = func(prompt string, stderr io.Writer) (string, bool, error) {
	fd := int(os.Stdin.Fd())
	if !term.IsTerminal(fd) {
		return "", false, nil
	}
	fmt.Fprint(stderr, prompt)
	b, err := term.ReadPassword(fd)
	fmt.Fprintln(stderr)
	return string(b), true, err
}

func newAgentsPasswordCmd(e *env) *cobra.Command {
	var fromStdin bool
	cmd := &cobra.Command{
		Use:   "password EMAIL [--password-stdin]",
		Short: "Set an agent's password for the agents' console (/console/)",
		Long: `Set the password an agent logs in to the agents' console with (the web
pages under /console/, see [console]). It is asked twice on the terminal,
or read from the first line of standard input with --password-stdin
(e.g. from a password manager). Only its argon2id hash is stored.
Setting it ends the agent's console sessions made with the old one.
10 to 128 characters; a phrase is easier to remember than symbols.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			pw, err := e.readAgentPassword(fromStdin)
			if err != nil {
				return err
			}
			return e.withAgents(func(ctx context.Context, s *agents.Service) error {
				a, err := s.SetPassword(ctx, args[0], pw)
				if err != nil {
					return agentErr(err)
				}
				fmt.Fprintf(e.stdout, "console password set for %s\n", a.Email)
				return nil
			})
		},
	}
	cmd.Flags().BoolVar(&fromStdin, "password-stdin", false, "read the password from the first line of standard input")
	return cmd
}

// readAgentPassword is the first line of stdin with --password-stdin, else
// the password typed twice on the terminal.
func (e *env) readAgentPassword(fromStdin bool) (string, error) {
	if fromStdin {
		in, _ := ticketStdin()
		line, err := bufio.NewReader(io.LimitReader(in, 4096)).ReadString('\n')
		if err != nil && !errors.Is(err, io.EOF) {
			return "", fmt.Errorf("read stdin: %w", err)
		}
		line = strings.TrimRight(line, "\r\n")
		if line == "" {
			return "", errors.New("--password-stdin: standard input is empty")
		}
		return line, nil
	}
	pw, tty, err := passwordPrompt("New password: ", e.stderr)
	if err != nil {
		return "", fmt.Errorf("read password: %w", err)
	}
	if !tty {
		return "", errors.New("standard input is not a terminal: give the password with --password-stdin")
	}
	again, _, err := passwordPrompt("Repeat it: ", e.stderr)
	if err != nil {
		return "", fmt.Errorf("read password: %w", err)
	}
	if again != pw {
		return "", errors.New("the two passwords differ; nothing changed")
	}
	return pw, nil
}
