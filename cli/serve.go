package cli

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"

	"github.com/spf13/cobra"

	"turno/daemon"
)

func newServeCmd(e *env) *cobra.Command {
	var dev bool
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Run the daemon",
		Long: `Run the daemon: watch the support mailboxes, work the outbox and run the
billing calendar, with /healthz, /readyz and /metrics on http.listen.

With no mongodb.uri it starts the embedded store under data_dir. With --dev
it also starts a built-in IMAP server holding the support mailbox and an SMTP
server that saves every message Turno sends under data_dir/dev-mail, and
prints how to reach them.

SIGINT or SIGTERM stops it gracefully within shutdown.grace_period; a second
signal stops it at once.`,
		Args: cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			cfg, err := e.load()
			if err != nil {
				return err
			}
			log := e.logger(cfg)
			d, err := daemon.New(daemon.Options{Config: cfg, Dev: dev, Logger: log})
			if err != nil {
				return err
			}
			ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			go func() {
				<-ctx.Done()
				stop() // restore default handling: a second signal kills at once
			}()
			go func() {
				select {
				case <-d.Ready():
					if dev {
						printDev(e, d, cfg.DataDir, cfg.Dev.User, cfg.Dev.Password)
					}
				case <-ctx.Done():
				}
			}()
			return d.Run(ctx)
		},
	}
	cmd.Flags().BoolVar(&dev, "dev", false, "also run built-in IMAP and SMTP servers on loopback")
	return cmd
}

func printDev(e *env, d *daemon.Daemon, dataDir, user, pass string) {
	abs, _ := filepath.Abs(filepath.Join(dataDir, "dev-mail"))
	fmt.Fprintf(e.stdout, `
Turno is running in dev mode. Point a mail client at:
  IMAP  %s  (plain, no TLS)  user %s  password %s  mailbox INBOX
  SMTP  %s  (plain, no TLS)  user %s  password %s
  Mail Turno sends is saved in %s
  Health: http://%s/healthz  Readiness: http://%s/readyz  Metrics: http://%s/metrics
Press Ctrl-C to stop.

`, d.Dev.IMAPAddr, user, pass, d.Dev.SMTPAddr, user, pass, abs, d.HTTP.Addr(), d.HTTP.Addr(), d.HTTP.Addr())
}
