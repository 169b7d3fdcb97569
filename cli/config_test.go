package cli

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func writeConfig(t *testing.T, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "turno.toml")
	if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// sixUnknown has six unknown keys, the last one after a value of the wrong
// type, which used to hide every unknown key.
const sixUnknown = `dta_dir = "y"
[log]
levl = "info"
[mongodb]
urii = "mongodb://h"
databse = "t"
[company]
from_name = "X"
[billing]
cycle_hour = "6"
timezone = "America/Santiago"
`

func TestConfigCheckNamesEveryProblem(t *testing.T) {
	p := writeConfig(t, sixUnknown)
	var out, errOut bytes.Buffer
	if code := Main([]string{"config", "check", p}, &out, &errOut, nil); code != 1 {
		t.Fatalf("exit %d, want 1\n%s", code, errOut.String())
	}
	all := errOut.String()
	last := -1
	for _, want := range []string{
		`:1: unknown key "dta_dir"; did you mean "data_dir"?`,
		`:3: unknown key "log.levl"; did you mean "log.level"?`,
		`:5: unknown key "mongodb.urii"; did you mean "mongodb.uri"?`,
		`:6: unknown key "mongodb.databse"; did you mean "mongodb.database"?`,
		`:8: unknown key "company.from_name"; did you mean "mail.from_name"?`,
		`:10: billing.cycle_hour: must be an integer (got a string)`,
		`:11: unknown key "billing.timezone"; did you mean "time_zone"?`,
	} {
		i := strings.Index(all, p+want)
		if i < 0 {
			t.Errorf("missing %q in:\n%s", want, all)
			continue
		}
		if i < last {
			t.Errorf("%q is out of file order in:\n%s", want, all)
		}
		last = i
	}
	if out.Len() != 0 {
		t.Errorf("an invalid file printed a configuration:\n%s", out.String())
	}
}

// checkJSON is what `turno config check --json` prints.
type checkJSON struct {
	File     string `json:"file"`
	Valid    bool   `json:"valid"`
	Problems []struct {
		Severity   string   `json:"severity"`
		Code       string   `json:"code"`
		File       string   `json:"file"`
		Line       int      `json:"line"`
		Env        string   `json:"env"`
		Key        string   `json:"key"`
		Message    string   `json:"message"`
		DidYouMean []string `json:"did_you_mean"`
	} `json:"problems"`
	Config map[string]any `json:"config"`
}

func TestConfigCheckJSON(t *testing.T) {
	p := writeConfig(t, "[company]\nname = \"Hosting Austral SpA\"\n")
	var out, errOut bytes.Buffer
	env := []string{"TURNO_MONGODB_URI=mongodb://u:hunter2@db.invalid:27017"}
	if code := Main([]string{"config", "check", "--json", p}, &out, &errOut, env); code != 0 {
		t.Fatalf("exit %d: %s", code, errOut.String())
	}
	if !bytes.Contains(out.Bytes(), []byte(`"problems": []`)) {
		t.Errorf("no problems must print an empty list, got:\n%s", out.String())
	}
	if strings.Contains(out.String(), "hunter2") || !strings.Contains(out.String(), "<redacted>") {
		t.Errorf("secret not redacted:\n%s", out.String())
	}
	var got checkJSON
	dec := json.NewDecoder(&out)
	if err := dec.Decode(&got); err != nil {
		t.Fatalf("not JSON: %v", err)
	}
	if dec.More() {
		t.Fatal("more than one JSON document")
	}
	mail, _ := got.Config["mail"].(map[string]any)
	if !got.Valid || got.File != p || mail["from_name"] != "Hosting Austral SpA" || got.Config["time_zone"] != "America/Santiago" {
		t.Errorf("effective configuration: %+v", got)
	}

	p = writeConfig(t, sixUnknown)
	out.Reset()
	if code := Main([]string{"config", "check", "--json", p}, &out, &errOut, nil); code != 1 {
		t.Fatalf("exit %d for an invalid file", code)
	}
	got = checkJSON{}
	if err := json.Unmarshal(out.Bytes(), &got); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, out.String())
	}
	if got.Valid || got.Config != nil || len(got.Problems) != 7 {
		t.Fatalf("want 7 problems and no configuration, got %+v", got)
	}
	first := got.Problems[0]
	if first.Severity != "error" || first.Code != "unknown_key" || first.File != p || first.Line != 1 ||
		first.Key != "dta_dir" || len(first.DidYouMean) != 1 || first.DidYouMean[0] != "data_dir" {
		t.Errorf("first problem: %+v", first)
	}
}

