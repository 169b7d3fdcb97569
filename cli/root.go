// Package cli is the `turno` command line: one cobra command per file, each
// a thin layer over the package that owns the work. main calls Main; nothing
// here holds state between commands.
package cli

import (
	"fmt"
	"io"
	"log/slog"
	"os"
	"time"

	"github.com/spf13/cobra"

	"turno/config"
)

// env is what every command gets: where to write and how to find the
// configuration.
type env struct {
	stdout, stderr io.Writer
	environ        []string
	configPath     string
	// zone is the business time zone text output shows times in; load
	// sets it (see when).
	zone *time.Location
}

// Main runs the turno command line and returns the process exit code.
func Main(args []string, stdout, stderr io.Writer, environ []string) int {
	e := &env{stdout: stdout, stderr: stderr, environ: environ}
	root := &cobra.Command{
		Use:   "turno",
		Short: "Email helpdesk and billing notifications for hosting providers",
		Long: `Turno turns support mail into a prioritised ticket queue and runs the
billing calendar (invoices, collection notes, password and welcome mail)
through SMTP, with all state in MongoDB or its embedded store.

Start with "turno serve --dev" to run it on this machine with built-in mail
servers, or "turno help serve".`,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetArgs(args)
	root.SetOut(stdout)
	root.SetErr(stderr)
	root.PersistentFlags().StringVarP(&e.configPath, "config", "c", "",
		"configuration file (default: $TURNO_CONFIG, else ./turno.toml if it exists)")
	for _, add := range []func(*env) *cobra.Command{
		newServeCmd,
		newConfigCmd,
		newVersionCmd,
		newMailCmd,
		newOutboxCmd,
		newTemplatesCmd,
		newTicketsCmd,
		newClientsCmd,
		newContactsCmd,
		newContractsCmd, newInvoicesCmd, newBillingCmd, newJobsCmd,
		newAgentsCmd, newRepliesCmd,
		newBackupCmd, newRestoreCmd, newMigrateCmd,
	} {
		root.AddCommand(add(e))
	}
	if err := root.Execute(); err != nil {
		fmt.Fprintf(stderr, "turno: %v\n", err)
		return 1
	}
	return 0
}

// configFile resolves which file to read: the flag, then TURNO_CONFIG, then
// ./turno.toml if present, else none (defaults and environment only).
func (e *env) configFile() string {
	if e.configPath != "" {
		return e.configPath
	}
	for _, kv := range e.environ {
		if len(kv) > len("TURNO_CONFIG=") && kv[:len("TURNO_CONFIG=")] == "TURNO_CONFIG=" {
			return kv[len("TURNO_CONFIG="):]
		}
	}
	if _, err := os.Stat("turno.toml"); err == nil {
		return "turno.toml"
	}
	return ""
}

// load reads the effective configuration and the business time zone.
func (e *env) load() (config.Config, error) {
	cfg, err := config.Load(e.configFile(), e.environ)
	if err != nil {
		return cfg, err
	}
	e.zone, err = businessZone(cfg)
	return cfg, err
}

// logger builds the slog logger the configuration asks for, writing to stderr.
func (e *env) logger(cfg config.Config) *slog.Logger {
	var level slog.Level
	_ = level.UnmarshalText([]byte(cfg.Log.Level))
	opts := &slog.HandlerOptions{Level: level}
	if cfg.Log.Format == "json" {
		return slog.New(slog.NewJSONHandler(e.stderr, opts))
	}
	return slog.New(slog.NewTextHandler(e.stderr, opts))
}
