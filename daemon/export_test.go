package daemon

import "time"

// SetStartExtendEvery shortens the start-timeout extender's period for a
// test; the returned func restores it.
func SetStartExtendEvery(d time.Duration) func() {
	old := startExtendEvery
	startExtendEvery = d
	return func() { startExtendEvery = old }
}
