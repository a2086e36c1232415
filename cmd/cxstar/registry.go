package main

import (
	"context"
	"fmt"
	"time"

	"github.com/cxstar/cxstar/internal/store"
	"github.com/cxstar/cxstar/registry"
)

func runRegistry(ctx context.Context, args []string) error {
	if len(args) == 0 || args[0] != "import" {
		if len(args) > 0 && (args[0] == "-h" || args[0] == "--help") {
			fmt.Println("Usage: cxstar registry import [--clickhouse DSN] FILE...\n\nLoads client scenarios and capability declarations (JSON or YAML, format in schemas/README.md,\nexample registry/testdata/registry.example.json) as a new version.")
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
		fmt.Printf("%s: loaded %d scenarios and %d declarations (load_id %s)\n", path, st.Scenarios, st.Declarations, st.LoadID)
	}
	return nil
}
