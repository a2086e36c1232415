package main

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"
)

// TestDefaultQuarter: assess, report and export resolve --quarter and --tz with quarterFlags, so
// in the first hours of a quarter they all pick the quarter that has just ended in the band file's
// time zone (Moscow, UTC+3), or in --tz when it is set.
func TestDefaultQuarter(t *testing.T) {
	for _, tc := range []struct {
		now, quarter, tz string
		want             string
		startUTC         string
	}{
		{"2026-09-30T20:59:59Z", "", "", "2026Q2", "2026-03-31T21:00:00Z"},
		{"2026-09-30T21:00:00Z", "", "", "2026Q3", "2026-06-30T21:00:00Z"},
		{"2026-09-30T22:30:00Z", "", "UTC", "2026Q2", "2026-04-01T00:00:00Z"},
		{"2026-10-01T00:00:00Z", "", "UTC", "2026Q3", "2026-07-01T00:00:00Z"},
		{"2026-09-30T22:30:00Z", "2025q4", "", "2025Q4", "2025-09-30T21:00:00Z"},
	} {
		fs := newFlagSet("assess", "assess")
		qf := addQuarterFlags(fs, "to assess")
		if err := fs.Parse([]string{"--quarter", tc.quarter, "--tz", tc.tz}); err != nil {
			t.Fatal(err)
		}
		now, _ := time.Parse(time.RFC3339, tc.now)
		q, err := qf.resolve(nil, now)
		if err != nil {
			t.Fatalf("at %s: %v", tc.now, err)
		}
		if got := q.Start().UTC().Format(time.RFC3339); q.String() != tc.want || got != tc.startUTC {
			t.Errorf("at %s (--quarter %q --tz %q): %s starting %s, want %s starting %s", tc.now, tc.quarter, tc.tz, q, got, tc.want, tc.startUTC)
		}
	}
	fs := newFlagSet("assess", "assess")
	qf := addQuarterFlags(fs, "to assess")
	_ = fs.Parse([]string{"--tz", "Mars/Olympus"})
	if _, err := qf.resolve(nil, time.Now()); err == nil {
		t.Error("--tz Mars/Olympus accepted")
	}
}

// TestEnvRefused: a CXSTAR_… variable that cannot be read as its flag's type stops the command
// with the variable and the flag named; an empty one counts as unset; a good one is the default
// and the command line still wins over it.
func TestEnvRefused(t *testing.T) {
	for _, tc := range []struct {
		name, env, value string
		args             []string
		want             string // error text, or the flag's value when there is no error
	}{
		{"int", "CXSTAR_TEST_N", "ten", nil, `CXSTAR_TEST_N="ten" (the variable of --n) is not an integer`},
		{"bool", "CXSTAR_TEST_B", "yes", nil, `CXSTAR_TEST_B="yes" (the variable of --b) is not true or false`},
		{"float", "CXSTAR_TEST_F", "1,5", nil, `CXSTAR_TEST_F="1,5" (the variable of --f) is not a number`},
		{"duration", "CXSTAR_TEST_D", "5", nil, `CXSTAR_TEST_D="5" (the variable of --d) is not a duration like 5s`},
		{"refused with the flag given", "CXSTAR_TEST_N", "ten", []string{"--n", "3"}, `CXSTAR_TEST_N="ten"`},
		{"clickhouse secure", "CXSTAR_CLICKHOUSE_SECURE", "on", nil, `CXSTAR_CLICKHOUSE_SECURE="on" (the variable of --clickhouse-secure) is not true or false`},
		{"kafka tls", "CXSTAR_KAFKA_TLS", "on", nil, `CXSTAR_KAFKA_TLS="on" (the variable of --kafka-tls) is not true or false`},
		{"empty is unset", "CXSTAR_TEST_N", "", nil, "n=7"},
		{"good", "CXSTAR_TEST_N", "12", nil, "n=12"},
		{"flag wins", "CXSTAR_TEST_N", "12", []string{"--n", "3"}, "n=3"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv(tc.env, tc.value)
			fs := newFlagSet("test", "test")
			n := envInt(fs, "n", "CXSTAR_TEST_N", 7, "")
			envBool(fs, "b", "CXSTAR_TEST_B", false, "")
			envFloat(fs, "f", "CXSTAR_TEST_F", 0, "")
			envDuration(fs, "d", "CXSTAR_TEST_D", time.Second, "")
			clickhouseFlag(fs)
			kafkaSecurityFlags(fs)
			err := fs.Parse(tc.args)
			got := fmt.Sprintf("n=%d", *n)
			if err != nil {
				got = err.Error()
			}
			if !strings.Contains(got, tc.want) {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}

// TestOutOfRangeRefused: values out of range stop the command with the flag named, whether they
// came from the command line or the environment.
func TestOutOfRangeRefused(t *testing.T) {
	t.Setenv("CXSTAR_TIMEOUT", "")
	for _, tc := range []struct {
		name string
		env  map[string]string
		args []string
		want string
	}{
		{"timeout", nil, []string{"--timeout", "0s"}, "--timeout 0s: must be above zero (default 10m0s)"},
		{"timeout from env", map[string]string{"CXSTAR_TIMEOUT": "-1s"}, nil, "--timeout -1s: must be above zero"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for k, v := range tc.env {
				t.Setenv(k, v)
			}
			fs := newFlagSet("test", "test")
			ch := addCHFlags(fs)
			if err := fs.parseNoArgs(tc.args); err != nil {
				t.Fatal(err)
			}
			_, _, _, err := ch.open(context.Background())
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want %q", err, tc.want)
			}
		})
	}
	fs := newFlagSet("test", "test")
	if err := fs.parseNoArgs([]string{"extra"}); err == nil || !strings.Contains(err.Error(), "unexpected arguments [extra] (see cxstar test --help)") {
		t.Errorf("parseNoArgs(extra): %v", err)
	}
}
