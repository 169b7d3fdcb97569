package config

import (
	"reflect"
	"strings"
	"testing"
)

// Six unknown keys, two values of the wrong type and an invalid value:
// every one is named in one run, in file order, with its line, and a
// near-miss key gets a suggestion.
func TestLoadNamesEveryProblemInFileOrder(t *testing.T) {
	p := writeFile(t, `data_dir = "x"
dta_dir = "y"
[log]
levl = "info"
level = "loud"
[mongodb]
urii = "mongodb://h"
databse = "t"
[http]
listen = 8025
[company]
from_name = "X"
[billing]
cycle_hour = "6"
timezone = "America/Santiago"
`)
	_, err := Load(p, nil)
	if err == nil {
		t.Fatal("want an error")
	}
	want := []string{
		p + `:2: unknown key "dta_dir"; did you mean "data_dir"?`,
		p + `:4: unknown key "log.levl"; did you mean "log.level"?`,
		p + `:5: log.level: must be one of debug, info, warn, error (got "loud")`,
		p + `:7: unknown key "mongodb.urii"; did you mean "mongodb.uri"?`,
		p + `:8: unknown key "mongodb.databse"; did you mean "mongodb.database"?`,
		p + `:10: http.listen: must be a string (got an integer)`,
		p + `:12: unknown key "company.from_name"; did you mean "mail.from_name"?`,
		p + `:14: billing.cycle_hour: must be an integer (got a string)`,
		p + `:15: unknown key "billing.timezone"; did you mean "time_zone"?`,
	}
	got := strings.Split(err.Error(), "\n")
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("got\n%s\nwant\n%s", err, strings.Join(want, "\n"))
	}
}

// The From header follows [company] unless [mail] says otherwise.
func TestSenderDerivedFromCompany(t *testing.T) {
	p := writeFile(t, "[company]\nname = \"Hosting Austral SpA\"\nsupport_address = \"soporte@hostingaustral.cl\"\n")
	cfg, err := Load(p, nil)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Mail.FromName != "Hosting Austral SpA" || cfg.Mail.FromAddress != "soporte@hostingaustral.cl" {
		t.Fatalf("from = %q <%s>, want the company's name and support address", cfg.Mail.FromName, cfg.Mail.FromAddress)
	}
	p = writeFile(t, "[company]\nname = \"Hosting Austral SpA\"\n[mail]\nfrom_name = \"Austral Cobranzas\"\nfrom_address = \"cobranzas@hostingaustral.cl\"\n")
	cfg, err = Load(p, nil)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Mail.FromName != "Austral Cobranzas" || cfg.Mail.FromAddress != "cobranzas@hostingaustral.cl" {
		t.Fatalf("explicit from lost: %q <%s>", cfg.Mail.FromName, cfg.Mail.FromAddress)
	}
	cfg, err = Load("", []string{"TURNO_COMPANY_NAME=Desde Env SpA"})
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Mail.FromName != "Desde Env SpA" {
		t.Fatalf("from_name = %q, want the company name set from the environment", cfg.Mail.FromName)
	}
}

func TestSuggest(t *testing.T) {
	for _, tt := range []struct {
		unknown string
		want    []string
	}{
		{"mongodb.urii", []string{"mongodb.uri"}},
		{"log.lvel", []string{"log.level"}}, // a swap is one edit
		{"mongo.uri", []string{"mongodb.uri"}},
		{"billing.timezone", []string{"time_zone"}}, // an old name is suggested as the new one
		{"mail.time_zone", []string{"time_zone"}},   // same last segment, other table
		{"company.from_address", []string{"mail.from_address"}},
		{"mailboxes.hots", []string{"mailboxes.host"}},
		{"outbox.relays.3.pasword", []string{"outbox.relays.password"}},
		{"intake.leasettl", []string{"intake.lease_ttl"}},
		{"tickets.lease_ttl", []string{"intake.lease_ttl", "billing.lease_ttl"}},
		{"mongo", []string{"mongodb"}}, // an unknown table
		{"relays", []string{"outbox.relays"}},
		{"completely_unrelated", nil},
	} {
		if got := suggest(tt.unknown); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("suggest(%q) = %q, want %q", tt.unknown, got, tt.want)
		}
	}
}

func TestTimeZoneAndItsOldName(t *testing.T) {
	for _, tt := range []struct {
		name, file string
		env        []string
		want       string
		warning    string
	}{
		{"default", "", nil, "America/Santiago", ""},
		{"new name", "time_zone = \"America/Punta_Arenas\"\n", nil, "America/Punta_Arenas", ""},
		{"old name", "[billing]\ntime_zone = \"America/Punta_Arenas\"\n", nil, "America/Punta_Arenas",
			":2: warning: billing.time_zone: is the old name of time_zone; it still works, but rename it"},
		{"both, differing", "time_zone = \"America/Bogota\"\n[billing]\ntime_zone = \"America/Punta_Arenas\"\n", nil, "America/Bogota",
			`:3: warning: billing.time_zone: "America/Punta_Arenas" differs from time_zone "America/Bogota"; time_zone wins`},
		{"old name from the environment", "", []string{"TURNO_BILLING_TIME_ZONE=America/Lima"}, "America/Lima",
			"warning: billing.time_zone (from TURNO_BILLING_TIME_ZONE): is the old name"},
		{"new name from the environment wins", "[billing]\ntime_zone = \"America/Lima\"\n", []string{"TURNO_TIME_ZONE=UTC"}, "UTC",
			`:2: warning: billing.time_zone: "America/Lima" differs from time_zone "UTC"; time_zone wins`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			p := ""
			if tt.file != "" {
				p = writeFile(t, tt.file)
			}
			cfg, problems := Check(p, tt.env)
			var all []string
			for _, pr := range problems {
				all = append(all, pr.String())
				if pr.Severity == SeverityError {
					t.Errorf("error: %s", pr)
				}
			}
			if cfg.TimeZone != tt.want || cfg.Billing.TimeZone != tt.want {
				t.Errorf("time_zone %q, billing.time_zone %q; want both %q", cfg.TimeZone, cfg.Billing.TimeZone, tt.want)
			}
			joined := strings.Join(all, "\n")
			if tt.warning == "" && len(all) > 0 || tt.warning != "" && !strings.Contains(joined, tt.warning) {
				t.Errorf("problems:\n%s\nwant %q", joined, tt.warning)
			}
			out, err := Effective(cfg)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.HasPrefix(string(out), "data_dir") || strings.Count(string(out), "time_zone =") != 1 {
				t.Errorf("effective configuration shows time_zone other than once:\n%s", out)
			}
		})
	}
}

