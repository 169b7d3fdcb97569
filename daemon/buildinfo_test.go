package daemon

import (
	"runtime/debug"
	"testing"
)

// turno_build_info's revision and modified come from the VCS settings Go
// embeds (go build -buildvcs=true in a git checkout); without them the
// revision says "unknown".
func TestBuildInfoRevisionFromVCS(t *testing.T) {
	rev, mod := vcsInfo([]debug.BuildSetting{{Key: "vcs", Value: "git"},
		{Key: "vcs.revision", Value: "9b2334cc1032afc605bb90dc56ee2cbf78b1ba76"}, {Key: "vcs.modified", Value: "true"}}, "unknown")
	if rev != "9b2334cc1032afc605bb90dc56ee2cbf78b1ba76" || mod != "true" {
		t.Errorf("revision %q modified %q", rev, mod)
	}
	if rev, mod := vcsInfo([]debug.BuildSetting{{Key: "-buildmode", Value: "exe"}}, "unknown"); rev != "unknown" || mod != "" {
		t.Errorf("without VCS information: revision %q modified %q", rev, mod)
	}
}
