package config

import (
	"net"
	"strings"
)

// PortalConfig is the customers' web pages (/portal/ on the HTTP
// listener). They are on in `turno serve --dev` whatever Enabled says.
type PortalConfig struct {
	// Enabled serves the portal. Default false (true in --dev).
	Enabled bool `toml:"enabled"`
	// SessionTTL is how long a login lasts. Default 12h.
	SessionTTL Duration `toml:"session_ttl"`
}

func (c *Config) validatePortal(add func(key, format string, args ...any)) {
	if c.Portal.SessionTTL.D() <= 0 {
		add("portal.session_ttl", "must be greater than zero")
	}
	for i, p := range c.HTTP.TrustedProxies {
		if _, err := ParseTrustedProxy(p); err != nil {
			add("http.trusted_proxies", "entry %d: %v", i+1, err)
		}
	}
}

// ParseTrustedProxy reads one http.trusted_proxies entry: an IP address or
// a CIDR range.
func ParseTrustedProxy(s string) (*net.IPNet, error) {
	s = strings.TrimSpace(s)
	if _, n, err := net.ParseCIDR(s); err == nil {
		return n, nil
	}
	ip := net.ParseIP(s)
	if ip == nil {
		return nil, &proxyError{s}
	}
	bits := 128
	if ip4 := ip.To4(); ip4 != nil {
		ip, bits = ip4, 32
	}
	return &net.IPNet{IP: ip, Mask: net.CIDRMask(bits, bits)}, nil
}

type proxyError struct{ s string }

func (e *proxyError) Error() string {
	return "must be an IP address or a CIDR range such as 10.0.0.0/8 (got \"" + e.s + "\")"
}
