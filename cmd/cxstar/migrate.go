package main

import (
	"context"
	"fmt"

	"github.com/cxstar/cxstar/internal/store"
)

func runMigrate(ctx context.Context, args []string) error {
	fs := newFlagSet("migrate", "migrate [--clickhouse DSN]\n\nCreates the database when missing and applies the embedded migrations it has not recorded.")
	dsn := clickhouseFlag(fs)
	if err := fs.Parse(args); err != nil {
		return err
	}
	conn, err := store.Open(ctx, *dsn)
	if err != nil {
		return err
	}
	defer conn.Close()
	applied, err := store.Migrate(ctx, conn)
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
