package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"

	"github.com/cxstar/cxstar/internal/store"
)

// demoRepoScript finds scripts/clickhouse.sh: under $CXSTAR_REPO, the working directory or one of
// its parents, or beside the executable's parents.
func demoRepoScript() (string, error) {
	var roots []string
	if r := os.Getenv("CXSTAR_REPO"); r != "" {
		roots = append(roots, r)
	}
	for _, start := range []string{".", filepath.Dir(os.Args[0])} {
		if abs, err := filepath.Abs(start); err == nil {
			for d := abs; ; d = filepath.Dir(d) {
				roots = append(roots, d)
				if filepath.Dir(d) == d {
					break
				}
			}
		}
	}
	for _, r := range roots {
		p := filepath.Join(r, "scripts", "clickhouse.sh")
		if _, err := os.Stat(p); err == nil {
			return p, nil
		}
	}
	return "", errors.New("scripts/clickhouse.sh not found: run the demo from the cxstar repository, or set CXSTAR_REPO to it")
}

// demoStartClickHouse runs `scripts/clickhouse.sh up` unless the server already answers; it returns
// a function that stops the server when the demo started it (nil otherwise). A DSN that is not
// the private server's is used as it is.
func demoStartClickHouse(ctx context.Context, dsn string, w io.Writer) (stop func(), err error) {
	opts, err := store.Options(dsn)
	if err != nil {
		return nil, err
	}
	if len(opts.Addr) != 1 || opts.Addr[0] != "127.0.0.1:"+demoEnvOr("CXSTAR_CH_TCP_PORT", "19000") {
		fmt.Fprintf(w, "      using the ClickHouse server of --clickhouse (%v)\n", opts.Addr)
		return nil, nil
	}
	script, err := demoRepoScript()
	if err != nil {
		return nil, err
	}
	if exec.CommandContext(ctx, "bash", script, "status").Run() == nil {
		fmt.Fprintf(w, "      already running on %s: used as it is, left running\n", opts.Addr[0])
		return nil, nil
	}
	cmd := exec.CommandContext(ctx, "bash", script, "up")
	cmd.Stdout, cmd.Stderr = w, w
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("start ClickHouse with %s up (see its log above; it installs Debian's clickhouse-server when missing): %w", script, err)
	}
	return func() {
		cmd := exec.Command("bash", script, "down")
		cmd.Stdout, cmd.Stderr = w, w
		if err := cmd.Run(); err != nil {
			fmt.Fprintf(w, "could not stop ClickHouse (%v): run %s down\n", err, script)
		}
	}, nil
}

func demoEnvOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}
