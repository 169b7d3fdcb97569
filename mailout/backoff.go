package mailout

import (
	"math/rand/v2"
	"time"
)

// backoff is the wait before attempt number attempts+1: initial doubling
// per attempt up to max, then jittered to [d/2, d) so that entries that
// failed together (a relay outage) do not come back together.
func backoff(attempts int, initial, max time.Duration) time.Duration {
	d := initial
	for i := 1; i < attempts && d < max; i++ {
		d *= 2
	}
	if d > max {
		d = max
	}
	return d/2 + rand.N(d/2+1)
}
