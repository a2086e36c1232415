package tenancy

import (
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"
	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/cxstar/cxstar/internal/store"
)

// Config says where the ClickHouse side of the tenancy goes.
type Config struct {
	// MainDB is the database with the assessments tables (the Project Office reads it).
	MainDB string
	// UsersDir is the ClickHouse server's users.d folder; UsersXML is written there.
	UsersDir string
	// MoreUsersDirs are the users.d folders of the other nodes of a cluster, which get the same
	// file (a dashboard's connection can land on any node). Default: none.
	MoreUsersDirs []string
	// Cluster, when set, is the ClickHouse cluster (remote_servers) the main database was migrated
	// for (`cxstar migrate --cluster`): the agency databases are created on every node with ON
	// CLUSTER DDL and their tables replicated to every node (AgencyClusterDDL). Default: a single node.
	Cluster string
	// Secret derives the tenants' passwords (see LoadSecret).
	Secret []byte
	// Networks the tenants may connect from. Default: 127.0.0.1 and ::1.
	Networks []string
	// Addr is host:port (native protocol) used to check that the users can log in.
	Addr string
	// TLS, when set, is used to reach Addr (the admin connection's TLS settings: see store.Options).
	// Default: nil (plaintext).
	TLS *tls.Config
}

// Tenants returns the Project Office tenant and one tenant per agency.
func (c Config) Tenants(agencyIDs []string) (po Tenant, ag []Tenant, err error) {
	if po, err = ProjectOfficeTenant(c.MainDB, c.Secret); err != nil {
		return po, nil, err
	}
	for _, id := range agencyIDs {
		t, err := AgencyTenant(c.MainDB, id, c.Secret)
		if err != nil {
			return po, nil, err
		}
		ag = append(ag, t)
	}
	return po, ag, nil
}

// Provision creates the agency databases (AgencyDDL) through admin, first dropping the follow-up
// copies of a database provisioned before they were partitioned by quarter (AgencyDDL fills them
// again from the main tables), writes UsersXML into c.UsersDir, and waits until every tenant can
// log in on every node (a server reloads users.d by itself within a few seconds). It returns the
// tenants. A copy's earlier rows are copied once: not again for a copy the database records as
// copied (copiedDDL), which its feed has kept up to date since.
func Provision(ctx context.Context, admin driver.Conn, c Config, agencyIDs []string) (Tenant, []Tenant, error) {
	if len(c.Networks) == 0 {
		c.Networks = []string{"127.0.0.1", "::1"}
	}
	po, ag, err := c.Tenants(agencyIDs)
	if err != nil {
		return po, nil, err
	}
	var tables uint64
	if err := admin.QueryRow(ctx, "SELECT count() FROM system.tables WHERE database = "+store.Quote(c.MainDB)+
		" AND name IN ('assessments', 'indicator_details')").Scan(&tables); err != nil {
		return po, nil, fmt.Errorf("check the assessments tables of %s: %w", c.MainDB, err)
	}
	if tables != 2 {
		return po, nil, fmt.Errorf("database %s has no assessments/indicator_details tables: run `cxstar migrate` first", c.MainDB)
	}
	for _, t := range ag {
		stale, done, err := agencyState(ctx, admin, t.Database)
		if err != nil {
			return po, nil, err
		}
		ddl := append(followupUpgradeDDL(q(t.Database), stale), agencyStatements(c.MainDB, t, done)...)
		if c.Cluster != "" {
			if ddl, err = onCluster(ddl, c.Cluster, t); err != nil {
				return po, nil, err
			}
		}
		for _, stmt := range ddl {
			if err := admin.Exec(ctx, stmt); err != nil {
				return po, nil, fmt.Errorf("create ClickHouse database of agency %s (%.60s…): %w", t.AgencyID, stmt, err)
			}
		}
	}
	for _, dir := range append([]string{c.UsersDir}, c.MoreUsersDirs...) {
		if err := writeUsers(dir, c.MainDB, UsersXML(c.MainDB, append([]Tenant{po}, ag...), c.Networks)); err != nil {
			return po, nil, err
		}
	}
	if c.Addr != "" {
		addrs, err := loginAddrs(ctx, admin, c)
		if err != nil {
			return po, nil, err
		}
		for _, addr := range addrs {
			for _, t := range append([]Tenant{po}, ag...) {
				if err := waitLogin(ctx, addr, c.TLS, t); err != nil {
					return po, nil, err
				}
			}
		}
	}
	return po, ag, nil
}

