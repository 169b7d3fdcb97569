package daemon

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"sort"
	"strings"
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
