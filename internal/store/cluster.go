package store

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"
	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/cxstar/cxstar/schemas"
)

// Layout is how a database's tables are laid out: on one node, or across a cluster.
type Layout string

// The layouts a database can have. An empty database has LayoutNone.
const (
	LayoutNone    Layout = ""
	LayoutSingle  Layout = "single node"
	LayoutCluster Layout = "cluster"
)

// DatabaseLayout reports how the database db was migrated: LayoutCluster when its migrations
// ledger is a Replicated table or its service_events is a Distributed table, LayoutSingle when
// they are plain tables, LayoutNone when neither exists.
func DatabaseLayout(ctx context.Context, conn driver.Conn, db string) (Layout, string, error) {
	rows, err := conn.Query(ctx, `SELECT name, engine FROM system.tables
		WHERE database = ? AND name IN ('schema_migrations', 'service_events') ORDER BY name`, db)
	if err != nil {
		return LayoutNone, "", fmt.Errorf("read the tables of database %s: %w", db, err)
	}
	defer rows.Close()
	layout, why := LayoutNone, ""
	for rows.Next() {
		var name, engine string
		if err := rows.Scan(&name, &engine); err != nil {
			return LayoutNone, "", fmt.Errorf("read the tables of database %s: %w", db, err)
		}
		l := LayoutSingle
		if strings.HasPrefix(engine, "Replicated") || engine == "Distributed" {
			l = LayoutCluster
		}
		if layout == LayoutNone || l == LayoutCluster {
			layout, why = l, fmt.Sprintf("%s.%s is %s", db, name, engine)
		}
	}
	return layout, why, rows.Err()
}

// refuseLayout returns an error when database db exists with another layout than want.
func refuseLayout(ctx context.Context, conn driver.Conn, db string, want Layout, cluster string) error {
	got, why, err := DatabaseLayout(ctx, conn, db)
	if err != nil {
		return err
	}
	if got == LayoutNone || got == want {
		return nil
	}
	if want == LayoutCluster {
		return fmt.Errorf("refusing to migrate database %s for cluster %s: it was migrated for a single node (%s). "+
			"Migrate a new database with --cluster %s and copy the raw tables into it (INSERT INTO new.service_events SELECT * FROM old.service_events, …), "+
			"or run migrate without --cluster", db, cluster, why, cluster)
	}
	return fmt.Errorf("refusing to migrate database %s for a single node: it was migrated for a cluster (%s). "+
		"Run migrate --cluster NAME (or set CXSTAR_CLICKHOUSE_CLUSTER)", db, why)
}

// shardReplica is one replica of one shard of a cluster, from system.clusters.
type shardReplica struct {
	shard uint32
	addr  string
}

