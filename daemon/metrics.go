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
		Help: "Build information of the running turno binary; always 1. revision is the git commit it was built from (modified: with uncommitted changes), \"unknown\" outside a checkout.",
	}, []string{"version", "revision", "modified", "goversion"})
	rev, modified := revision()
	info.WithLabelValues(Version, rev, modified, runtime.Version()).Set(1)
	reg.MustRegister(info)
	reg.MustRegister(bouncesRefused)
	return reg
}

// revision is the VCS commit Go embedded at build time (go build in a git
// checkout) and whether the tree had uncommitted changes ("true",
// "false"); "unknown" and "" without VCS information (go test, -buildvcs=false).
func revision() (rev, modified string) {
	rev = "unknown"
	if bi, ok := debug.ReadBuildInfo(); ok {
		rev, modified = vcsInfo(bi.Settings, rev)
	}
	return rev, modified
}

func vcsInfo(settings []debug.BuildSetting, rev string) (string, string) {
	modified := ""
	for _, s := range settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			modified = s.Value
		}
	}
	return rev, modified
}
