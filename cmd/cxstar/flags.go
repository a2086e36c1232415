package main

import (
	"flag"
	"fmt"
	"os"
	"strconv"
	"time"

	"github.com/cxstar/cxstar/internal/secret"
	"github.com/cxstar/cxstar/internal/store"
	"github.com/cxstar/cxstar/metrics"
	"github.com/cxstar/cxstar/quarter"
)

// newFlagSet returns a FlagSet whose --help prints the command's synopsis and flags.
func newFlagSet(name, synopsis string) *flag.FlagSet {
	fs := flag.NewFlagSet("cxstar "+name, flag.ContinueOnError)
	fs.SetOutput(secret.Writer(os.Stderr)) // --help defaults from the environment may hold a password
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "Usage: cxstar %s\n\n", synopsis)
		fs.PrintDefaults()
	}
	return fs
}

// envString defines a string flag whose default comes from the environment variable env when set.
func envString(fs *flag.FlagSet, name, env, def, usage string) *string {
	if v, ok := os.LookupEnv(env); ok {
		def = v
	}
	return fs.String(name, def, usage+" (env "+env+")")
}

// envInt defines an int flag with an environment fallback.
func envInt(fs *flag.FlagSet, name, env string, def int, usage string) *int {
	if v, ok := os.LookupEnv(env); ok {
		if n, err := strconv.Atoi(v); err == nil {
			def = n
		} else {
			fmt.Fprintf(os.Stderr, "cxstar: ignoring %s=%q: not an integer\n", env, v)
		}
	}
	return fs.Int(name, def, usage+" (env "+env+")")
}

// envBool defines a bool flag with an environment fallback (1, t, true, 0, f, false, …).
func envBool(fs *flag.FlagSet, name, env string, def bool, usage string) *bool {
	if v, ok := os.LookupEnv(env); ok {
		if b, err := strconv.ParseBool(v); err == nil {
			def = b
		} else {
			fmt.Fprintf(os.Stderr, "cxstar: ignoring %s=%q: not true or false\n", env, v)
		}
	}
	return fs.Bool(name, def, usage+" (env "+env+")")
}

// envFloat defines a float flag with an environment fallback.
func envFloat(fs *flag.FlagSet, name, env string, def float64, usage string) *float64 {
	if v, ok := os.LookupEnv(env); ok {
		if x, err := strconv.ParseFloat(v, 64); err == nil {
			def = x
		} else {
			fmt.Fprintf(os.Stderr, "cxstar: ignoring %s=%q: not a number\n", env, v)
		}
	}
	return fs.Float64(name, def, usage+" (env "+env+")")
}

// envDuration defines a duration flag with an environment fallback.
func envDuration(fs *flag.FlagSet, name, env string, def time.Duration, usage string) *time.Duration {
	if v, ok := os.LookupEnv(env); ok {
		if d, err := time.ParseDuration(v); err == nil {
			def = d
		} else {
			fmt.Fprintf(os.Stderr, "cxstar: ignoring %s=%q: not a duration like 5s\n", env, v)
		}
	}
	return fs.Duration(name, def, usage+" (env "+env+")")
}

// atLeast refuses an integer flag below min, naming the flag and its default.
func atLeast(flagName string, v, min, def int) error {
	if v < min {
		return fmt.Errorf("--%s %d: must be at least %d (default %d)", flagName, v, min, def)
	}
	return nil
}

// positive refuses a duration flag that is not above zero, naming the flag and its default.
func positive(flagName string, d, def time.Duration) error {
	if d <= 0 {
		return fmt.Errorf("--%s %s: must be above zero (default %s)", flagName, d, def)
	}
	return nil
}

// clickhouseFlag defines --clickhouse, the DSN of the ClickHouse database.
func clickhouseFlag(fs *flag.FlagSet) *string {
	return clickhouseDSNFlags(fs, "clickhouse", "CXSTAR_CLICKHOUSE", store.DefaultDSN,
		"ClickHouse `DSN`, native protocol: clickhouse://user@host:9000/database (TLS: see the --clickhouse-… flags and docs/security.md)")
}

// quarterFlags are --quarter and --tz, defined alike by every command that reads a quarter.
type quarterFlags struct{ quarter, tz *string }

// addQuarterFlags defines --quarter (what: "to assess", "to report", …) and --tz.
func addQuarterFlags(fs *flag.FlagSet, what string) quarterFlags {
	return quarterFlags{
		quarter: envString(fs, "quarter", "CXSTAR_QUARTER", "", "quarter "+what+", YYYYQn (default: the last complete quarter in --tz)"),
		tz:      envString(fs, "tz", "CXSTAR_TZ", "", "time zone of the quarter boundaries, an IANA name (default: the band file's parameters.timezone, Europe/Moscow)"),
	}
}

// resolve returns the quarter of --quarter, or the last complete one at now, in --tz or else in
// the time zone of band set b (nil: the embedded band file's). This is the one default-quarter
// rule of every command.
func (f quarterFlags) resolve(b *metrics.BandSet, now time.Time) (quarter.Quarter, error) {
	loc, err := metrics.QuarterLocation(*f.tz, b)
	if err != nil {
		return quarter.Quarter{}, fmt.Errorf("--tz: %w", err)
	}
	if *f.quarter == "" {
		return quarter.LastComplete(now, loc), nil
	}
	q, err := quarter.Parse(*f.quarter, loc)
	if err != nil {
		return q, fmt.Errorf("--quarter: %w", err)
	}
	return q, nil
}
