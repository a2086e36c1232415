// Package prometheus_test checks the alerting rules of `cxstar ingest` with Prometheus's own
// promtool, and holds them to the metrics ingest really exports.
package prometheus_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"gopkg.in/yaml.v3"

	_ "github.com/cxstar/cxstar/ingest" // registers ingest's collectors in the default registry
)

const rulesFile = "cxstar-ingest.rules.yml"

// promtool returns the path of promtool or fails the test: the rules are only tested for real.
func promtool(t *testing.T) string {
	t.Helper()
	p, err := exec.LookPath("promtool")
	if err != nil {
		t.Fatalf("promtool not found (%v): install Debian's prometheus package (apt-get install -y prometheus), which provides /usr/bin/promtool", err)
	}
	return p
}

// TestPromtool runs `promtool check rules` and `promtool test rules` (rules_test.yml).
func TestPromtool(t *testing.T) {
	p := promtool(t)
	for _, args := range [][]string{{"check", "rules", rulesFile}, {"test", "rules", "rules_test.yml"}} {
		out, err := exec.Command(p, args...).CombinedOutput()
		if err != nil || !strings.Contains(string(out), "SUCCESS") {
			t.Errorf("promtool %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
}

type rulesDoc struct {
	Groups []struct {
		Rules []struct {
			Alert string `yaml:"alert"`
			Expr  string `yaml:"expr"`
		} `yaml:"rules"`
	} `yaml:"groups"`
}

type testsDoc struct {
	Tests []struct {
		AlertRuleTest []struct {
			Alertname string `yaml:"alertname"`
			ExpAlerts []any  `yaml:"exp_alerts"`
		} `yaml:"alert_rule_test"`
	} `yaml:"tests"`
}

func readYAML(t *testing.T, path string, v any) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal(data, v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}

// TestEveryRuleFiresAndStaysSilent: every alert has at least one case where it fires and one
// where it must not, and the tests name no alert the rules lack.
func TestEveryRuleFiresAndStaysSilent(t *testing.T) {
	var rules rulesDoc
	var tests testsDoc
	readYAML(t, rulesFile, &rules)
	readYAML(t, "rules_test.yml", &tests)
	fired, silent := map[string]int{}, map[string]int{}
	for _, tc := range tests.Tests {
		for _, a := range tc.AlertRuleTest {
			if len(a.ExpAlerts) > 0 {
				fired[a.Alertname]++
			} else {
				silent[a.Alertname]++
			}
		}
	}
	alerts := map[string]bool{}
	for _, g := range rules.Groups {
		for _, r := range g.Rules {
			alerts[r.Alert] = true
			if fired[r.Alert] == 0 || silent[r.Alert] == 0 {
				t.Errorf("%s: %d firing and %d silent cases; want at least one of each", r.Alert, fired[r.Alert], silent[r.Alert])
			}
		}
	}
	if len(alerts) < 6 {
		t.Fatalf("only %d alerts read from %s", len(alerts), rulesFile)
	}
	for name := range fired {
		if !alerts[name] {
			t.Errorf("rules_test.yml tests %s, which is not a rule", name)
		}
	}
}

// TestRulesUseExportedMetrics: every metric a rule reads is one ingest exports — a cxstar_…
// collector defined in ingest's sources, or a Go runtime metric of the default registry that
// `cxstar ingest` serves on /metrics — so a renamed metric cannot silently disarm an alert.
func TestRulesUseExportedMetrics(t *testing.T) {
	var rules rulesDoc
	readYAML(t, rulesFile, &rules)
	exported := map[string]bool{"up": true} // set by Prometheus itself for every target
	files, _ := filepath.Glob("../../ingest/*.go")
	nameRE := regexp.MustCompile(`Name:\s*"(cxstar_[a-z_]+)"`)
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range nameRE.FindAllStringSubmatch(string(data), -1) {
			exported[m[1]] = true
		}
	}
	mfs, err := prometheus.DefaultGatherer.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		exported[mf.GetName()] = true
	}
	if !exported["cxstar_kafka_consumer_lag"] || !exported["go_memstats_heap_alloc_bytes"] {
		t.Fatalf("could not read ingest's metrics (found %d names)", len(exported))
	}
	// Metric names in an expression: identifiers followed by { or [ or standing alone, minus
	// PromQL functions, aggregations, keywords and label names inside by/without/on (…).
	stripped := regexp.MustCompile(`(by|without|on|ignoring)\s*\([^)]*\)|\{[^}]*\}|"[^"]*"`)
	ident := regexp.MustCompile(`[a-zA-Z_:][a-zA-Z0-9_:]*`)
	notMetric := map[string]bool{"sum": true, "rate": true, "increase": true, "deriv": true, "changes": true,
		"and": true, "or": true, "unless": true, "m": true}
	var missing []string
	for _, g := range rules.Groups {
		for _, r := range g.Rules {
			for _, id := range ident.FindAllString(stripped.ReplaceAllString(r.Expr, " "), -1) {
				if notMetric[id] || regexp.MustCompile(`^[0-9]`).MatchString(id) {
					continue
				}
				if !exported[id] {
					missing = append(missing, r.Alert+": "+id)
				}
			}
		}
	}
	sort.Strings(missing)
	if len(missing) > 0 {
		t.Errorf("rules read metrics ingest does not export:\n%s", strings.Join(missing, "\n"))
	}
}
