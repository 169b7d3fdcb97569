package cli

import (
	"fmt"

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
	check := &cobra.Command{
		Use:   "check [FILE]",
		Short: "Validate a configuration file and print the effective configuration",
		Long: `Validate a configuration file (or the one turno serve would read) together
with the TURNO_* environment, and print the effective configuration as TOML
with secrets redacted. An unknown key, a value of the wrong type, a bad
duration or an invalid value is reported with its key and line; the exit code
is then 1.`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(_ *cobra.Command, args []string) error {
			path := e.configFile()
			if len(args) == 1 {
				path = args[0]
			}
			cfg, err := config.Load(path, e.environ)
			if err != nil {
				return err
			}
			if err := checkTemplates(cfg); err != nil {
				return err
			}
			out, err := config.Effective(cfg)
			if err != nil {
				return err
			}
			if path == "" {
				path = "(no file: defaults and environment)"
			}
			fmt.Fprintf(e.stdout, "# %s is valid; effective configuration:\n%s", path, out)
			return nil
		},
	}
	cmd.AddCommand(check)
	return cmd
}

// checkTemplates loads the templates as turno serve would, so a broken
// override is reported here, naming its file and line.
func checkTemplates(cfg config.Config) error {
	_, err := templates.Load(daemon.TemplateOptions(cfg))
	return err
}
