package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/cxstar/cxstar/internal/secret"
	"github.com/cxstar/cxstar/internal/store"
	"github.com/cxstar/cxstar/metrics"
	"github.com/cxstar/cxstar/quarter"
)

// flagSet is a command's flags: a flag.FlagSet whose Parse also refuses the CXSTAR_… values that
// could not be read while the flags were defined. A variable that is set but is not a number, a
// boolean or a duration stops the command with its name and its flag's; it is never ignored.
type flagSet struct {
	*flag.FlagSet
	envErrs []error
	checks  []func() error // range and choice checks of the flags, run by Parse in definition order
}

// newFlagSet returns a flagSet whose --help prints the command's synopsis and flags.
func newFlagSet(name, synopsis string) *flagSet {
	fs := flag.NewFlagSet("cxstar "+name, flag.ContinueOnError)
	fs.SetOutput(secret.Writer(os.Stderr)) // --help defaults from the environment may hold a password
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "Usage: cxstar %s\n\n", synopsis)
		fs.PrintDefaults()
	}
	return &flagSet{FlagSet: fs}
}

// Parse parses the command line, then refuses what the environment gave that could not be read
// and the values outside their flag's range or choices.
func (fs *flagSet) Parse(args []string) error {
	if err := fs.FlagSet.Parse(args); err != nil {
		return err
	}
	if err := errors.Join(fs.envErrs...); err != nil {
		return err
	}
	for _, check := range fs.checks {
		if err := check(); err != nil {
			return err
		}
	}
	return nil
}

// parseNoArgs is Parse for the commands that take no positional arguments: it refuses them.
func (fs *flagSet) parseNoArgs(args []string) error {
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %v (see %s --help)", fs.Args(), fs.Name())
	}
	return nil
}

// check adds fn to the checks Parse runs, in the order they were added, once the command line
// and the environment are read: a flag's range, choices or syntax.
func (fs *flagSet) check(fn func() error) { fs.checks = append(fs.checks, fn) }

// parsePaths is Parse for the commands that work on files or directories given as arguments: it
// prints the usage and refuses a command line without any (what: "load", "publish", …).
func (fs *flagSet) parsePaths(args []string, what string) error {
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() == 0 {
		fs.Usage()
		return fmt.Errorf("give at least one file or directory to %s", what)
	}
	return nil
}

// envValue returns the value of the environment variable env read by parse, or def when env is
// unset or empty; a value parse refuses (want says what it should be) is kept for Parse to report.
func envValue[T any](fs *flagSet, name, env string, def T, parse func(string) (T, error), want string) T {
	v := os.Getenv(env)
	if v == "" {
		return def
	}
	x, err := parse(v)
	if err != nil {
		fs.envErrs = append(fs.envErrs, fmt.Errorf("%s=%q (the variable of --%s) is not %s: correct or unset it", env, v, name, want))
		return def
	}
	return x
}

// setFromEnv sets v from the environment variable env of flag --name when env is set and not
// empty; a value v refuses is kept for Parse to report.
func setFromEnv(fs *flagSet, v flag.Value, name, env, want string) {
	envValue(fs, name, env, struct{}{}, func(s string) (struct{}, error) { return struct{}{}, v.Set(s) }, want)
}

// envString defines a string flag whose default comes from the environment variable env when set.
func envString(fs *flagSet, name, env, def, usage string) *string {
	if v, ok := os.LookupEnv(env); ok {
		def = v
	}
	return fs.String(name, def, usage+" (env "+env+")")
}

// envInt defines an int flag with an environment fallback.
func envInt(fs *flagSet, name, env string, def int, usage string) *int {
	return fs.Int(name, envValue(fs, name, env, def, strconv.Atoi, "an integer"), usage+" (env "+env+")")
}

// envIntMin is envInt for a flag whose value must be at least min; Parse refuses a smaller one,
// naming the flag and its default.
func envIntMin(fs *flagSet, name, env string, def, min int, usage string) *int {
	v := envInt(fs, name, env, def, usage)
	fs.check(func() error { return atLeast(name, *v, min, def) })
	return v
}

// envChoice is envString for a flag that takes one of choices; Parse refuses any other value,
// naming the flag and the choices.
func envChoice(fs *flagSet, name, env, def, usage string, choices ...string) *string {
	v := envString(fs, name, env, def, usage)
	fs.check(func() error {
		if slices.Contains(choices, *v) {
			return nil
		}
		return fmt.Errorf("--%s %q: use %s", name, *v, orList(choices))
	})
	return v
}

// orList writes choices as "a, b or c".
func orList(choices []string) string {
	if len(choices) < 2 {
		return strings.Join(choices, "")
	}
	return strings.Join(choices[:len(choices)-1], ", ") + " or " + choices[len(choices)-1]
}

// formatFlag defines --format (CXSTAR_FORMAT) of the commands that print scorecards or lists:
// table, json (one object per unit per line) or csv; Parse refuses any other value.
func formatFlag(fs *flagSet, unit string) *string {
	return envChoice(fs, "format", "CXSTAR_FORMAT", "table", "output: table, json (one object per "+unit+" per line) or csv", "table", "json", "csv")
}

// langFlag defines --lang (CXSTAR_LANG, ru or en; what: what it sets the language of) and
// returns the language Parse reads from it.
func langFlag(fs *flagSet, what string) *metrics.Lang {
	s := envString(fs, "lang", "CXSTAR_LANG", "ru", what+": ru or en")
	l := new(metrics.Lang)
	fs.check(func() (err error) {
		if *l, err = metrics.ParseLang(*s); err != nil {
			return fmt.Errorf("--lang: %w", err)
		}
		return nil
	})
	return l
}

