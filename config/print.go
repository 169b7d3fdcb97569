package config

import "github.com/pelletier/go-toml/v2"

// Effective renders cfg as TOML with secrets redacted: what `turno config
// check` prints.
func Effective(cfg Config) ([]byte, error) {
	return toml.Marshal(Redacted(cfg))
}
