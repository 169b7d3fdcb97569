package parse

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
)

// authMail is a message From maria@cliente.cl with the given
// Authentication-Results fields, top first.
func authMail(fields ...string) string {
	var b strings.Builder
	for _, f := range fields {
		b.WriteString("Authentication-Results: " + f + "\r\n")
	}
	b.WriteString("From: María <maria@cliente.cl>\r\nTo: soporte@proveedor.cl\r\nSubject: hola\r\n" +
		"Message-ID: <a1@cliente.cl>\r\n\r\nHola\r\n")
	return b.String()
}

func TestAuthenticateVerdicts(t *testing.T) {
	const mx = "mx.proveedor.cl"
	cases := []struct {
		name    string
		fields  []string
		trusted string
		verdict string // "" means Authenticate returns nil
		reason  string // a substring of Reason
	}{
		{"dmarc pass", []string{mx + "; dmarc=pass (p=reject dis=none) header.from=cliente.cl"}, mx, AuthPass, "dmarc=pass for cliente.cl"},
		{"dmarc fail", []string{mx + "; dmarc=fail (p=reject dis=none) header.from=cliente.cl"}, mx, AuthFail, "dmarc=fail for cliente.cl"},
		{"dmarc fail with p=none is still a fail", []string{mx + "; dmarc=fail (p=none) header.from=Cliente.CL"}, mx, AuthFail, "dmarc=fail"},
		{"trusted id case-insensitive", []string{"MX.Proveedor.CL; dmarc=fail header.from=cliente.cl"}, mx, AuthFail, "dmarc=fail"},
		{"opendkim comment with a semicolon, aligned dkim pass",
			[]string{mx + "; dkim=pass (2048-bit key; unprotected) header.d=mail.cliente.cl header.i=@mail.cliente.cl header.b=\"kZbz2ki/\""},
			mx, AuthPass, "dkim=pass for mail.cliente.cl, aligned with cliente.cl"},
		{"aligned spf pass, dmarc none", []string{mx + "; spf=pass smtp.mailfrom=rebotes@cliente.cl; dmarc=none header.from=cliente.cl"}, mx, AuthPass, "spf=pass"},
		{"no dmarc, spf softfail and dkim none", []string{mx + "; spf=softfail smtp.mailfrom=maria@cliente.cl; dkim=none"}, mx, AuthFail, "no dmarc result"},
		{"no dmarc, spf passes for another domain only", []string{mx + "; spf=pass smtp.mailfrom=x@spammer.example; dkim=pass header.d=spammer.example"},
			mx, AuthFail, "spf=pass for spammer.example"},
		{"public suffix is no alignment", []string{mx + "; dkim=pass header.d=otro.cl"}, mx, AuthFail, "no dmarc result"},
		{"dmarc fail wins over a pass in another trusted header",
			[]string{mx + "; dmarc=fail header.from=cliente.cl", mx + "; dmarc=pass header.from=cliente.cl"}, mx, AuthFail, "dmarc=fail"},
		{"forged header from another authserv-id ignored",
			[]string{mx + "; dmarc=fail header.from=cliente.cl", "mx.evil.example; dmarc=pass header.from=cliente.cl"}, mx, AuthFail, "dmarc=fail"},
		{"only a forged pass: none",
			[]string{"mx.evil.example; dmarc=pass header.from=cliente.cl; spf=pass smtp.mailfrom=cliente.cl"}, mx, AuthNone, "no Authentication-Results from mx.proveedor.cl"},
		{"dmarc for another domain does not count", []string{mx + "; dmarc=fail header.from=otro.example; dkim=pass header.d=cliente.cl"}, mx, AuthPass, "dkim=pass"},
		{"several headers: opendkim then opendmarc",
			[]string{mx + "; dmarc=pass (p=quarantine) header.from=cliente.cl", mx + "; dkim=pass (1024-bit key; secure) header.d=cliente.cl"}, mx, AuthPass, "dmarc=pass"},
		{"none result", []string{mx + "; none"}, mx, AuthNone, "no dmarc, spf or dkim result"},
		{"no header", nil, mx, AuthNone, "no Authentication-Results"},
		{"malformed trusted header ignored", []string{mx + "; dmarc=fail (p=reject header.from=cliente.cl"}, mx, AuthNone, "no Authentication-Results"},
		{"unknown version ignored", []string{mx + " 2; dmarc=fail header.from=cliente.cl"}, mx, AuthNone, "no Authentication-Results"},
		{"version 1 and spaces around =", []string{mx + " 1; dmarc = fail header.from = cliente.cl"}, mx, AuthFail, "dmarc=fail"},
		{"nothing trusted", []string{mx + "; dmarc=fail header.from=cliente.cl"}, "", "", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m := mustParse(t, authMail(c.fields...), nil)
			a := Authenticate(m, c.trusted)
			if c.verdict == "" {
				if a != nil {
					t.Fatalf("Authenticate = %+v, want nil", a)
				}
				return
			}
			if a == nil || a.Verdict != c.verdict || !strings.Contains(a.Reason, c.reason) || a.Domain != "cliente.cl" {
				t.Fatalf("Authenticate = %+v, want %s with reason containing %q", a, c.verdict, c.reason)
			}
		})
	}
}

