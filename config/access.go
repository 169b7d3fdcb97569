package config

import (
	"fmt"
	"net/url"
)

// AccessConfig is how Turno hands clients a way into the customer portal
// (password and welcome mail).
type AccessConfig struct {
	// Mode is "link" (a single-use set-password link) or "password" (a
	// generated password, for portals that need one).
	Mode string `toml:"mode"`
	// PortalURL is where clients sign in; set-password links are built on it.
	PortalURL string `toml:"portal_url"`
	// TokenTTL is how long a set-password link or generated password works.
	TokenTTL Duration `toml:"token_ttl"`
}

func (c *Config) validateAccess(add func(key, format string, args ...any)) {
	switch c.Access.Mode {
	case "link", "password":
	default:
		add("access.mode", "must be link or password (got %q)", c.Access.Mode)
	}
	if u, err := url.Parse(c.Access.PortalURL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		add("access.portal_url", "must be an http(s) URL (got %q)", c.Access.PortalURL)
	}
	if c.Access.TokenTTL.D() <= 0 {
		add("access.token_ttl", "%s", fmt.Sprintf("must be greater than zero (got %s)", c.Access.TokenTTL.D()))
	}
}
