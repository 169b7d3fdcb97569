package clients

import "context"

// ChangeFunc is told the id of a client after a change of it is committed
// (Add, Edit and every other write through the one edit path). It runs in
// the writer's goroutine, after the write; an error is its own to log.
// Other packages keep what they derive from a client current with it (the
// billing package's undeliverable markers); what a crash between the write
// and the call loses, their own reconcile repairs.
type ChangeFunc func(ctx context.Context, clientID string)

type changeHook struct{ fn ChangeFunc }

// OnChange sets the change hook (nil removes it). Safe to call while the
// registry is in use.
func (r *Registry) OnChange(fn ChangeFunc) {
	if fn == nil {
		r.onChange.Store(nil)
		return
	}
	r.onChange.Store(&changeHook{fn})
}

func (r *Registry) changed(ctx context.Context, id string) {
	if h := r.onChange.Load(); h != nil {
		h.fn(context.WithoutCancel(ctx), id)
	}
}
