package tickets

import (
	"reflect"
	"testing"

	"turno/config"
)

func TestOptionsFromDefaultConfigMatchDefaults(t *testing.T) {
	o := OptionsFromConfig(config.Default().Tickets)
	if o.NumberStart != 100000 || o.AutoReplyBudget != 5 || o.ReopenWindow <= 0 || o.UnknownSenderReplyWindow <= 0 {
		t.Fatalf("options: %+v", o)
	}
	w := DefaultWeights()
	w.Departments = map[string]int{"soporte": 0}
	if !reflect.DeepEqual(*o.Weights, w) {
		t.Fatalf("weights %+v, want %+v", *o.Weights, w)
	}
	c := config.Default().Tickets
	c.AutoReplyBudget = 0
	if got := OptionsFromConfig(c).AutoReplyBudget; got >= 0 {
		t.Fatalf("budget 0 in config must mean none, got option %d", got)
	}
}
