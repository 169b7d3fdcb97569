package cli

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"turno/config"
	"turno/daemon"
	"turno/templates"
)

func newConfigCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "config",
		Short: "Inspect the configuration",
	}
	var asJSON bool
	check := &cobra.Command{
		Use:   "check [FILE]",
		Short: "Validate a configuration file and print the effective configuration",
		Long: `Validate a configuration file (or the one turno serve would read) together
with the TURNO_* environment, and print the effective configuration as TOML
with secrets redacted.

Every problem is reported in one run, one a line on standard error, in file
order: an unknown key (with "did you mean" for a near miss), a value of the
wrong type, a bad duration, an invalid value, a template override that does
not load. Any of these makes the exit code 1. Warnings (two keys for one
setting that disagree, a key's old name) do not.

With --json, standard output is one JSON document instead:
  {"file": ..., "valid": true|false,
   "problems": [{"severity": "error"|"warning", "code": ..., "file": ...,
                 "line": ..., "env": ..., "key": ..., "message": ...,
                 "did_you_mean": [...]}, ...],
   "config": {the effective configuration, secrets redacted} or null}
"problems" is [] when there are none; "config" is null when the file is
not valid.`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(_ *cobra.Command, args []string) error {
			path := e.configFile()
			if len(args) == 1 {
				path = args[0]
			}
			cfg, problems := config.Check(path, e.environ)
			if templatesCheckable(problems) {
				problems = append(problems, checkTemplates(cfg)...)
			}
			var nErr, nWarn int
			for _, p := range problems {
				if p.Severity == config.SeverityError {
					nErr++
				} else {
					nWarn++
				}
			}
			if asJSON {
				return printCheckJSON(e, path, cfg, problems, nErr)
			}
			for _, p := range problems {
				fmt.Fprintln(e.stderr, p.String())
			}
			name := path
			if name == "" {
				name = "(no file: defaults and environment)"
			}
			if nErr > 0 {
				return fmt.Errorf("%s is not valid: %s", name, counted(nErr, nWarn))
			}
			out, err := config.Effective(cfg)
			if err != nil {
				return err
			}
			valid := "is valid"
			if nWarn > 0 {
				valid += ", with " + counted(0, nWarn)
			}
			fmt.Fprintf(e.stdout, "# %s %s; effective configuration:\n%s", name, valid, out)
			return nil
		},
	}
	check.Flags().BoolVar(&asJSON, "json", false, "print one JSON document: the problems and the effective configuration")
	cmd.AddCommand(check)
	return cmd
}

// checkResult is the document `turno config check --json` prints.
type checkResult struct {
	File     string           `json:"file,omitempty"`
	Valid    bool             `json:"valid"`
	Problems []config.Problem `json:"problems"`
	Config   map[string]any   `json:"config"`
}

func printCheckJSON(e *env, path string, cfg config.Config, problems []config.Problem, nErr int) error {
	res := checkResult{File: path, Valid: nErr == 0, Problems: problems}
	if res.Problems == nil {
		res.Problems = []config.Problem{}
	}
	if res.Valid {
		m, err := config.EffectiveMap(cfg)
		if err != nil {
			return err
		}
		res.Config = m
	}
	enc := json.NewEncoder(e.stdout)
	enc.SetEscapeHTML(false) // "<redacted>", not "\u003credacted\u003e"
	enc.SetIndent("", "  ")
	if err := enc.Encode(res); err != nil {
		return err
	}
	if nErr > 0 {
		return fmt.Errorf("configuration is not valid: %s", counted(nErr, 0))
	}
	return nil
}

// counted is "2 errors, 1 warning".
func counted(nErr, nWarn int) string {
	var parts []string
	if nErr > 0 {
		parts = append(parts, fmt.Sprintf("%d %s", nErr, pluralWord(nErr, "error")))
	}
	if nWarn > 0 {
		parts = append(parts, fmt.Sprintf("%d %s", nWarn, pluralWord(nWarn, "warning")))
	}
	return strings.Join(parts, ", ")
}

func pluralWord(n int, w string) string {
	if n == 1 {
		return w
	}
	return w + "s"
}

// templatesCheckable says whether loading the templates would tell
// anything new: not when the file did not load, nor when what the
// templates are given (the company, the time zone, the override
// directory) is already known to be wrong.
func templatesCheckable(problems []config.Problem) bool {
	for _, p := range problems {
		if p.Severity != config.SeverityError {
			continue
		}
		if p.Code == config.CodeRead || p.Code == config.CodeSyntax || strings.HasPrefix(p.Key, "company.") ||
			strings.HasPrefix(p.Key, "templates.") || p.Key == "time_zone" || p.Key == "billing.time_zone" {
			return false
		}
	}
	return true
}

// checkTemplates loads the templates as turno serve would, so a broken
// override is reported here, naming its file and line: one problem per
// template error.
func checkTemplates(cfg config.Config) []config.Problem {
	_, err := templates.Load(daemon.TemplateOptions(cfg))
	if err == nil {
		return nil
	}
	var out []config.Problem
	msg := strings.TrimPrefix(err.Error(), "load templates: ")
	for _, line := range strings.Split(msg, "\n") {
		if line = strings.TrimSpace(line); line != "" {
			out = append(out, config.Problem{Severity: config.SeverityError, Code: config.CodeTemplate, Message: line})
		}
	}
	if len(out) == 0 {
		out = append(out, config.Problem{Severity: config.SeverityError, Code: config.CodeTemplate, Message: err.Error()})
	}
	return out
}
