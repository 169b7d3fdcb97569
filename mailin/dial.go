package mailin

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strings"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
	"github.com/emersion/go-sasl"

	"turno/config"
)

// dial connects and logs in to mailbox m.
func dial(ctx context.Context, m config.MailboxConfig, opts *imapclient.Options) (*imapclient.Client, error) {
	addr := m.Addr()
	opts.Dialer = &net.Dialer{Timeout: 30 * time.Second}
	opts.TLSConfig = &tls.Config{ServerName: m.Host, MinVersion: tls.VersionTLS12}
	var (
		c   *imapclient.Client
		err error
	)
	switch m.TLS {
	case "implicit":
		c, err = imapclient.DialTLS(addr, opts)
	case "starttls":
		c, err = imapclient.DialStartTLS(addr, opts)
	default:
		c, err = imapclient.DialInsecure(addr, opts)
	}
	if err != nil {
		return nil, fmt.Errorf("connect to %s: %w", addr, err)
	}
	stop := context.AfterFunc(ctx, func() { c.Close() })
	defer stop()
	if err := login(ctx, c, m); err != nil {
		c.Close()
		return nil, err
	}
	return c, nil
}

func login(ctx context.Context, c *imapclient.Client, m config.MailboxConfig) error {
	if m.OAuth2 == "" {
		if err := c.Login(m.Username, m.Password).Wait(); err != nil {
			return loginError(fmt.Errorf("login as %s: %w", m.Username, err))
		}
		return nil
	}
	token, err := bearerToken(ctx, m)
	if err != nil {
		return err
	}
	var sc sasl.Client
	if m.OAuth2 == "oauthbearer" {
		sc = sasl.NewOAuthBearerClient(&sasl.OAuthBearerOptions{Username: m.Username, Token: token})
	} else {
		sc = xoauth2{user: m.Username, token: token}
	}
	if err := c.Authenticate(sc); err != nil {
		return loginError(fmt.Errorf("authenticate as %s (%s): %w", m.Username, m.OAuth2, err))
	}
	return nil
}

// loginError classifies a failed LOGIN or AUTHENTICATE. Only the server's
// own refusal, a tagged NO or BAD, is permanent: the credentials, the
// mechanism or the account are wrong and reconnecting will not fix them.
// NO [UNAVAILABLE] is the exception (RFC 5530: a subsystem such as the
// server's password backend is down; Dovecot sends it). Anything else, the
// connection reset, closed (EOF) or timed out before an answer, is
// transient: the watcher reconnects with its normal backoff either way, but
// only a permanent error tells the operator the mailbox is misconfigured.
func loginError(err error) error {
	var ie *imap.Error
	if errors.As(err, &ie) && (ie.Type == imap.StatusResponseTypeNo || ie.Type == imap.StatusResponseTypeBad) &&
		ie.Code != imap.ResponseCodeUnavailable {
		return Permanent(err)
	}
	return err
}

// bearerToken runs token_command or reads token_file.
func bearerToken(ctx context.Context, m config.MailboxConfig) (string, error) {
	var out []byte
	var err error
	if m.TokenCommand != "" {
		cctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		defer cancel()
		out, err = exec.CommandContext(cctx, "/bin/sh", "-c", m.TokenCommand).Output()
		if err != nil {
			return "", fmt.Errorf("run token_command: %w", err)
		}
	} else if out, err = os.ReadFile(m.TokenFile); err != nil {
		return "", fmt.Errorf("read token_file: %w", err)
	}
	tok := strings.TrimSpace(string(out))
	if tok == "" {
		return "", errors.New("oauth2 token is empty")
	}
	return tok, nil
}

// xoauth2 is Google's and Microsoft's XOAUTH2 SASL mechanism, which go-sasl
// does not ship: one initial response, and on failure the server sends a
// JSON error to which the client answers with an empty line.
type xoauth2 struct{ user, token string }

func (x xoauth2) Start() (string, []byte, error) {
	return "XOAUTH2", []byte("user=" + x.user + "\x01auth=Bearer " + x.token + "\x01\x01"), nil
}

func (x xoauth2) Next(challenge []byte) ([]byte, error) {
	return []byte{}, nil
}
