package dashboards_test

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/cxstar/cxstar/dashboards"
)

// TestPipelineMetricsExist: every cxstar_ metric a pipeline panel reads is one `cxstar ingest`
// registers (its name appears as a string in ingest's code; histograms with _bucket).
func TestPipelineMetricsExist(t *testing.T) {
	files, _ := filepath.Glob("../ingest/*.go")
	var src strings.Builder
	for _, f := range files {
		if !strings.HasSuffix(f, "_test.go") {
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			src.Write(b)
		}
	}
	re := regexp.MustCompile(`cxstar_[a-z_]+`)
	n := 0
	for _, p := range dashboards.PipelinePanels {
		for _, m := range re.FindAllString(p.Expr, -1) {
			n++
			name := strings.TrimSuffix(m, "_bucket")
			if !strings.Contains(src.String(), `"`+name+`"`) {
				t.Errorf("panel %q reads %s, which ingest does not register", p.TitleEN, m)
			}
		}
	}
	if n < 8 {
		t.Errorf("only %d metric names checked", n)
	}
}
