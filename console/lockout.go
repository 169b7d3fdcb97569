package console

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"turno/agents"
	"turno/mailout"
	"turno/templates"
)

// Mailer is the outbox as the lockout mail uses it: Enqueue is idempotent
// by Message.Key.
type Mailer interface {
	Enqueue(ctx context.Context, m mailout.Message) (string, error)
}

// LockoutMailer tells an agent by mail that their console sign-in was
// locked after web.Lockout failed passwords (template login_locked, Where
// "console"): until when, and that an administrator can set a new
// password (`turno agents password`); agents have no set-password link.
// One mail per agent and lock window (the outbox key). An address that is
// no agent's, or a deactivated agent's, gets nothing.
type LockoutMailer struct {
	Agents *agents.Service
	Mailer Mailer
	// SignInURL is the console's address for the mail; "" omits the line.
	SignInURL string
	Logger    *slog.Logger
}

// NotifyLockout is web.LockoutNotifier.
func (m LockoutMailer) NotifyLockout(ctx context.Context, address string, until time.Time) error {
	a, err := m.Agents.Get(ctx, address)
	if errors.Is(err, agents.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	if !a.Active {
		return nil
	}
	until = until.UTC().Truncate(time.Second)
	id, err := m.Mailer.Enqueue(ctx, mailout.Message{
		Key:      fmt.Sprintf("console-locked:%s:%d", a.Email, until.Unix()),
		Template: "login_locked", Lang: a.Lang,
		Data: templates.LoginLocked{Name: a.Name, Login: a.Email, Until: until, Where: "console", SignInURL: m.SignInURL},
		To:   []string{a.Email}, Priority: mailout.PriorityAccount, AutoSubmitted: "auto-generated", Kind: "account",
	})
	if err != nil {
		return fmt.Errorf("enqueue the console lockout mail: %w", err)
	}
	if m.Logger != nil {
		m.Logger.Warn("console: login locked, agent mailed", "agent", a.Email, "until", until, "outbox_id", id)
	}
	return nil
}

// MailLockouts makes the console tell a locked-out agent by mail through
// mailer (the daemon wires it once the outbox runs).
func (c *Console) MailLockouts(mailer Mailer, signInURL string) {
	c.Site.SetNotifier(LockoutMailer{Agents: c.o.Agents, Mailer: mailer, SignInURL: signInURL, Logger: c.log})
}
