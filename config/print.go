package config

import "github.com/pelletier/go-toml/v2"

// Effective renders cfg as TOML with secrets redacted: what `turno config
// check` prints.
func Effective(cfg Config) ([]byte, error) {
	return toml.Marshal(Redacted(cfg))
}

// EffectiveMap is Effective as a tree of maps keyed by the TOML names (for
// `turno config check --json`): tables are map[string]any, durations
// strings as in the file.
func EffectiveMap(cfg Config) (map[string]any, error) {
	b, err := Effective(cfg)
	if err != nil {
		return nil, err
	}
	var m map[string]any
	if err := toml.Unmarshal(b, &m); err != nil {
		return nil, err
	}
	return m, nil
}
