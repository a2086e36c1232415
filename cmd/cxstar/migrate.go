package main

import (
	"context"
	"fmt"

	"github.com/cxstar/cxstar/internal/store"
)

func runMigrate(ctx context.Context, args []string) error {
	fs := newFlagSet("migrate", "migrate [--clickhouse DSN] [--cluster NAME]\n\nCreates the database when missing and applies the embedded migrations it has not recorded.\n"+
		"With --cluster, on every node of that ClickHouse cluster: raw tables sharded by client (appeals by appeal),\n"+
		"small tables replicated on every node (schemas/CLUSTER.md).")
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
