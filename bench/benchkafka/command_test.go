package benchkafka

import (
	"context"
	"slices"
	"strings"
	"testing"
)

// TestIngestCommandKeepsDSNOffArgv: the DSN of the scratch database, password included, reaches
// the ingest process through its environment only; its argv (what `ps` shows) holds no part of it.
func TestIngestCommandKeepsDSNOffArgv(t *testing.T) {
	const password = "s3cret-Pa55"
	dsn := "clickhouse://bench:" + password + "@127.0.0.1:19000/cxstar_bench_kafka?secure=true"
	for _, profile := range []string{"", "/tmp/prof/ingest.pprof"} {
		cmd := ingestCommand(context.Background(), Options{Binary: "/bin/cxstar", DSN: dsn, BatchMessages: 50_000}, "127.0.0.1:9092", "g", profile)
		argv := strings.Join(cmd.Args, " ")
		for _, part := range []string{password, "clickhouse://", "cxstar_bench_kafka", "--clickhouse"} {
			if strings.Contains(argv, part) {
				t.Errorf("argv %q holds %q", argv, part)
			}
		}
		// The last CXSTAR_CLICKHOUSE wins in exec; it must be the bench's own DSN.
		var last string
		for _, kv := range cmd.Env {
			if v, ok := strings.CutPrefix(kv, "CXSTAR_CLICKHOUSE="); ok {
				last = v
			}
		}
		if last != dsn {
			t.Errorf("CXSTAR_CLICKHOUSE in the child's environment = %q, want %q", last, dsn)
		}
		if want := []string{"/bin/cxstar", "ingest", "--brokers", "127.0.0.1:9092"}; !slices.Equal(cmd.Args[:4], want) {
			t.Errorf("argv starts %q, want %q", cmd.Args[:4], want)
		}
		if got := slices.Contains(cmd.Args, "--cpu-profile"); got != (profile != "") {
			t.Errorf("profile %q: --cpu-profile on argv = %v", profile, got)
		}
	}
}
