package main

import (
	"os"
	"testing"
)

// TestOfficialFlagsEnv: --close, --reason and --revision take their defaults from CXSTAR_CLOSE,
// CXSTAR_REASON and CXSTAR_REVISION, and a flag on the command line wins over the environment.
func TestOfficialFlagsEnv(t *testing.T) {
	for _, tc := range []struct {
		name     string
		env      map[string]string
		args     []string
		close    bool
		reason   string
		revision string
	}{
		{"defaults", nil, nil, false, "", ""},
		{"env", map[string]string{"CXSTAR_CLOSE": "true", "CXSTAR_REASON": "late appeals", "CXSTAR_REVISION": "2"}, nil, true, "late appeals", "2"},
		{"flags win", map[string]string{"CXSTAR_CLOSE": "true", "CXSTAR_REASON": "late appeals"}, []string{"--close=false", "--reason", "registry fix"}, false, "registry fix", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, k := range []string{"CXSTAR_CLOSE", "CXSTAR_REASON", "CXSTAR_REVISION"} {
				t.Setenv(k, "") // restored after the test
				if v, ok := tc.env[k]; ok {
					t.Setenv(k, v)
				} else {
					os.Unsetenv(k)
				}
			}
			fs := newFlagSet("assess", "assess")
			f := addOfficialFlags(fs)
			if err := fs.Parse(tc.args); err != nil {
				t.Fatal(err)
			}
			if *f.close != tc.close || *f.reason != tc.reason || *f.revision != tc.revision {
				t.Errorf("close %v reason %q revision %q, want %v %q %q", *f.close, *f.reason, *f.revision, tc.close, tc.reason, tc.revision)
			}
		})
	}
}
