package kafkatest_test

import (
	"bufio"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"regexp"
	"strconv"
	"testing"
	"time"

	"github.com/cxstar/cxstar/ingest"
)

// statsOf reads the counts of a running process from its /healthz.
func statsOf(port int) ingest.ConsumerStats {
	var body struct{ Stats ingest.ConsumerStats }
	resp, err := http.Get(fmt.Sprintf("http://127.0.0.1:%d/healthz", port))
	if err != nil {
		return body.Stats
	}
	defer resp.Body.Close()
	_ = json.NewDecoder(resp.Body).Decode(&body)
	return body.Stats
}

var lagLine = regexp.MustCompile(`^cxstar_kafka_consumer_lag\{partition="(\d+)",topic="([^"]+)"\} (\S+)`)

// lags scrapes the per-partition consumer lag of a process.
func lags(port int) map[string]float64 {
	out := map[string]float64{}
	resp, err := http.Get(fmt.Sprintf("http://127.0.0.1:%d/metrics", port))
	if err != nil {
		return out
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		if m := lagLine.FindStringSubmatch(sc.Text()); m != nil {
			v, _ := strconv.ParseFloat(m[3], 64)
			out[m[2]+"/"+m[1]] = v
		}
	}
	return out
}

func healthz(port int) int {
	resp, err := http.Get(fmt.Sprintf("http://127.0.0.1:%d/healthz", port))
	if err != nil {
		return 0
	}
	resp.Body.Close()
	return resp.StatusCode
}

func waitListening(t *testing.T, addr string, p *proc) {
	t.Helper()
	for i := 0; i < 200; i++ {
		if c, err := net.Dial("tcp", addr); err == nil {
			c.Close()
			return
		}
		select {
		case <-p.done:
			t.Fatalf("broker exited: %v", p.err)
		case <-time.After(50 * time.Millisecond):
		}
	}
	t.Fatalf("broker not listening on %s after 10 s", addr)
}

var assignedLine = regexp.MustCompile(`^cxstar_kafka_assigned_partition\{partition="(\d+)",topic="([^"]+)"\} 1`)

// owned scrapes a process's /metrics for the partitions it owns in the current generation.
func owned(port int) []string {
	resp, err := http.Get(fmt.Sprintf("http://127.0.0.1:%d/metrics", port))
	if err != nil {
		return nil
	}
	defer resp.Body.Close()
	var out []string
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		if m := assignedLine.FindStringSubmatch(sc.Text()); m != nil {
			out = append(out, m[2]+"/"+m[1])
		}
	}
	return out
}