// agencyState reads what agency database db already holds. stale: its follow-up tables without a
// partition key, provisioned before the copies were partitioned by quarter (followupUpgradeDDL
// drops them). done: the copies whose earlier rows have been copied (recorded in db.copied,
// copiedDDL) since the table was last created, whose INSERTs are not run again. A copy dropped and
// created again after its record, by hand or by a run cut off before its INSERT, is newer than the
// record and is copied again; so is a stale table, which is dropped and created again.
func agencyState(ctx context.Context, admin driver.Conn, db string) (stale []string, done map[string]bool, err error) {
	created := map[string]time.Time{}
	err = store.Each(ctx, admin, "agency tables", "SELECT name, metadata_modification_time, partition_key FROM system.tables WHERE database = "+store.Quote(db)+" ORDER BY name",
		func(rows driver.Rows) error {
			var name, key string
			var at time.Time
			if err := rows.Scan(&name, &at, &key); err != nil {
				return err
			}
			if _, ok := followupCopies[name]; ok && key == "" {
				stale = append(stale, name)
			} else {
				created[name] = at
			}
			return nil
		})
	if err != nil {
		return nil, nil, fmt.Errorf("list the tables of %s: %w", db, err)
	}
	done = map[string]bool{}
	if _, ok := created["copied"]; !ok {
		return stale, done, nil
	}
	err = store.Each(ctx, admin, "agency copies", "SELECT name, max(copied_at) FROM "+q(db)+".copied GROUP BY name",
		func(rows driver.Rows) error {
			var name string
			var at time.Time
			if err := rows.Scan(&name, &at); err != nil {
				return err
			}
			if c, ok := created[name]; ok && !at.Before(c) {
				done[name] = true
			}
			return nil
		})
	if err != nil {
		return nil, nil, fmt.Errorf("read the copies of %s: %w", db, err)
	}
	return stale, done, nil
}

// loginAddrs are the servers Provision waits on: c.Addr, and on a cluster every node of it (each
// reloads its users.d on its own schedule), as system.clusters names them.
func loginAddrs(ctx context.Context, admin driver.Conn, c Config) ([]string, error) {
	if c.Cluster == "" {
		return []string{c.Addr}, nil
	}
	rows, err := admin.Query(ctx, "SELECT host_address, toString(port) FROM system.clusters WHERE cluster = "+store.Quote(c.Cluster))
	if err != nil {
		return nil, fmt.Errorf("list the nodes of cluster %s: %w", c.Cluster, err)
	}
	defer rows.Close()
	var addrs []string
	for rows.Next() {
		var host, port string
		if err := rows.Scan(&host, &port); err != nil {
			return nil, fmt.Errorf("list the nodes of cluster %s: %w", c.Cluster, err)
		}
		addrs = append(addrs, net.JoinHostPort(host, port))
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list the nodes of cluster %s: %w", c.Cluster, err)
	}
	if len(addrs) == 0 {
		return nil, fmt.Errorf("cluster %s is not in system.clusters of the server: check --cluster", c.Cluster)
	}
	return addrs, nil
}

// UsersFile is the users.d file name written for main database mainDB.
func UsersFile(mainDB string) string { return "cxstar-" + mainDB + ".xml" }

func writeUsers(dir, mainDB string, xml []byte) error {
	if dir == "" {
		return fmt.Errorf("no ClickHouse users.d folder given: pass --ch-users-dir or set CXSTAR_CH_USERS_DIR")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("create ClickHouse users.d folder %s: %w", dir, err)
	}
	path := filepath.Join(dir, UsersFile(mainDB))
	if old, err := os.ReadFile(path); err == nil && string(old) == string(xml) {
		return nil
	}
	tmp := filepath.Join(dir, "."+UsersFile(mainDB)+".tmp")
	if err := os.WriteFile(tmp, xml, 0o640); err != nil {
		return fmt.Errorf("write ClickHouse users file %s: %w", tmp, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("install ClickHouse users file %s: %w", path, err)
	}
	return nil
}

func waitLogin(ctx context.Context, addr string, tlsCfg *tls.Config, t Tenant) error {
	deadline := time.Now().Add(30 * time.Second)
	var last error
	for time.Now().Before(deadline) {
		last = PingTLS(ctx, addr, tlsCfg, t)
		if last == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(250 * time.Millisecond):
		}
	}
	return fmt.Errorf("ClickHouse user %s cannot log in 30 s after writing users.d (is --ch-users-dir the users.d of the server on %s?): %w", t.User, addr, last)
}

// Conn opens a plaintext native-protocol connection to addr as tenant t.
func Conn(addr string, t Tenant) (driver.Conn, error) { return ConnTLS(addr, nil, t) }

// ConnTLS opens a native-protocol connection to addr as tenant t, over TLS with tlsCfg unless it
// is nil.
func ConnTLS(addr string, tlsCfg *tls.Config, t Tenant) (driver.Conn, error) {
	return clickhouse.Open(&clickhouse.Options{
		Addr: []string{addr},
		Auth: clickhouse.Auth{Database: t.Database, Username: t.User, Password: t.Password},
		TLS:  tlsCfg,
	})
}

// Ping logs in as t (plaintext) and runs SELECT 1.
func Ping(ctx context.Context, addr string, t Tenant) error { return PingTLS(ctx, addr, nil, t) }

// PingTLS logs in as t, over TLS with tlsCfg unless it is nil, and runs SELECT 1.
func PingTLS(ctx context.Context, addr string, tlsCfg *tls.Config, t Tenant) error {
	c, err := ConnTLS(addr, tlsCfg, t)
	if err != nil {
		return err
	}
	defer c.Close()
	return c.Ping(ctx)
}
