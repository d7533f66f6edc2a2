package cli

import (
	"runtime/debug"
	"testing"
)

func TestBuildStamp(t *testing.T) {
	t.Parallel()
	vcs := []debug.BuildSetting{{Key: "vcs", Value: "git"}, {Key: "vcs.revision", Value: "abc123"}}
	for _, tt := range []struct {
		name                    string
		version, commit         string
		info                    *debug.BuildInfo
		ok                      bool
		wantVersion, wantCommit string
	}{
		{"release build", "v1.2.3", "feed42", &debug.BuildInfo{Main: debug.Module{Version: "(devel)"}, Settings: vcs}, true, "v1.2.3", "feed42"},
		{"go install @v1.4.0", "dev", "", &debug.BuildInfo{Main: debug.Module{Version: "v1.4.0"}}, true, "v1.4.0", "unknown"},
		{"go build in a checkout", "dev", "", &debug.BuildInfo{Main: debug.Module{Version: "(devel)"}, Settings: vcs}, true, "dev", "abc123"},
		{"no build info", "dev", "", nil, false, "dev", "unknown"},
	} {
		v, c := buildStamp(tt.version, tt.commit, tt.info, tt.ok)
		if v != tt.wantVersion || c != tt.wantCommit {
			t.Errorf("%s: %q, %q; want %q, %q", tt.name, v, c, tt.wantVersion, tt.wantCommit)
		}
	}
}
