package config

import (
	"fmt"
	"os"
	"reflect"
	"strings"
)

// resolveSecretFiles reads every secret key that has a sibling <key>_file set.
// Setting both is an error: which one wins would be a guess.
func resolveSecretFiles(cfg *Config) error {
	all := fields(cfg)
	byKey := make(map[string]field, len(all))
	for _, f := range all {
		byKey[f.Key] = f
	}
	for _, f := range all {
		if !f.Secret {
			continue
		}
		ff, ok := byKey[f.Key+"_file"]
		if !ok || ff.Value.String() == "" {
			continue
		}
		if f.Value.String() != "" {
			return fmt.Errorf("%s and %s_file are both set: keep one", f.Key, f.Key)
		}
		data, err := os.ReadFile(ff.Value.String())
		if err != nil {
			return fmt.Errorf("%s_file: %w", f.Key, err)
		}
		f.Value.SetString(strings.TrimRight(string(data), "\r\n"))
	}
	return nil
}

// Redacted returns a copy of cfg with every non-empty secret replaced, fit
// for printing and logging.
func Redacted(cfg Config) Config {
	c := cfg
	copySlices(reflect.ValueOf(&c).Elem())
	for _, f := range fields(&c) {
		if f.Secret && f.Value.String() != "" {
			f.Value.SetString("<redacted>")
		}
	}
	return c
}

// copySlices replaces every slice in v by a copy, so that redacting the copy
// leaves the original alone.
func copySlices(v reflect.Value) {
	switch v.Kind() {
	case reflect.Struct:
		for i := 0; i < v.NumField(); i++ {
			if v.Field(i).CanSet() {
				copySlices(v.Field(i))
			}
		}
	case reflect.Slice:
		if v.IsNil() {
			return
		}
		c := reflect.MakeSlice(v.Type(), v.Len(), v.Len())
		reflect.Copy(c, v)
		v.Set(c)
		for i := 0; i < c.Len(); i++ {
			copySlices(c.Index(i))
		}
	}
}
