package main

import (
	"context"
	"fmt"

	"github.com/cxstar/cxstar/internal/store"
)

// migrateUsage is the synopsis and description of `cxstar migrate --help`.
const migrateUsage = `migrate [--clickhouse DSN] [--cluster NAME]

Creates the database when missing and applies the embedded migrations it has not recorded.
With --cluster, on every node of that ClickHouse cluster: raw tables sharded by client (appeals by appeal),
small tables replicated on every node (schemas/CLUSTER.md).`

func runMigrate(ctx context.Context, args []string) error {
	fs := newFlagSet("migrate", migrateUsage)
	dsn := clickhouseFlag(fs)
	cluster := envString(fs, "cluster", "CXSTAR_CLICKHOUSE_CLUSTER", "",
		"ClickHouse cluster `NAME` (remote_servers) to migrate with ON CLUSTER DDL; empty: a single node")
	if err := fs.Parse(args); err != nil {
		return err
	}
	var applied []store.Applied
	var err error
	if *cluster != "" {
		applied, err = store.MigrateCluster(ctx, *dsn, *cluster)
	} else {
		conn, oerr := store.Open(ctx, *dsn)
		if oerr != nil {
			return oerr
		}
		defer conn.Close()
		applied, err = store.Migrate(ctx, conn)
	}
	for _, a := range applied {
		fmt.Printf("applied %s\n", a.Name)
	}
	if err != nil {
		return err
	}
	if len(applied) == 0 {
		fmt.Println("schema is up to date; nothing applied")
	}
	return nil
}
