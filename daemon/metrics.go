package daemon

import (
	"runtime"
	"runtime/debug"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

// Version is set at build time with -ldflags "-X turno/daemon.Version=v1.2.3".
var Version = "dev"

// newRegistry returns a registry with the Go and process collectors and
// turno_build_info. Each daemon has its own, so tests can run several.
func newRegistry() *prometheus.Registry {
	reg := prometheus.NewRegistry()
	reg.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
	)
	info := prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "turno_build_info",
		Help: "Build information of the running turno binary; always 1.",
	}, []string{"version", "revision", "goversion"})
	info.WithLabelValues(Version, revision(), runtime.Version()).Set(1)
	reg.MustRegister(info)
	reg.MustRegister(bouncesRefused)
	return reg
}

func revision() string {
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, s := range bi.Settings {
			if s.Key == "vcs.revision" {
				return s.Value
			}
		}
	}
	return "unknown"
}