// MigrateCluster applies the embedded migrations to the database of dsn across the ClickHouse
// cluster named cluster (a name of remote_servers, e.g. "cxstar" for scripts/chcluster.sh): every
// DDL statement runs ON CLUSTER, sharded tables become NAME_local (Replicated) plus a Distributed
// NAME, small tables one replicated copy per node (see schemas.ClusterRenderer). The node of dsn
// runs the DDL; the backfill statements of a migration run on one replica of every shard. Like
// Migrate it is idempotent, and it refuses a database migrated for a single node. It stays one
// function: the layout check, the ledger and the per-migration loop share their state.
func MigrateCluster(ctx context.Context, dsn, cluster string) ([]Applied, error) {
	opts, err := Options(dsn)
	if err != nil {
		return nil, err
	}
	db := opts.Auth.Database
	if db == "system" {
		return nil, fmt.Errorf("refusing to migrate the system database: give a DSN with a database of its own")
	}
	boot := *opts
	boot.Auth.Database = "default"
	c, err := clickhouse.Open(&boot)
	if err != nil {
		return nil, fmt.Errorf("connect to ClickHouse at %v: %w", opts.Addr, err)
	}
	conn := insertConn{c} // the ledger's inserts (record)
	defer conn.Close()
	if err := conn.Ping(ctx); err != nil {
		return nil, fmt.Errorf("ping ClickHouse at %v (are the cluster's nodes up? --clickhouse names one of them): %w", opts.Addr, err)
	}
	shards, err := clusterShards(ctx, conn, cluster, opts.Addr)
	if err != nil {
		return nil, err
	}
	if err := refuseLayout(ctx, conn, db, LayoutCluster, cluster); err != nil {
		return nil, err
	}
	all, err := schemas.Migrations()
	if err != nil {
		return nil, err
	}
	// Nothing to apply: no ON CLUSTER statement at all, so that a writer starting while a node is
	// down (its DDL would wait for that node) still starts.
	var ledger uint64
	if err := conn.QueryRow(ctx, "SELECT count() FROM system.tables WHERE database = ? AND name = 'schema_migrations'", db).Scan(&ledger); err != nil {
		return nil, fmt.Errorf("look for %s.schema_migrations: %w", db, err)
	}
	if ledger == 1 {
		done, err := appliedVersions(ctx, conn, db+".schema_migrations")
		if err != nil {
			return nil, err
		}
		missing := false
		for _, m := range all {
			missing = missing || !done[m.Version]
		}
		if !missing {
			return nil, nil
		}
	}
	r, err := schemas.NewClusterRenderer(cluster, db, all)
	if err != nil {
		return nil, err
	}
	rendered, err := r.Render(all)
	if err != nil {
		return nil, err
	}
	ddl := func(sql string) error {
		if err := conn.Exec(ctx, sql); err != nil {
			return fmt.Errorf("%w (every node of cluster %s must be up and reach ZooKeeper: see system.clusters and the servers' zookeeper settings)", err, cluster)
		}
		return nil
	}
	if err := ddl(fmt.Sprintf("CREATE DATABASE IF NOT EXISTS %s ON CLUSTER %s", db, cluster)); err != nil {
		return nil, fmt.Errorf("create database %s on cluster %s: %w", db, cluster, err)
	}
	if err := ddl(r.LedgerDDL()); err != nil {
		return nil, fmt.Errorf("create %s.schema_migrations on cluster %s: %w", db, cluster, err)
	}
	done, err := appliedVersions(ctx, conn, db+".schema_migrations")
	if err != nil {
		return nil, err
	}
	perShard := map[uint32]driver.Conn{}
	defer func() {
		for _, c := range perShard {
			c.Close()
		}
	}()
	var applied []Applied
	for i, m := range all {
		if done[m.Version] {
			continue
		}
		for j, s := range rendered[i] {
			if !s.PerShard {
				if err := ddl(s.SQL); err != nil {
					return applied, fmt.Errorf("migration %s (cluster %s), statement %d: %w", m.Name, cluster, j+1, err)
				}
				continue
			}
			for _, shard := range shardNumbers(shards) {
				c, err := shardConn(ctx, opts, shards, shard, perShard)
				if err != nil {
					return applied, fmt.Errorf("migration %s (cluster %s), statement %d: %w", m.Name, cluster, j+1, err)
				}
				if err := c.Exec(ctx, s.SQL); err != nil {
					return applied, fmt.Errorf("migration %s (cluster %s), statement %d on shard %d: %w", m.Name, cluster, j+1, shard, err)
				}
			}
		}
		if err := record(ctx, conn, db+".schema_migrations", m); err != nil {
			return applied, err
		}
		applied = append(applied, Applied{Version: m.Version, Name: m.Name})
	}
	return applied, nil
}

// MigrateAuto applies the missing migrations to the database of dsn (conn is connected to it) in
// the layout it already has: on a database migrated for a cluster it runs MigrateCluster with the
// cluster its Distributed tables name, on any other database Migrate. For the commands that
// migrate when they start (ingest, backfill), which have no --cluster flag.
func MigrateAuto(ctx context.Context, conn driver.Conn, dsn string) ([]Applied, error) {
	cluster, err := clusterOf(ctx, conn)
	if err != nil {
		return nil, err
	}
	if cluster == "" {
		return Migrate(ctx, conn)
	}
	return MigrateCluster(ctx, dsn, cluster)
}