// agencyFlag defines --agency (CXSTAR_AGENCY), the one agency_id a command works on.
func agencyFlag(fs *flagSet, usage string) *string {
	return envString(fs, "agency", "CXSTAR_AGENCY", "", usage)
}

// noStoreFlag defines --no-store (CXSTAR_NO_STORE) of the commands that store what they print.
func noStoreFlag(fs *flagSet, usage string) *bool {
	return envBool(fs, "no-store", "CXSTAR_NO_STORE", false, usage)
}

// progressFlag defines --progress, how often a file-loading command reports on stderr.
func progressFlag(fs *flagSet) *time.Duration {
	return envDuration(fs, "progress", "CXSTAR_PROGRESS", 2*time.Second, "how often to print progress on stderr (0: never)")
}

// splitList splits a comma-separated flag value, dropping empty items and the spaces around them.
func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// envBool defines a bool flag with an environment fallback (1, t, true, 0, f, false, …).
func envBool(fs *flagSet, name, env string, def bool, usage string) *bool {
	return fs.Bool(name, envValue(fs, name, env, def, strconv.ParseBool, "true or false"), usage+" (env "+env+")")
}

// envFloat defines a float flag with an environment fallback.
func envFloat(fs *flagSet, name, env string, def float64, usage string) *float64 {
	parse := func(s string) (float64, error) { return strconv.ParseFloat(s, 64) }
	return fs.Float64(name, envValue(fs, name, env, def, parse, "a number"), usage+" (env "+env+")")
}

// envDuration defines a duration flag with an environment fallback.
func envDuration(fs *flagSet, name, env string, def time.Duration, usage string) *time.Duration {
	return fs.Duration(name, envValue(fs, name, env, def, time.ParseDuration, "a duration like 5s"), usage+" (env "+env+")")
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

// queryTimeout is the default of --timeout.
const queryTimeout = 10 * time.Minute

// chFlags are --clickhouse (with its TLS flags) and --timeout, defined alike by the commands whose
// work is ClickHouse queries that must end in time; without --timeout (report, export), just
// --clickhouse.
type chFlags struct {
	dsn     *string
	timeout *time.Duration // nil: no --timeout (report, export)
}

// addCHFlags defines --clickhouse and --timeout.
func addCHFlags(fs *flagSet) chFlags {
	return chFlags{
		dsn:     clickhouseFlag(fs),
		timeout: envDuration(fs, "timeout", "CXSTAR_TIMEOUT", queryTimeout, "give up after this long"),
	}
}

// open refuses a --timeout that is not above zero, then connects to ClickHouse. The context it
// returns ends after --timeout, if any; done closes the connection and releases the context.
func (f chFlags) open(ctx context.Context) (_ context.Context, _ driver.Conn, done func(), _ error) {
	cancel := context.CancelFunc(func() {})
	if f.timeout != nil {
		if err := positive("timeout", *f.timeout, queryTimeout); err != nil {
			return nil, nil, nil, err
		}
		ctx, cancel = context.WithTimeout(ctx, *f.timeout)
	}
	conn, err := store.Open(ctx, *f.dsn)
	if err != nil {
		cancel()
		return nil, nil, nil, err
	}
	return ctx, conn, func() { conn.Close(); cancel() }, nil
}

// quarterDBFlags are --clickhouse, --quarter and --tz (and --timeout when timed), defined alike by
// the commands that read a quarter's results.
type quarterDBFlags struct {
	chFlags
	quarterFlags
}

// addQuarterDBFlags defines --clickhouse, --quarter (what: "to report", …) and --tz: report and
// export, whose work is not cut off by a --timeout.
func addQuarterDBFlags(fs *flagSet, what string) quarterDBFlags {
	return quarterDBFlags{chFlags{dsn: clickhouseFlag(fs)}, addQuarterFlags(fs, what)}
}

// addTimedQuarterDBFlags defines --clickhouse, --timeout, --quarter and --tz: assess, priorities,
// readability coverage.
func addTimedQuarterDBFlags(fs *flagSet, what string) quarterDBFlags {
	return quarterDBFlags{addCHFlags(fs), addQuarterFlags(fs, what)}
}

// parseOpen parses args, resolves the quarter in the band file's time zone and connects to the
// ClickHouse database: the first steps of report and export.
func (f quarterDBFlags) parseOpen(ctx context.Context, fs *flagSet, args []string) (quarter.Quarter, driver.Conn, error) {
	if err := fs.Parse(args); err != nil {
		return quarter.Quarter{}, nil, err
	}
	q, err := f.resolve(nil, time.Now())
	if err != nil {
		return q, nil, err
	}
	conn, err := store.Open(ctx, *f.dsn)
	return q, conn, err
}

// clickhouseFlag defines --clickhouse, the DSN of the ClickHouse database.
func clickhouseFlag(fs *flagSet) *string {
	return clickhouseDSNFlags(fs, "clickhouse", "CXSTAR_CLICKHOUSE", store.DefaultDSN,
		"ClickHouse `DSN`, native protocol: clickhouse://user@host:9000/database (TLS: see the --clickhouse-… flags and docs/security.md)")
}

// quarterFlags are --quarter and --tz, defined alike by every command that reads a quarter.
type quarterFlags struct{ quarter, tz *string }

// addQuarterFlags defines --quarter (what: "to assess", "to report", …) and --tz.
func addQuarterFlags(fs *flagSet, what string) quarterFlags {
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
