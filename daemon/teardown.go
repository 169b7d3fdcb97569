package daemon

import (
	"context"
	"errors"
	"fmt"
)

// teardown is a LIFO stack of stop functions: whatever started last stops
// first, so nothing stops while something started after it still uses it.
type teardown struct {
	steps []step
}

type step struct {
	name string
	fn   func(ctx context.Context) error
}

func (t *teardown) push(name string, fn func(ctx context.Context) error) {
	t.steps = append(t.steps, step{name, fn})
}

// run calls every step in reverse order, even after one fails or ctx ends
// (each step gets the same ctx and should give up quickly once it is done).
func (t *teardown) run(ctx context.Context) error {
	var errs []error
	for i := len(t.steps) - 1; i >= 0; i-- {
		s := t.steps[i]
		if err := s.fn(ctx); err != nil {
			errs = append(errs, fmt.Errorf("stop %s: %w", s.name, err))
		}
	}
	t.steps = nil
	return errors.Join(errs...)
}