// clusterOf returns the cluster that the Distributed service_events of conn's database names, or
// "" when the database is not laid out for a cluster.
func clusterOf(ctx context.Context, conn driver.Conn) (string, error) {
	rows, err := conn.Query(ctx, `SELECT engine_full FROM system.tables
		WHERE database = currentDatabase() AND name = 'service_events' AND engine = 'Distributed'`)
	if err != nil {
		return "", fmt.Errorf("read the layout of the database: %w", err)
	}
	var engine string
	for rows.Next() {
		if err := rows.Scan(&engine); err != nil {
			rows.Close()
			return "", fmt.Errorf("read the layout of the database: %w", err)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return "", fmt.Errorf("read the layout of the database: %w", err)
	}
	if engine == "" {
		return "", nil
	}
	// Distributed(cluster, database, table[, key])
	cluster, _, _ := strings.Cut(strings.TrimPrefix(engine, "Distributed("), ",")
	return strings.Trim(strings.TrimSpace(cluster), "'`\""), nil
}

// DataNodes returns a connection to one copy of every row of the database of dsn (conn is
// connected to it), for work that must run where the rows are, such as merging parts: on a single
// node conn itself, on a cluster one replica of each shard (the first that answers; replication
// brings the others the result). local names the table that holds a shard's rows of a table:
// NAME_local on a cluster (the tables derived from the raw events are sharded like them), NAME on
// a single node. done closes the connections it opened.
func DataNodes(ctx context.Context, conn driver.Conn, dsn string) (nodes []driver.Conn, local func(table string) string, done func(), err error) {
	cluster, err := clusterOf(ctx, conn)
	if err != nil {
		return nil, nil, nil, err
	}
	if cluster == "" {
		return []driver.Conn{conn}, func(t string) string { return t }, func() {}, nil
	}
	opts, err := Options(dsn)
	if err != nil {
		return nil, nil, nil, err
	}
	shards, err := clusterShards(ctx, conn, cluster, opts.Addr)
	if err != nil {
		return nil, nil, nil, err
	}
	open := map[uint32]driver.Conn{}
	done = func() {
		for _, c := range open {
			c.Close()
		}
	}
	for _, shard := range shardNumbers(shards) {
		c, err := shardConn(ctx, opts, shards, shard, open)
		if err != nil {
			done()
			return nil, nil, nil, fmt.Errorf("cluster %s: %w", cluster, err)
		}
		nodes = append(nodes, c)
	}
	return nodes, func(t string) string { return t + "_local" }, done, nil
}

// clusterShards reads the replicas of cluster from system.clusters of the node at addr.
func clusterShards(ctx context.Context, conn driver.Conn, cluster string, addr []string) ([]shardReplica, error) {
	rows, err := conn.Query(ctx, `SELECT shard_num, host_address, port FROM system.clusters
		WHERE cluster = ? ORDER BY shard_num, replica_num`, cluster)
	if err != nil {
		return nil, fmt.Errorf("read system.clusters: %w", err)
	}
	defer rows.Close()
	var out []shardReplica
	for rows.Next() {
		var shard uint32
		var host string
		var port uint16
		if err := rows.Scan(&shard, &host, &port); err != nil {
			return nil, fmt.Errorf("read system.clusters: %w", err)
		}
		out = append(out, shardReplica{shard: shard, addr: fmt.Sprintf("%s:%d", host, port)})
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read system.clusters: %w", err)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("cluster %q is not defined on the ClickHouse server at %v (remote_servers in its config; set --cluster to a name defined there)", cluster, addr)
	}
	return out, nil
}

func shardNumbers(rs []shardReplica) []uint32 {
	var out []uint32
	for i, r := range rs {
		if i == 0 || rs[i-1].shard != r.shard {
			out = append(out, r.shard)
		}
	}
	return out
}

// shardConn returns a connection to the first replica of shard that answers (cached in open).
func shardConn(ctx context.Context, opts *clickhouse.Options, rs []shardReplica, shard uint32, open map[uint32]driver.Conn) (driver.Conn, error) {
	if c, ok := open[shard]; ok {
		return c, nil
	}
	var errs []string
	for _, r := range rs {
		if r.shard != shard {
			continue
		}
		o := *opts
		o.Addr = []string{r.addr}
		c, err := clickhouse.Open(&o)
		if err == nil {
			if err = c.Ping(ctx); err == nil {
				open[shard] = insertConn{c}
				return open[shard], nil
			}
			c.Close()
		}
		errs = append(errs, fmt.Sprintf("%s: %v", r.addr, err))
	}
	return nil, fmt.Errorf("no replica of shard %d answers (%s)", shard, strings.Join(errs, "; "))
}

func appliedVersions(ctx context.Context, conn driver.Conn, table string) (map[int]bool, error) {
	done := map[int]bool{}
	rows, err := conn.Query(ctx, "SELECT version FROM "+table)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", table, err)
	}
	defer rows.Close()
	for rows.Next() {
		var v uint32
		if err := rows.Scan(&v); err != nil {
			return nil, fmt.Errorf("read %s: %w", table, err)
		}
		done[int(v)] = true
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read %s: %w", table, err)
	}
	return done, nil
}

func record(ctx context.Context, conn driver.Conn, table string, m schemas.Migration) error {
	b, err := conn.PrepareBatch(ctx, "INSERT INTO "+table+" (version, name, applied_at)")
	if err != nil {
		return fmt.Errorf("record migration %s: %w", m.Name, err)
	}
	if err := b.Append(uint32(m.Version), m.Name, time.Now().UTC()); err != nil {
		return fmt.Errorf("record migration %s: %w", m.Name, err)
	}
	if err := b.Send(); err != nil {
		return fmt.Errorf("record migration %s: %w", m.Name, err)
	}
	return nil
}
