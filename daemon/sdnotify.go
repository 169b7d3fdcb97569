package daemon

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"sort"
	"strings"
	"sync"
	"time"

	sd "github.com/coreos/go-systemd/v22/daemon"
)

// Service-manager readiness (systemd Type=notify, contrib/systemd/turno.service).
//
// When NOTIFY_SOCKET is set, Run sends READY=1 to it once everything has
// started and /readyz answers ready (the store open and answering, the HTTP
// listener up, every mailbox and relay check passing), and STOPPING=1 when
// it begins to stop. Until then it reports, a few times a second at most,
// STATUS= naming the checks that are not ready, which `systemctl status`
// shows. Without NOTIFY_SOCKET nothing is sent.

// While it starts, every startExtendEvery, Run pushes the service
// manager's start timeout (TimeoutStartSec) back with EXTEND_TIMEOUT_USEC
// and says how long it has been starting: a first start on a large store
// builds its indexes and projections once (the queue projection of every
// open ticket, for one), and a unit killed at its timeout would restart
// into the same work forever. It stops once started, or after
// startExtendMax, when the unit's own timeout applies again.
var startExtendEvery = 30 * time.Second

const startExtendMax = time.Hour

// extendStartTimeout starts the extender; the returned func stops it (Run
// calls it once started, and on its way out).
func (d *Daemon) extendStartTimeout() (stop func()) {
	done := make(chan struct{})
	var once sync.Once
	stop = func() { once.Do(func() { close(done) }) }
	if os.Getenv("NOTIFY_SOCKET") == "" {
		return stop
	}
	every := startExtendEvery
	go func() {
		began := time.Now()
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
			}
			took := time.Since(began)
			if took > startExtendMax {
				d.log.Warn("still starting; no longer extending the service manager's start timeout", "took", took.Round(time.Second))
				return
			}
			d.sdNotify(fmt.Sprintf("EXTEND_TIMEOUT_USEC=%d\nSTATUS=starting for %s (a first start on a large store builds its indexes once)",
				(3 * every).Microseconds(), took.Round(time.Second)))
		}
	}()
	return stop
}

// readyPoll is how often readiness is re-checked before READY=1.
const readyPoll = 250 * time.Millisecond

// notifyWhenReady sends READY=1 once /readyz says ready, in the background;
// it gives up when the daemon stops first.
func (d *Daemon) notifyWhenReady(ctx context.Context) {
	if os.Getenv("NOTIFY_SOCKET") == "" {
		return
	}
	go func() {
		lastStatus := ""
		for {
			ok, waiting := d.readyNow(ctx)
			if ok {
				d.sdNotify(sd.SdNotifyReady + "\nSTATUS=ready, serving on " + d.HTTP.Addr())
				return
			}
			if st := "STATUS=waiting for " + waiting; st != lastStatus {
				lastStatus = st
				d.sdNotify(st)
			}
			select {
			case <-ctx.Done():
				return
			case <-d.stop:
				return
			case <-time.After(readyPoll):
			}
		}
	}()
}

// notifyStopping sends STOPPING=1 when NOTIFY_SOCKET is set.
func (d *Daemon) notifyStopping() {
	if os.Getenv("NOTIFY_SOCKET") != "" {
		d.sdNotify(sd.SdNotifyStopping)
	}
}

func (d *Daemon) sdNotify(state string) {
	if _, err := sd.SdNotify(false, state); err != nil {
		d.log.Warn("cannot notify the service manager", "socket", os.Getenv("NOTIFY_SOCKET"), "err", err)
	}
}

// readyNow asks /readyz, in process, whether the daemon is ready; when it
// is not, it names the checks that fail.
func (d *Daemon) readyNow(ctx context.Context) (bool, string) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "/readyz", nil)
	if err != nil {
		return false, err.Error()
	}
	rec := &statusRecorder{header: http.Header{}}
	d.HTTP.ServeHTTP(rec, req)
	if rec.code == http.StatusOK {
		return true, ""
	}
	var body struct {
		Checks map[string]string `json:"checks"`
	}
	_ = json.Unmarshal([]byte(rec.body.String()), &body)
	var failing []string
	for name, state := range body.Checks {
		if state != "ok" {
			failing = append(failing, fmt.Sprintf("%s (%s)", name, state))
		}
	}
	sort.Strings(failing)
	if len(failing) == 0 {
		return false, fmt.Sprintf("/readyz (status %d)", rec.code)
	}
	return false, strings.Join(failing, ", ")
}

// statusRecorder is the ResponseWriter of an in-process /readyz.
type statusRecorder struct {
	header http.Header
	code   int
	body   strings.Builder
}

func (r *statusRecorder) Header() http.Header { return r.header }
func (r *statusRecorder) WriteHeader(code int) {
	if r.code == 0 {
		r.code = code
	}
}
func (r *statusRecorder) Write(b []byte) (int, error) {
	if r.code == 0 {
		r.code = http.StatusOK
	}
	return r.body.Write(b)
}
