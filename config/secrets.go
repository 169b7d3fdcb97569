package config

import (
	"fmt"
	"os"
	"reflect"
	"strings"
)

// resolveSecretFiles reads every secret key that has a sibling <key>_file set.
// Setting both is an error: which one wins would be a guess. It returns
// every problem, each under the <key>_file key.
func resolveSecretFiles(cfg *Config) []FieldError {
	all := fields(cfg)
	byKey := make(map[string]field, len(all))
	for _, f := range all {
		byKey[f.Key] = f
	}
	var errs []FieldError
	for _, f := range all {
		if !f.Secret {
			continue
		}
		ff, ok := byKey[f.Key+"_file"]
		if !ok || ff.Value.String() == "" {
			continue
		}
		if f.Value.String() != "" {
			errs = append(errs, FieldError{Key: ff.Key, Msg: fmt.Sprintf("%s and %s are both set: keep one", f.Key, ff.Key)})
			continue
		}
		data, err := os.ReadFile(ff.Value.String())
		if err != nil {
			errs = append(errs, FieldError{Key: ff.Key, Msg: err.Error()})
			continue
		}
		f.Value.SetString(strings.TrimRight(string(data), "\r\n"))
	}
	return errs
}

// Redacted returns a copy of cfg with every non-empty secret replaced, fit
// for printing and logging. Old names of keys (billing.time_zone) are
// emptied: the new key shows the value.
func Redacted(cfg Config) Config {
	c := cfg
	copySlices(reflect.ValueOf(&c).Elem())
	for _, f := range fields(&c) {
		switch {
		case f.Alias != "":
			f.Value.SetZero()
		case f.Secret && f.Value.String() != "":
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
