package config

import (
	"fmt"
	"net"
	"strings"
)

// FieldError is one invalid value, named by its dotted key.
type FieldError struct {
	Key string
	Msg string
}

func (e FieldError) Error() string { return e.Key + ": " + e.Msg }

// Validate checks values that parse but make no sense. It returns every
// problem, not just the first, so an operator fixes a file in one pass.
func (c *Config) Validate() []FieldError {
	var errs []FieldError
	add := func(key, format string, args ...any) {
		errs = append(errs, FieldError{Key: key, Msg: fmt.Sprintf(format, args...)})
	}
	if strings.TrimSpace(c.DataDir) == "" {
		add("data_dir", "is required")
	}
	if _, err := loadZone(c.TimeZone); err != nil {
		add("time_zone", "%v", err)
	}
	switch c.Log.Level {
	case "debug", "info", "warn", "error":
	default:
		add("log.level", "must be one of debug, info, warn, error (got %q)", c.Log.Level)
	}
	switch c.Log.Format {
	case "text", "json":
	default:
		add("log.format", "must be text or json (got %q)", c.Log.Format)
	}
	if err := checkHostPort(c.HTTP.Listen); err != nil {
		add("http.listen", "%v", err)
	}
	c.HTTP.validate(add)
	if u := c.MongoDB.URI; u != "" && !strings.HasPrefix(u, "mongodb://") && !strings.HasPrefix(u, "mongodb+srv://") {
		add("mongodb.uri", "must start with mongodb:// or mongodb+srv://")
	}
	if c.MongoDB.Database == "" {
		add("mongodb.database", "is required")
	}
	if c.MongoDB.ConnectTimeout.D() <= 0 {
		add("mongodb.connect_timeout", "must be greater than zero")
	}
	if c.Shutdown.GracePeriod.D() <= 0 {
		add("shutdown.grace_period", "must be greater than zero")
	}
	if err := checkLoopback(c.Dev.IMAPListen); err != nil {
		add("dev.imap_listen", "%v", err)
	}
	if err := checkLoopback(c.Dev.SMTPListen); err != nil {
		add("dev.smtp_listen", "%v", err)
	}
	c.validateCompany(add)
	c.validateMail(add)
	c.validateIntake(add)
	c.validateTickets(add)
	c.validateDepartments(add)
	c.validateAccess(add)
	c.Billing.validate(add)
	c.validateSLA(add)
	c.validatePortal(add)
	c.validateConsole(add)
	c.validateRetention(add)
	return errs
}

func checkHostPort(s string) error {
	_, port, err := net.SplitHostPort(s)
	if err != nil || port == "" {
		return fmt.Errorf("must be host:port (got %q)", s)
	}
	return nil
}

// checkLoopback refuses dev servers on anything but loopback: they accept any
// mail and hold a well-known password.
func checkLoopback(s string) error {
	if err := checkHostPort(s); err != nil {
		return err
	}
	host, _, _ := net.SplitHostPort(s)
	if host == "localhost" {
		return nil
	}
	if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
		return fmt.Errorf("must be a loopback address (got %q): dev servers are for this machine only", s)
	}
	return nil
}
