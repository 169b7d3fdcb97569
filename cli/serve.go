package cli

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"

	"github.com/spf13/cobra"

	"turno/config"
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
it also starts a built-in IMAP server holding the support mailbox
(soporte@turno.test, kept under data_dir/dev-mailbox across restarts) and an
SMTP server that delivers mail for that address to the mailbox and saves
every other message, such as Turno's replies, under data_dir/dev-mail, and
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
			// Load refused errors; what remains are warnings an operator
			// should see at start, not only from config check.
			if _, problems := config.Check(e.configFile(), e.environ); len(problems) > 0 {
				for _, p := range problems {
					log.Warn("configuration", "problem", p.String())
				}
			}
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
	sent, _ := filepath.Abs(filepath.Join(dataDir, "dev-mail"))
	box, _ := filepath.Abs(filepath.Join(dataDir, "dev-mailbox"))
	addr := d.Dev.Mailbox.Address
	fmt.Fprintf(e.stdout, `
Turno is running in dev mode. The support address is %s.
  Write to it through the SMTP server below, from any other address: the mail
  lands in its INBOX and becomes a ticket. The mailbox is kept in %s.
  IMAP  %s  (plain, no TLS)  user %s  password %s  mailbox INBOX
  SMTP  %s  (plain, no TLS)  user %s  password %s
  Mail Turno sends to anyone else is saved in %s
  Health: http://%s/healthz  Readiness: http://%s/readyz  Metrics: http://%s/metrics
The development agent is %s (an admin); the CLI acts as it on this data
directory ("turno tickets list", "turno tickets reply N --file answer.txt").
  API   http://%s/api/v1  (document: /api/v1/openapi.json)
  Token %s
  e.g.  curl -H "Authorization: Bearer $TOKEN" http://%s/api/v1/tickets
  Console  http://%s/console/  log in as %s, password %s
The development customer is %s (client %s).
  Portal   http://%s/portal/  its welcome mail in dev-mail holds the link to
           choose a password ("turno clients password %s" sends another)
Press Ctrl-C to stop.

`, addr, box, d.Dev.IMAPAddr, user, pass, d.Dev.SMTPAddr, user, pass, sent, d.HTTP.Addr(), d.HTTP.Addr(), d.HTTP.Addr(),
		daemon.DevAgent, d.HTTP.Addr(), d.DevToken, d.HTTP.Addr(), d.HTTP.Addr(), daemon.DevAgent, d.DevPassword,
		daemon.DevClientAddress, daemon.DevClientID, d.HTTP.Addr(), daemon.DevClientID)
}
