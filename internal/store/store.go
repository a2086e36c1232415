// Package store opens ClickHouse connections and applies the embedded schema migrations.
package store

import (
	"context"
	"fmt"
	"regexp"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"
	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/cxstar/cxstar/internal/secret"
	"github.com/cxstar/cxstar/schemas"
)

// DefaultDSN is the ClickHouse address used when neither --clickhouse nor CXSTAR_CLICKHOUSE is set:
// the private server of scripts/clickhouse.sh, database cxstar.
const DefaultDSN = "clickhouse://127.0.0.1:19000/cxstar"

// MaxOpenConns is the size of the connection pool Open gives a DSN without max_open_conns: the
// queries one client runs at once (transform.Assess runs up to that many).
const MaxOpenConns = 8

var dbName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]{0,63}$`)

// Options parses a clickhouse:// DSN and adds the settings cxstar needs on every connection.
// Besides clickhouse-go's parameters (username, password, secure, skip_verify, tls_server_name,
// dial_timeout, …) it reads tls_ca_file, tls_cert_file, tls_key_file and password_file (see
// ParamCAFile). The password is registered with package secret, and errors show the DSN with its
// password masked.
func Options(dsn string) (*clickhouse.Options, error) {
	secret.RegisterDSN(dsn)
	stripped, own, err := splitOwnParams(dsn)
	if err != nil {
		return nil, settings(fmt.Errorf("parse ClickHouse DSN %q (want clickhouse://host:9000/database?username=…): %w", secret.DSN(dsn), secret.Error(err)))
	}
	opts, err := clickhouse.ParseDSN(stripped)
	if err != nil {
		return nil, settings(fmt.Errorf("parse ClickHouse DSN %q (want clickhouse://host:9000/database?username=…): %w", secret.DSN(dsn), secret.Error(err)))
	}
	if err := applyOwnParams(opts, own); err != nil {
		return nil, settings(err)
	}
	if opts.Auth.Database == "" {
		opts.Auth.Database = "default"
	}
	if !dbName.MatchString(opts.Auth.Database) {
		return nil, settings(fmt.Errorf("ClickHouse DSN %q: database name %q must match %s", secret.DSN(dsn), opts.Auth.Database, dbName))
	}
	if opts.Settings == nil {
		opts.Settings = clickhouse.Settings{}
	}
	// LowCardinality columns are experimental on 18.16 and need this on every session.
	opts.Settings["allow_experimental_low_cardinality_type"] = 1
	// On a cluster, an insert into a Distributed table returns only when every shard has written
	// its rows (so a Kafka offset is committed for stored rows only); a no-op on plain tables.
	if _, ok := opts.Settings["insert_distributed_sync"]; !ok {
		opts.Settings["insert_distributed_sync"] = 1
	}
	if opts.DialTimeout == 0 || opts.DialTimeout == 30*time.Second {
		opts.DialTimeout = 5 * time.Second
	}
	if opts.MaxOpenConns == 0 {
		opts.MaxOpenConns = MaxOpenConns
	}
	return opts, nil
}

// Open connects to the database named in dsn, creating the database when it does not exist.
// It checks the connection with a ping so that a wrong address fails here with a clear error.
func Open(ctx context.Context, dsn string) (driver.Conn, error) {
	opts, err := Options(dsn)
	if err != nil {
		return nil, err
	}
	if opts.Auth.Database != "default" {
		bootstrap := *opts
		bootstrap.Auth.Database = "default"
		conn, err := clickhouse.Open(&bootstrap)
		if err != nil {
			return nil, fmt.Errorf("connect to ClickHouse at %v: %w", opts.Addr, err)
		}
		err = conn.Exec(ctx, "CREATE DATABASE IF NOT EXISTS "+opts.Auth.Database)
		conn.Close()
		if err != nil {
			if tlsErr := explainTLS(opts, err); tlsErr != err {
				return nil, fmt.Errorf("connect to ClickHouse at %v: %w", opts.Addr, tlsErr)
			}
			return nil, fmt.Errorf("create database %s on ClickHouse at %v (is a server listening there? set --clickhouse or CXSTAR_CLICKHOUSE to its address): %w",
				opts.Auth.Database, opts.Addr, err)
		}
	}
	conn, err := clickhouse.Open(opts)
	if err != nil {
		return nil, fmt.Errorf("connect to ClickHouse at %v: %w", opts.Addr, err)
	}
	if err := conn.Ping(ctx); err != nil {
		conn.Close()
		if tlsErr := explainTLS(opts, err); tlsErr != err {
			return nil, fmt.Errorf("connect to ClickHouse at %v: %w", opts.Addr, tlsErr)
		}
		return nil, fmt.Errorf("ping ClickHouse at %v (is a server listening there? set --clickhouse or CXSTAR_CLICKHOUSE to its address): %w", opts.Addr, err)
	}
	return insertConn{conn}, nil
}

// Applied is one migration that Migrate ran.
type Applied struct {
	Version int
	Name    string
}

// Migrate applies the embedded migrations that the database has not recorded in
// schema_migrations yet, in version order, and returns what it applied. It is idempotent:
// a second call applies nothing. It refuses a database migrated for a cluster (see MigrateCluster).
func Migrate(ctx context.Context, conn driver.Conn) ([]Applied, error) {
	var db string
	if err := conn.QueryRow(ctx, "SELECT currentDatabase()").Scan(&db); err != nil {
		return nil, fmt.Errorf("read the current database: %w", err)
	}
	if err := refuseLayout(ctx, conn, db, LayoutSingle, ""); err != nil {
		return nil, err
	}
	if err := conn.Exec(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations
		(version UInt32, name String, applied_at DateTime('UTC'))
		ENGINE = ReplacingMergeTree(applied_at) ORDER BY version`); err != nil {
		return nil, fmt.Errorf("create schema_migrations: %w", err)
	}
	done, err := appliedVersions(ctx, conn, "schema_migrations")
	if err != nil {
		return nil, err
	}
	all, err := schemas.Migrations()
	if err != nil {
		return nil, err
	}
	var applied []Applied
	for _, m := range all {
		if done[m.Version] {
			continue
		}
		for i, stmt := range m.Statements() {
			if err := conn.Exec(ctx, stmt); err != nil {
				return applied, fmt.Errorf("migration %s, statement %d: %w", m.Name, i+1, err)
			}
		}
		if err := record(ctx, conn, "schema_migrations", m); err != nil {
			return applied, err
		}
		applied = append(applied, Applied{Version: m.Version, Name: m.Name})
	}
	return applied, nil
}

// Recreate drops the DSN's database, creates it again and applies every migration: a fresh,
// empty database for the demo and the benchmarks. It refuses the default and system databases,
// which hold what other programs need.
func Recreate(ctx context.Context, dsn string) (driver.Conn, error) {
	opts, err := Options(dsn)
	if err != nil {
		return nil, err
	}
	db := opts.Auth.Database
	if db == "default" || db == "system" {
		return nil, fmt.Errorf("refusing to empty the %q database: give a DSN with a database of its own, e.g. clickhouse://127.0.0.1:19000/cxstar_scratch", db)
	}
	conn, err := Open(ctx, dsn)
	if err != nil {
		return nil, err
	}
	err = conn.Exec(ctx, "DROP DATABASE IF EXISTS "+db)
	conn.Close()
	if err != nil {
		return nil, fmt.Errorf("empty the database %s: %w", db, err)
	}
	if conn, err = Open(ctx, dsn); err != nil {
		return nil, err
	}
	if _, err := Migrate(ctx, conn); err != nil {
		conn.Close()
		return nil, err
	}
	return conn, nil
}
