package depcheck_test

import (
	"bufio"
	"bytes"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cxstar/cxstar/internal/testkit/chtest"
	"github.com/cxstar/cxstar/internal/testkit/depcheck"
)

func TestNames(t *testing.T) {
	for _, c := range []struct {
		text string
		want bool
	}{
		{"github.com/grafana/grafana", true},
		{"github.com/grafana/grafana v1.9.2-0.20230609164553-81d85ce8028d", true},
		{"go mod download github.com/grafana/grafana@v1.9.2", true},
		{"github.com/grafana/grafana/pkg/tsdb/sqleng", true},
		{`"github.com/grafana/grafana"`, true},
		{"github.com/grafana/grafana-foundation-sdk/go v0.0.12", false},
		{"github.com/grafana/grafana-openapi-client-go v0.0.0-20260330113218-ee77c4f6f90e", false},
		{"github.com/grafana/grafana-plugin-sdk-go v0.278.0", false},
		{"github.com/grafana/clickhouse-datasource@v1.1.2", false},
		{"github.com/grafana/grafana.x", false},
	} {
		if got := depcheck.Names(c.text); got != c.want {
			t.Errorf("Names(%q) = %v, want %v", c.text, got, c.want)
		}
	}
}

// TestNoGrafanaServer fails when the Grafana server's module is among the build's modules, in
// go.sum, or named by a script under scripts/ or .ci/.
func TestNoGrafanaServer(t *testing.T) {
	root := chtest.RepoRoot()
	cmd := exec.Command("go", "list", "-m", "all")
	cmd.Dir = root
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list -m all: %v", err)
	}
	if n := bytes.Count(out, []byte("\n")); n < 10 {
		t.Fatalf("go list -m all listed only %d modules:\n%s", n, out)
	}
	check := func(what string, text []byte) {
		sc := bufio.NewScanner(bytes.NewReader(text))
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for i := 1; sc.Scan(); i++ {
			if depcheck.Names(sc.Text()) {
				t.Errorf("%s:%d names %s (AGPL, not to be used in any form): %s", what, i, depcheck.Forbidden, strings.TrimSpace(sc.Text()))
			}
		}
	}
	check("go list -m all", out)
	sum, err := os.ReadFile(filepath.Join(root, "go.sum"))
	if err != nil {
		t.Fatal(err)
	}
	check("go.sum", sum)
	files := 0
	for _, dir := range []string{"scripts", ".ci"} {
		err := filepath.WalkDir(filepath.Join(root, dir), func(path string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			b, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			files++
			rel, _ := filepath.Rel(root, path)
			check(rel, b)
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	if files < 2 {
		t.Errorf("only %d files under scripts/ and .ci/: the check looked in the wrong place", files)
	}
}
