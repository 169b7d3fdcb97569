package agents_test

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"

	"turno/agents"
)

// TestNotifyPreferences: nil is every kind; a list is kept sorted; none
// is none; every kind listed is the defaults; unknown kinds and "none"
// with others are refused with a clear error and change nothing.
func TestNotifyPreferences(t *testing.T) {
	s, db, _ := newService(t, "soporte")
	ctx := context.Background()
	a, err := s.Add(ctx, agents.Agent{Email: "ana@turno.test", Name: "Ana", Departments: []string{"soporte"}})
	if err != nil {
		t.Fatal(err)
	}
	if a.Notify != nil || !a.Wants(agents.NotifyNew) || !a.Wants(agents.NotifySLA) {
		t.Fatalf("defaults: %+v", a.Notify)
	}
	set := func(v []string) (*agents.Agent, error) {
		return s.Update(ctx, "ana@turno.test", agents.Edit{Notify: &v})
	}
	a, err = set([]string{"reply", "New", "reply"})
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := s.Get(ctx, "ana@turno.test"); !reflect.DeepEqual(got.Notify, []string{"new", "reply"}) ||
		!got.Wants("reply") || got.Wants("assign") {
		t.Fatalf("stored %v", got.Notify)
	}
	if a, err = set([]string{"none"}); err != nil || a.Wants("new") || a.Wants("mention") {
		t.Fatalf("none: %+v %v", a, err)
	}
	if got, _ := s.Get(ctx, "ana@turno.test"); got.Wants("new") {
		t.Fatalf("none not stored: %v", got.Notify)
	}
	if a, err = set(agents.NotifyKinds()); err != nil || a.Notify != nil {
		t.Fatalf("all kinds = defaults: %v %v", a.Notify, err)
	}
	before := dump(t, db)
	for _, bad := range [][]string{{"new", "sms"}, {"none", "new"}, {}} {
		_, err := set(bad)
		var ie *agents.InputError
		if !errors.As(err, &ie) || ie.Field != "notify" {
			t.Fatalf("%v: err = %v", bad, err)
		}
		if len(bad) == 2 && bad[1] == "sms" && !strings.Contains(err.Error(), `"sms" is not a notification kind`) {
			t.Fatalf("unclear error: %v", err)
		}
	}
	if !reflect.DeepEqual(before, dump(t, db)) {
		t.Fatal("a refused edit changed the store")
	}
	if _, err := s.Add(ctx, agents.Agent{Email: "bea@turno.test", Name: "Bea", Notify: []string{"sms"}}); err == nil {
		t.Fatal("Add took an unknown kind")
	}
	var nilList []string
	if a, err = set(nilList); err != nil || a.Notify != nil {
		t.Fatalf("restore defaults: %v %v", a.Notify, err)
	}
}
