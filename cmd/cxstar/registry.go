package main

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/cxstar/cxstar/internal/store"
	"github.com/cxstar/cxstar/registry"
)

func runRegistry(ctx context.Context, args []string) error {
	if len(args) > 0 && args[0] == "versions" {
		return runRegistryVersions(ctx, args[1:])
	}
	if len(args) == 0 || args[0] != "import" {
		if len(args) > 0 && (args[0] == "-h" || args[0] == "--help") {
			fmt.Println("Usage: cxstar registry import [--clickhouse DSN] FILE...\n       cxstar registry versions [--clickhouse DSN]\n\nimport loads client scenarios, capability declarations and targets (JSON or YAML, format in schemas/README.md,\nexample registry/testdata/registry.example.json) as a new version and prints what it added, changed\nand retired; versions lists the loads (pass a load_id to cxstar assess --registry-version).")
			return nil
		}
		return fmt.Errorf("usage: cxstar registry import FILE... (see cxstar registry --help)")
	}
	fs := newFlagSet("registry import", "registry import [--clickhouse DSN] FILE...")
	dsn := clickhouseFlag(fs)
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	if fs.NArg() == 0 {
		return fmt.Errorf("registry import: name at least one FILE (JSON or YAML with scenarios and declarations)")
	}
	conn, err := store.Open(ctx, *dsn)
	if err != nil {
		return err
	}
	defer conn.Close()
	for _, path := range fs.Args() {
		st, err := registry.Import(ctx, conn, path, time.Now())
		if err != nil {
			return err
		}
		fmt.Printf("%s: loaded %d scenarios, %d declarations and %d targets as version %s (loaded_at %s): added %s; changed %s; retired %s\n",
			path, st.Scenarios, st.Declarations, st.Targets, st.LoadID, st.LoadedAt.Format(time.RFC3339), list(st.Added), list(st.Changed), list(st.Retired))
	}
	return nil
}

func list(ids []string) string {
	if len(ids) == 0 {
		return "none"
	}
	return strings.Join(ids, ", ")
}

// runRegistryVersions prints every registry load, oldest first.
func runRegistryVersions(ctx context.Context, args []string) error {
	fs := newFlagSet("registry versions", "registry versions [--clickhouse DSN]")
	dsn := clickhouseFlag(fs)
	if err := fs.Parse(args); err != nil {
		return err
	}
	conn, err := store.Open(ctx, *dsn)
	if err != nil {
		return err
	}
	defer conn.Close()
	vs, err := registry.Versions(ctx, conn)
	if err != nil {
		return err
	}
	for _, v := range vs {
		fmt.Printf("%s  %s  %s: %d scenarios, %d declarations; added %s; changed %s; retired %s\n",
			v.LoadID, v.LoadedAt.Format(time.RFC3339), v.Source, v.Scenarios, v.Declarations, list(v.Added), list(v.Changed), list(v.Retired))
	}
	return nil
}
