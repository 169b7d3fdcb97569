package mailout

import (
	"bytes"
	"context"
	"crypto"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"time"

	"github.com/emersion/go-msgauth/dkim"
	gomail "github.com/wneessen/go-mail"
	"github.com/wneessen/go-mail/smtp"
	"golang.org/x/time/rate"

	"turno/config"
)

// relay is one configured SMTP relay with the rate limits every connection
// to it shares.
type relay struct {
	cfg     config.RelayConfig
	name    string // host:port, the metrics label
	timeout time.Duration
	helo    string
	perSec  *rate.Limiter // nil: no limit
	perMin  *rate.Limiter
	dkim    *dkim.SignOptions
}

func newRelay(cfg config.RelayConfig, timeout time.Duration, helo string) (*relay, error) {
	r := &relay{cfg: cfg, name: net.JoinHostPort(cfg.Host, strconv.Itoa(cfg.Port)), timeout: timeout, helo: helo}
	if cfg.RatePerSecond > 0 {
		r.perSec = rate.NewLimiter(rate.Limit(cfg.RatePerSecond), max(1, int(cfg.RatePerSecond)))
	}
	if cfg.RatePerMinute > 0 {
		r.perMin = rate.NewLimiter(rate.Limit(cfg.RatePerMinute/60), max(1, int(cfg.RatePerMinute/60)))
	}
	if cfg.DKIMKeyFile != "" {
		key, err := loadDKIMKey(cfg.DKIMKeyFile)
		if err != nil {
			return nil, err
		}
		r.dkim = &dkim.SignOptions{Domain: cfg.DKIMDomain, Selector: cfg.DKIMSelector, Signer: key,
			HeaderCanonicalization: dkim.CanonicalizationRelaxed, BodyCanonicalization: dkim.CanonicalizationRelaxed,
			HeaderKeys: []string{"From", "To", "Cc", "Subject", "Date", "Message-Id", "Reply-To", "In-Reply-To", "References", "Mime-Version", "Content-Type"}}
	}
	return r, nil
}

// wait blocks until both rate limits allow one more message.
func (r *relay) wait(ctx context.Context) error {
	for _, l := range []*rate.Limiter{r.perSec, r.perMin} {
		if l != nil {
			if err := l.Wait(ctx); err != nil {
				return err
			}
		}
	}
	return nil
}

// dial opens an authenticated SMTP session with go-mail, in the relay's TLS
// mode. Failures are transient.
func (r *relay) dial(ctx context.Context) (*smtp.Client, error) {
	opts := []gomail.Option{gomail.WithPort(r.cfg.Port), gomail.WithTimeout(r.timeout), gomail.WithHELO(r.helo),
		gomail.WithoutNoop(), gomail.WithoutRset(), gomail.WithTLSConfig(&tls.Config{ServerName: r.cfg.Host, MinVersion: tls.VersionTLS12})}
	switch r.cfg.TLS {
	case "implicit":
		opts = append(opts, gomail.WithSSL())
	case "none":
		opts = append(opts, gomail.WithTLSPolicy(gomail.NoTLS))
	default:
		opts = append(opts, gomail.WithTLSPolicy(gomail.TLSMandatory))
	}
	switch r.cfg.Auth {
	case "plain":
		opts = append(opts, gomail.WithSMTPAuth(gomail.SMTPAuthPlain), gomail.WithUsername(r.cfg.Username), gomail.WithPassword(r.cfg.Password))
	case "login":
		opts = append(opts, gomail.WithSMTPAuth(gomail.SMTPAuthLogin), gomail.WithUsername(r.cfg.Username), gomail.WithPassword(r.cfg.Password))
	case "xoauth2":
		tok, err := r.token(ctx)
		if err != nil {
			return nil, err
		}
		opts = append(opts, gomail.WithSMTPAuth(gomail.SMTPAuthXOAUTH2), gomail.WithUsername(r.cfg.Username), gomail.WithPassword(tok))
	}
	c, err := gomail.NewClient(r.cfg.Host, opts...)
	if err != nil {
		return nil, fmt.Errorf("relay %s: %w", r.name, err)
	}
	sc, err := c.DialToSMTPClientWithContext(ctx)
	if err != nil {
		return nil, classify(fmt.Errorf("dial %s: %w", r.name, err))
	}
	return sc, nil
}

// token reads the OAuth2 access token from the command or the file.
func (r *relay) token(ctx context.Context) (string, error) {
	if r.cfg.OAuth2TokenFile != "" {
		b, err := os.ReadFile(r.cfg.OAuth2TokenFile)
		if err != nil {
			return "", &TransientError{Err: fmt.Errorf("read oauth2 token: %w", err)}
		}
		return strings.TrimSpace(string(b)), nil
	}
	cctx, cancel := context.WithTimeout(ctx, r.timeout)
	defer cancel()
	var out bytes.Buffer
	cmd := exec.CommandContext(cctx, "/bin/sh", "-c", r.cfg.OAuth2TokenCommand)
	cmd.Stdout = &out
	if err := cmd.Run(); err != nil {
		return "", &TransientError{Err: fmt.Errorf("oauth2 token command: %w", err)}
	}
	return strings.TrimSpace(out.String()), nil
}

// reachable dials the relay's TCP port, for /readyz.
func (r *relay) reachable(ctx context.Context) error {
	var d net.Dialer
	c, err := d.DialContext(ctx, "tcp", r.name)
	if err != nil {
		return err
	}
	return c.Close()
}

// sign adds a DKIM-Signature when the relay has a key.
func (r *relay) sign(msg []byte) ([]byte, error) {
	if r.dkim == nil {
		return msg, nil
	}
	var out bytes.Buffer
	if err := dkim.Sign(&out, bytes.NewReader(msg), r.dkim); err != nil {
		return nil, fmt.Errorf("dkim sign: %w", err)
	}
	return out.Bytes(), nil
}

func loadDKIMKey(path string) (crypto.Signer, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("dkim key: %w", err)
	}
	blk, _ := pem.Decode(b)
	if blk == nil {
		return nil, fmt.Errorf("dkim key %s: no PEM block", path)
	}
	if k, err := x509.ParsePKCS8PrivateKey(blk.Bytes); err == nil {
		if s, ok := k.(crypto.Signer); ok {
			return s, nil
		}
	}
	if k, err := x509.ParsePKCS1PrivateKey(blk.Bytes); err == nil {
		return k, nil
	}
	return nil, errors.New("dkim key " + path + ": not a PKCS#8 or PKCS#1 private key")
}
