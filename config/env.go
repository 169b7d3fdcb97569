package config

import (
	"encoding"
	"fmt"
	"reflect"
	"strconv"
	"strings"
)

// EnvPrefix starts every environment variable Turno reads for configuration.
const EnvPrefix = "TURNO_"

// field is one leaf of the configuration, addressed by its dotted TOML key.
type field struct {
	Key    string
	Value  reflect.Value
	Secret bool
	// Alias is the key this one is an old name of ("" for most): it is
	// read, but not documented or printed.
	Alias string
}

// fields lists every leaf key of cfg in declaration order. Entries of arrays
// of tables are addressed by index (mailboxes.0.host), so an existing entry's
// keys can be overridden from the environment too.
func fields(cfg *Config) []field {
	var out []field
	var walk func(v reflect.Value, prefix string)
	walk = func(v reflect.Value, prefix string) {
		t := v.Type()
		for i := 0; i < t.NumField(); i++ {
			sf := t.Field(i)
			name := strings.Split(sf.Tag.Get("toml"), ",")[0]
			if name == "" || name == "-" {
				continue
			}
			key := prefix + name
			fv := v.Field(i)
			if sf.Type.Kind() == reflect.Struct && !isTextType(fv) {
				walk(fv, key+".")
				continue
			}
			if sf.Type.Kind() == reflect.Slice && sf.Type.Elem().Kind() == reflect.Struct {
				for j := 0; j < fv.Len(); j++ {
					walk(fv.Index(j), fmt.Sprintf("%s.%d.", key, j))
				}
				continue
			}
			out = append(out, field{Key: key, Value: fv, Secret: sf.Tag.Get("secret") == "true", Alias: sf.Tag.Get("alias")})
		}
	}
	walk(reflect.ValueOf(cfg).Elem(), "")
	return out
}

func isTextType(v reflect.Value) bool {
	_, ok := v.Addr().Interface().(encoding.TextUnmarshaler)
	return ok
}

// EnvName is the environment variable that overrides key.
func EnvName(key string) string {
	return EnvPrefix + strings.ToUpper(strings.ReplaceAll(key, ".", "_"))
}

// applyEnv sets every key whose variable is present in environ. It returns
// which keys came from the environment, for error messages, and a problem
// for every variable whose value does not parse (that key keeps its value).
func applyEnv(cfg *Config, environ []string) (map[string]string, []Problem) {
	env := map[string]string{}
	for _, kv := range environ {
		if k, v, ok := strings.Cut(kv, "="); ok && strings.HasPrefix(k, EnvPrefix) {
			env[k] = v
		}
	}
	from := map[string]string{}
	var problems []Problem
	for _, f := range fields(cfg) {
		name := EnvName(f.Key)
		raw, ok := env[name]
		if !ok {
			continue
		}
		from[f.Key] = name
		if err := setFromString(f.Value, raw); err != nil {
			problems = append(problems, Problem{Severity: SeverityError, Code: CodeInvalid, Env: name, Key: f.Key, Message: err.Error()})
		}
	}
	return from, problems
}

func setFromString(v reflect.Value, raw string) error {
	if u, ok := v.Addr().Interface().(encoding.TextUnmarshaler); ok {
		return u.UnmarshalText([]byte(raw))
	}
	switch v.Kind() {
	case reflect.String:
		v.SetString(raw)
	case reflect.Bool:
		b, err := strconv.ParseBool(raw)
		if err != nil {
			return fmt.Errorf("invalid boolean %q (use true or false)", raw)
		}
		v.SetBool(b)
	case reflect.Int, reflect.Int64, reflect.Int32:
		n, err := strconv.ParseInt(raw, 10, 64)
		if err != nil {
			return fmt.Errorf("invalid integer %q", raw)
		}
		v.SetInt(n)
	case reflect.Float64:
		n, err := strconv.ParseFloat(raw, 64)
		if err != nil {
			return fmt.Errorf("invalid number %q", raw)
		}
		v.SetFloat(n)
	case reflect.Slice:
		// Comma-separated elements of any scalar kind ("-3,0,7,15").
		if v.Type().Elem().Kind() == reflect.Struct {
			return fmt.Errorf("cannot be set from the environment")
		}
		out := reflect.MakeSlice(v.Type(), 0, 4)
		for _, p := range strings.Split(raw, ",") {
			if p = strings.TrimSpace(p); p == "" {
				continue
			}
			e := reflect.New(v.Type().Elem()).Elem()
			if err := setFromString(e, p); err != nil {
				return err
			}
			out = reflect.Append(out, e)
		}
		v.Set(out)
	default:
		return fmt.Errorf("cannot be set from the environment")
	}
	return nil
}