func TestBadTimeZoneNamedWhereSet(t *testing.T) {
	p := writeFile(t, "[billing]\ntime_zone = \"America/Atlantis\"\n")
	_, err := Load(p, nil)
	if err == nil || err.Error() != p+`:2: billing.time_zone: must be an IANA time zone such as America/Santiago (got "America/Atlantis")` {
		t.Fatalf("got %v", err)
	}
	if _, err := Load("", []string{"TURNO_TIME_ZONE=Local"}); err == nil || !strings.Contains(err.Error(), "time_zone (from TURNO_TIME_ZONE): must be an IANA") {
		t.Fatalf("Local: got %v", err)
	}
}

func TestSenderMismatchWarns(t *testing.T) {
	p := writeFile(t, `[company]
name = "Hosting Austral SpA"
support_address = "soporte@hostingaustral.cl"
[mail]
from_name = "Mi Proveedor SpA"
from_address = "soporte@hostingaustral.cl"
`)
	cfg, problems := Check(p, nil)
	if len(problems) != 1 || problems[0].Severity != SeverityWarning || problems[0].Code != CodeMismatch ||
		problems[0].String() != p+`:5: warning: mail.from_name: "Mi Proveedor SpA" differs from company.name "Hosting Austral SpA": `+
			`mail goes out under one name and is signed with the other; leave mail.from_name empty to use company.name` {
		t.Fatalf("problems: %v", problems)
	}
	if cfg.Mail.FromName != "Mi Proveedor SpA" {
		t.Fatalf("a warning changed the value: %q", cfg.Mail.FromName)
	}
	if _, err := Load(p, nil); err != nil {
		t.Fatalf("a warning failed Load: %v", err)
	}
}

// A key the file does not set is placed at its table, when the file has it.
func TestMissingKeyPlacedAtItsTable(t *testing.T) {
	p := writeFile(t, "data_dir = \"x\"\n\n[[mailboxes]]\nname = \"a\"\nusername = \"u\"\npassword = \"p\"\n")
	_, err := Load(p, nil)
	if err == nil || err.Error() != p+":3: mailboxes.0.host: is required" {
		t.Fatalf("got %v", err)
	}
}

// Every bad environment variable is named, not just the first.
func TestEveryBadVariableNamed(t *testing.T) {
	_, err := Load("", []string{"TURNO_LOG_FORMAT=xml", "TURNO_MONGODB_CONNECT_TIMEOUT=soon", "TURNO_HTTP_LISTEN=nope"})
	if err == nil {
		t.Fatal("want an error")
	}
	for _, want := range []string{"log.format (from TURNO_LOG_FORMAT)", "mongodb.connect_timeout (from TURNO_MONGODB_CONNECT_TIMEOUT)",
		"http.listen (from TURNO_HTTP_LISTEN)"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("%q missing from:\n%s", want, err)
		}
	}
}

// A file that is not TOML is one problem, at its line; nothing is guessed
// after it.
func TestSyntaxErrorStops(t *testing.T) {
	p := writeFile(t, "[log]\nlevel = \"info\nlevl = 3\n")
	_, problems := Check(p, nil)
	if len(problems) != 1 || problems[0].Code != CodeSyntax || problems[0].Line != 2 {
		t.Fatalf("problems: %+v", problems)
	}
}

func TestTypeMessages(t *testing.T) {
	p := writeFile(t, `[shutdown]
grace_period = 30
[billing]
collection_stages = 7
collection_cc_notify = "yes"
uf_rate = "1"
[company]
name = 5
[[mailboxes]]
name = "a"
poll_interval = 60
`)
	_, err := Load(p, nil)
	if err == nil {
		t.Fatal("want an error")
	}
	for _, want := range []string{
		p + `:2: shutdown.grace_period: must be a duration such as "30s", in quotes (got 30: a bare number would be nanoseconds)`,
		p + `:11: mailboxes.0.poll_interval: must be a duration such as "30s"`,
		p + ":4: billing.collection_stages: must be a list (got an integer)",
		p + ":5: billing.collection_cc_notify: must be true or false (got a string)",
		p + ":6: billing.uf_rate: must be a number (got a string)",
		p + ":8: company.name: must be a string (got an integer)",
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("%q missing from:\n%s", want, err)
		}
	}
	if strings.Contains(err.Error(), "config.") {
		t.Errorf("Go type names leak into:\n%s", err)
	}
}