func TestParseAuthResultsFields(t *testing.T) {
	cases := []struct {
		in   string
		want AuthResults
		ok   bool
	}{
		{`mx.example.com; spf=pass (mx.example.com: domain of a@b.example designates 192.0.2.1 as permitted sender) smtp.mailfrom=a@b.example; dkim=pass header.i=@b.example; dmarc=pass (p=NONE sp=NONE dis=NONE) header.from=B.example; iprev=pass policy.iprev=192.0.2.1`,
			AuthResults{"mx.example.com", []AuthResult{{"spf", "pass", "b.example"}, {"dkim", "pass", "b.example"}, {"dmarc", "pass", "b.example"}}}, true},
		{`"quoted.example"; dkim/1=fail reason="signature; bad" header.d=x.example`,
			AuthResults{"quoted.example", []AuthResult{{"dkim", "fail", "x.example"}}}, true},
		{`mx.example.com; auth=pass smtp.auth=maria`, AuthResults{"mx.example.com", []AuthResult{}}, true},
		{`mx.example.com;`, AuthResults{}, false},
		{`mx.example.com`, AuthResults{}, false},
		{`mx.example.com; dmarc`, AuthResults{}, false},
		{`mx.example.com; dmarc=fail header.from="cliente.cl`, AuthResults{}, false},
		{`mx.example.com; dmarc=fail garbage`, AuthResults{}, false},
		{`mx example; dmarc=fail`, AuthResults{}, false},
		{`mx.example.com; dmarc=fail) header.from=cliente.cl`, AuthResults{}, false},
		{`mx.example.com; dmarc=fail header.from=cliente.cl` + strings.Repeat(" ", maxAuthHeaderLen), AuthResults{}, false},
	}
	for _, c := range cases {
		got, ok := parseAuthResults(c.in)
		if ok != c.ok || (ok && !reflect.DeepEqual(got, c.want)) {
			t.Errorf("parseAuthResults(%q) = %+v, %v; want %+v, %v", c.in, got, ok, c.want, c.ok)
		}
	}
}

// Parse keeps at most maxAuthHeaders fields, top first, and at most
// maxAuthResults results of each.
func TestAuthResultsBounded(t *testing.T) {
	var fields []string
	many := "mx.example.com" + strings.Repeat("; dkim=pass header.d=cliente.cl", 3*maxAuthResults)
	for range 3 * maxAuthHeaders {
		fields = append(fields, many)
	}
	m := mustParse(t, authMail(fields...), nil)
	if len(m.AuthResults) != maxAuthHeaders {
		t.Fatalf("%d fields kept, want %d", len(m.AuthResults), maxAuthHeaders)
	}
	for _, h := range m.AuthResults {
		if len(h.Results) != maxAuthResults {
			t.Fatalf("%d results kept, want %d", len(h.Results), maxAuthResults)
		}
	}
}

// The golden JSON has no auth key until a caller judges the sender; then
// it shows the verdict.
func TestJSONShowsAuthOnlyWhenJudged(t *testing.T) {
	m := mustParse(t, authMail("mx.proveedor.cl; dmarc=fail header.from=cliente.cl"), nil)
	b, err := m.JSON()
	if err != nil || strings.Contains(string(b), `"auth"`) {
		t.Fatalf("unjudged JSON %s, %v", b, err)
	}
	m.Auth = Authenticate(m, "mx.proveedor.cl")
	b, _ = m.JSON()
	var got struct {
		Auth Auth `json:"auth"`
	}
	if err := json.Unmarshal(b, &got); err != nil || got.Auth.Verdict != AuthFail || got.Auth.TrustedID != "mx.proveedor.cl" ||
		len(got.Auth.Results) != 1 {
		t.Fatalf("judged JSON %s, %v", b, err)
	}
}