// Two names for one setting that disagree are warnings: the file is valid,
// and the output says which value is used.
func TestConfigCheckWarnsWhenTwoNamesDisagree(t *testing.T) {
	p := writeConfig(t, `time_zone = "America/Santiago"
[company]
name = "Hosting Austral SpA"
support_address = "soporte@hostingaustral.cl"
[mail]
from_name = "Mi Proveedor SpA"
from_address = "soporte@example.cl"
[billing]
time_zone = "America/Punta_Arenas"
`)
	var out, errOut bytes.Buffer
	if code := Main([]string{"config", "check", p}, &out, &errOut, nil); code != 0 {
		t.Fatalf("exit %d: %s", code, errOut.String())
	}
	for _, want := range []string{
		p + `:6: warning: mail.from_name: "Mi Proveedor SpA" differs from company.name "Hosting Austral SpA"`,
		p + `:7: warning: mail.from_address: "soporte@example.cl" differs from company.support_address "soporte@hostingaustral.cl"`,
		p + `:9: warning: billing.time_zone: "America/Punta_Arenas" differs from time_zone "America/Santiago"; time_zone wins`,
	} {
		if !strings.Contains(errOut.String(), want) {
			t.Errorf("missing %q in:\n%s", want, errOut.String())
		}
	}
	if !strings.Contains(out.String(), "3 warnings") || !strings.Contains(out.String(), `time_zone = 'America/Santiago'`) {
		t.Errorf("output:\n%s", out.String())
	}
}

// The configured zone reaches the templates: a time stored in UTC is shown
// in it, with its name.
func TestConfigTimeZoneReachesTemplates(t *testing.T) {
	data := filepath.Join(t.TempDir(), "welcome.json")
	if err := os.WriteFile(data, []byte(`{"client_name": "X", "login": "a@b.cl", "link": "https://x/y",
		"expires_at": "2026-12-03T08:33:00Z"}`), 0o600); err != nil {
		t.Fatal(err)
	}
	for env, want := range map[string]string{
		"":                               "hasta el 3 de diciembre de 2026 a las 05:33 (hora de Santiago).",
		"TURNO_TIME_ZONE=America/Bogota": "hasta el 3 de diciembre de 2026 a las 03:33 (hora de Bogotá).",
	} {
		var out, errOut bytes.Buffer
		if code := Main([]string{"templates", "render", "welcome", "--data", data}, &out, &errOut, []string{env}); code != 0 {
			t.Fatalf("%s: exit %d: %s", env, code, errOut.String())
		}
		if !strings.Contains(out.String(), want) {
			t.Errorf("%s: want %q in:\n%s", env, want, out.String())
		}
	}
}

// The From header of a rendered message follows [company] when [mail]
// leaves it unset.
func TestConfigSenderReachesMessages(t *testing.T) {
	p := writeConfig(t, "[company]\nname = \"Hosting Austral SpA\"\nsupport_address = \"soporte@hostingaustral.cl\"\n")
	var out, errOut bytes.Buffer
	if code := Main([]string{"-c", p, "templates", "render", "ticket_ack", "--eml"}, &out, &errOut, nil); code != 0 {
		t.Fatalf("exit %d: %s", code, errOut.String())
	}
	if !strings.Contains(out.String(), "From: \"Hosting Austral SpA\" <soporte@hostingaustral.cl>") {
		t.Errorf("From header:\n%s", out.String())
	}
}
