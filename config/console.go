package config

// ConsoleConfig is the agents' web pages (/console/ on the HTTP listener).
// They are on in `turno serve --dev` whatever Enabled says. Agents log in
// with a password set by `turno agents password EMAIL`; sessions, cookies
// and rate limits follow the portal's rules (http.trusted_proxies too).
type ConsoleConfig struct {
	// Enabled serves the console. Default false (true in --dev).
	Enabled bool `toml:"enabled"`
	// SessionTTL is how long a login lasts. Default 12h.
	SessionTTL Duration `toml:"session_ttl"`
}

func (c *Config) validateConsole(add func(key, format string, args ...any)) {
	if c.Console.SessionTTL.D() <= 0 {
		add("console.session_ttl", "must be greater than zero")
	}
}
