package daemon

import (
	"net"
	"strconv"
	"time"

	"turno/config"
	"turno/mailin"
	"turno/store"
)

// startMail starts one watcher per configured mailbox and registers each on
// /readyz. With --dev and no mailboxes configured it watches the built-in
// dev mailbox, so mail sent to it becomes tickets.
//
// Every stored message goes to package tickets (daemon/tickets.go).
func (d *Daemon) startMail(st *store.Store, td *teardown) (*mailin.Service, error) {
	cfg := d.opts.Config
	mbs := cfg.Mailboxes
	if len(mbs) == 0 && d.opts.Dev && d.Dev != nil {
		host, port, _ := net.SplitHostPort(d.Dev.IMAPAddr)
		p, _ := strconv.Atoi(port)
		mbs = []config.MailboxConfig{{Name: "dev", Host: host, Port: p, TLS: "none",
			Username: cfg.Dev.User, Password: cfg.Dev.Password, Department: "soporte",
			// go-imap's in-memory server drops an EXISTS that lands between
			// our NOOP and IDLE; a short safety poll (cheap in memory)
			// bounds that wait to seconds.
			PollInterval: config.Duration(2 * time.Second)}}
	}
	if len(mbs) == 0 {
		return nil, nil
	}
	svc, err := mailin.New(mailin.Options{
		DB: st.DB, Mailboxes: mbs, Intake: cfg.Intake, Logger: d.log, Clock: d.opts.Clock,
		Registry: d.opts.Registry, OwnAddresses: []string{cfg.Company.SupportAddress},
		Sink: d.ticketSink(), Notifier: quarantineNotifier{d.Tickets},
	})
	if err != nil {
		return nil, err
	}
	svc.Start()
	td.push("mail watchers", svc.Stop)
	for _, mb := range mbs {
		name := mb.Normalized().Name
		d.HTTP.AddCheck("mailbox:"+name, svc.Check(name))
	}
	return svc, nil
}
