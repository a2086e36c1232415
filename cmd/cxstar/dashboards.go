package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/cxstar/cxstar/dashboards"
	"github.com/cxstar/cxstar/internal/store"
	"github.com/cxstar/cxstar/tenancy"
)

const dashboardsUsage = `dashboards push|render|tenants [flags]

  push     provision the ClickHouse tenancy (per-agency databases and read-only users in users.d)
           and create or update, idempotently, in Grafana: one organization per agency (datasource
           logging in as the agency's ClickHouse user, folder, team, folder permissions, dashboard)
           and the Project Office organization (overview + all-agencies dashboard), and each agency's early-warning alert rules in its folder
           (thresholds: --alerts, default dashboards/alerts.yaml). A second push
           changes nothing. Organizations of agencies no longer pushed are reported, not deleted.
  render   write the dashboards as JSON plus Grafana provisioning YAML (dashboards, datasources,
           alert rules) and the ClickHouse users
           files into --out (no Grafana needed).
  tenants  print the ClickHouse users of the tenancy (user, database, password env) and, with
           --sql FILE, the CREATE USER / GRANT statements for current ClickHouse.

Agencies come from --agencies (id or id=Name, comma-separated) or, when empty, from
SELECT DISTINCT agency_id FROM assessments.`

func chDir() string {
	if d := os.Getenv("CXSTAR_CH_DIR"); d != "" {
		return d
	}
	home, _ := os.UserHomeDir()
	return filepath.Join(home, ".cache", "cxstar", "clickhouse")
}

type dashFlags struct {
	dsn, agencies, lang, usersDir, secretFile, chHost, sqlOut, out   *string
	cluster                                                          *string
	alerts                                                           *string
	grafanaURL, grafanaToken, grafanaUser, grafanaPassword, networks *string
	chPort                                                           *int
	jsonOut                                                          *bool
}

// runDashboards runs `cxstar dashboards push|render|tenants`. It is long because it defines the
// flags of the three subcommands and resolves the ClickHouse tenancy each needs; the work itself
// is in the dashboards and tenancy packages.
func runDashboards(ctx context.Context, args []string) error {
	if len(args) == 0 || strings.HasPrefix(args[0], "-") {
		fmt.Fprintln(os.Stderr, "Usage: cxstar "+dashboardsUsage)
		if len(args) > 0 && (args[0] == "-h" || args[0] == "--help") {
			return flag.ErrHelp
		}
		return errors.New("want a subcommand: push, render or tenants")
	}
	sub, args := args[0], args[1:]
	fs := newFlagSet("dashboards "+sub, dashboardsUsage)
	f := dashFlags{
		dsn:             clickhouseFlag(fs),
		agencies:        envString(fs, "agencies", "CXSTAR_AGENCIES", "", "agencies, comma-separated id or id=Name (default: every agency_id of assessments)"),
		lang:            envString(fs, "lang", "CXSTAR_DASHBOARDS_LANG", "ru", "language of titles and indicator names: ru or en"),
		usersDir:        envString(fs, "ch-users-dir", "CXSTAR_CH_USERS_DIR", filepath.Join(chDir(), "users.d"), "users.d folder of the ClickHouse server (the tenancy users file is written there); on a cluster, every node's, comma-separated"),
		cluster:         envString(fs, "cluster", "CXSTAR_CLICKHOUSE_CLUSTER", "", "ClickHouse cluster `NAME` the database was migrated for: agency databases on every node (default: a single node)"),
		secretFile:      envString(fs, "tenant-secret-file", "CXSTAR_TENANT_SECRET_FILE", filepath.Join(chDir(), "tenant.secret"), "file with the secret the ClickHouse tenant passwords derive from (created when missing; CXSTAR_TENANT_SECRET overrides)"),
		chHost:          envString(fs, "grafana-ch-host", "CXSTAR_GRAFANA_CH_HOST", "", "ClickHouse host as Grafana reaches it (default: the --clickhouse host)"),
		chPort:          envInt(fs, "grafana-ch-port", "CXSTAR_GRAFANA_CH_PORT", 0, "ClickHouse native port as Grafana reaches it (default: the --clickhouse port)"),
		networks:        envString(fs, "ch-networks", "CXSTAR_CH_NETWORKS", "127.0.0.1,::1", "networks the tenant users may connect from (comma-separated IPs or CIDRs)"),
		sqlOut:          envString(fs, "sql", "CXSTAR_DASHBOARDS_SQL", "", "also write CREATE USER / GRANT SQL for current ClickHouse to this file"),
		out:             envString(fs, "out", "CXSTAR_DASHBOARDS_OUT", "dashboards-out", "render: output folder"),
		grafanaURL:      envString(fs, "grafana-url", "CXSTAR_GRAFANA_URL", "", "base URL of your Grafana server, e.g. https://grafana.example.org (push: required)"),
		grafanaToken:    envString(fs, "grafana-token", "CXSTAR_GRAFANA_TOKEN", "", "Grafana token (organization-scoped: push needs --grafana-user instead)"),
		grafanaUser:     envString(fs, "grafana-user", "CXSTAR_GRAFANA_USER", "admin", "Grafana server admin user (basic auth)"),
		grafanaPassword: envString(fs, "grafana-password", "CXSTAR_GRAFANA_PASSWORD", "", "Grafana server admin password"),
		alerts:          envString(fs, "alerts", "CXSTAR_ALERTS", "", "thresholds of the early-warning alerts, in the format of dashboards/alerts.yaml (default: the built-in version)"),
		jsonOut:         envBool(fs, "json", "CXSTAR_DASHBOARDS_JSON", false, "push: print what was pushed as JSON"),
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	switch sub {
	case "push", "render", "tenants":
	default:
		return fmt.Errorf("unknown subcommand %q: want push, render or tenants", sub)
	}
	lang, err := dashboards.ParseLang(*f.lang)
	if err != nil {
		return err
	}
	dopts := []dashboards.Option{dashboards.WithLang(lang)}
	if *f.alerts != "" {
		th, err := dashboards.LoadAlertThresholds(*f.alerts)
		if err != nil {
			return err
		}
		dopts = append(dopts, dashboards.WithAlertThresholds(th))
	}
	opts, err := store.Options(*f.dsn)
	if err != nil {
		return err
	}
	mainDB := opts.Auth.Database
	host, port := *f.chHost, *f.chPort
	if len(opts.Addr) > 0 {
		if h, p, err := net.SplitHostPort(opts.Addr[0]); err == nil {
			if host == "" {
				host = h
			}
			if port == 0 {
				port, _ = strconv.Atoi(p)
			}
		}
	}
	agencies, err := parseAgencies(*f.agencies)
	if err != nil {
		return err
	}
	gr := dashboards.Grafana{URL: *f.grafanaURL, User: *f.grafanaUser, Password: *f.grafanaPassword, Token: *f.grafanaToken}
	if gr.Token != "" && !flagOrEnvSet(fs, "grafana-user", "CXSTAR_GRAFANA_USER") {
		gr.User, gr.Password = "", "" // an explicit token wins over the default admin user
	}
	if sub == "push" && gr.URL == "" {
		return errors.New("push needs the base URL of your own Grafana server: pass --grafana-url or set CXSTAR_GRAFANA_URL")
	}
	if sub == "push" && gr.User == "" {
		return errors.New("push needs a Grafana server admin with basic auth (--grafana-user/--grafana-password): a token is scoped to one organization and cannot create the per-agency organizations")
	}
	needDB := sub == "push" || len(agencies) == 0
	secret, err := tenancy.LoadSecret(*f.secretFile)
	if err != nil {
		return err
	}
	chTLS, err := store.TLSOf(*f.dsn)
	if err != nil {
		return err
	}
	dirs := splitList(*f.usersDir)
	if len(dirs) == 0 {
		dirs = []string{""}
	}
	tcfg := tenancy.Config{MainDB: mainDB, UsersDir: dirs[0], MoreUsersDirs: dirs[1:], Cluster: *f.cluster, Secret: secret, Networks: splitList(*f.networks), TLS: opts.TLS}
	if len(opts.Addr) > 0 {
		tcfg.Addr = opts.Addr[0]
	}
	var po tenancy.Tenant
	var ag []tenancy.Tenant
	if needDB {
		c, err := store.Open(ctx, *f.dsn)
		if err != nil {
			return err
		}
		defer c.Close()
		if len(agencies) == 0 {
			if agencies, err = agenciesFromAssessments(ctx, c); err != nil {
				return err
			}
			if len(agencies) == 0 {
				return fmt.Errorf("no agencies: assessments in %s is empty; run `cxstar assess` first or pass --agencies", mainDB)
			}
		}
		if sub == "push" {
			if po, ag, err = tenancy.Provision(ctx, c, tcfg, dashboards.IDs(agencies)); err != nil {
				return err
			}
			fmt.Fprintf(os.Stderr, "ClickHouse tenancy: %d agency users + Project Office in %s\n", len(ag), filepath.Join(tcfg.UsersDir, tenancy.UsersFile(mainDB)))
		}
	}
	if po.User == "" {
		if po, ag, err = tcfg.Tenants(dashboards.IDs(agencies)); err != nil {
			return err
		}
	}
	tenants := map[string]tenancy.Tenant{}
	for _, t := range ag {
		tenants[t.AgencyID] = t
	}
	if *f.sqlOut != "" {
		if err := os.WriteFile(*f.sqlOut, []byte(tenancy.UsersSQL(append([]tenancy.Tenant{po}, ag...), tcfg.Networks)), 0o600); err != nil {
			return fmt.Errorf("write %s: %w", *f.sqlOut, err)
		}
	}
	switch sub {
	case "tenants":
		fmt.Printf("%-16s  %-40s  %-40s  %s\n", "agency", "clickhouse user", "database", "password env (render YAML)")
		for _, t := range append([]tenancy.Tenant{po}, ag...) {
			id := t.AgencyID
			if id == "" {
				id = "(project office)"
			}
			fmt.Printf("%-16s  %-40s  %-40s  %s\n", id, t.User, t.Database, dashboards.PasswordEnv(t.User))
		}
		return nil
	case "render":
		out, err := filepath.Abs(*f.out)
		if err != nil {
			return err
		}
		b, err := dashboards.Render(out, dashboards.RenderConfig{ClickHouseHost: host, ClickHousePort: port, TLS: chTLS, ProjectOffice: po, Tenants: tenants,
			MainDB: mainDB, Networks: tcfg.Networks}, agencies, dopts...)
		if err != nil {
			return err
		}
		paths, err := b.Write(out)
		if err != nil {
			return err
		}
		for _, p := range paths {
			fmt.Println(filepath.Join(out, p))
		}
		return nil
	}
	rep, err := dashboards.Push(ctx, dashboards.PushConfig{
		Grafana:        gr,
		ClickHouseHost: host, ClickHousePort: port, TLS: chTLS, ProjectOffice: po, Tenants: tenants,
	}, agencies, dopts...)
	if rep != nil {
		if *f.jsonOut {
			enc := json.NewEncoder(os.Stdout)
			enc.SetIndent("", "  ")
			_ = enc.Encode(rep)
		} else {
			printPushResult(rep)
		}
	}
	return err
}

// printPushResult prints what a push created, updated, left unchanged or found removed.
func printPushResult(rep *dashboards.PushResult) {
	counts := map[dashboards.Change]int{}
	for _, a := range rep.Actions {
		counts[a.Change]++
		if a.Change != dashboards.Unchanged {
			v := ""
			if a.Version > 0 {
				v = fmt.Sprintf(" (version %d)", a.Version)
			}
			fmt.Printf("%-14s %-12s %-30s %s%s\n", a.Change, a.Kind, a.Name, a.Org, v)
		}
	}
	fmt.Printf("%d created, %d updated, %d unchanged\n", counts[dashboards.Created], counts[dashboards.Updated], counts[dashboards.Unchanged])
	for _, id := range rep.Removed {
		fmt.Printf("WARNING: agency %s has organization %q in Grafana but was not pushed; it was left in place: delete it by hand if the agency is gone\n", id, dashboards.AgencyOrg(id))
	}
}

// parseAgencies reads "id" or "id=Name" items.
func parseAgencies(s string) ([]dashboards.Agency, error) {
	var out []dashboards.Agency
	seen := map[string]bool{}
	for _, item := range splitList(s) {
		id, name, _ := strings.Cut(item, "=")
		id = strings.TrimSpace(id)
		if err := tenancy.ValidAgencyID(id); err != nil {
			return nil, fmt.Errorf("--agencies: %w", err)
		}
		if !seen[id] {
			seen[id] = true
			out = append(out, dashboards.Agency{ID: id, Name: strings.TrimSpace(name)})
		}
	}
	return out, nil
}

func agenciesFromAssessments(ctx context.Context, c driver.Conn) ([]dashboards.Agency, error) {
	rows, err := c.Query(ctx, "SELECT DISTINCT agency_id FROM assessments ORDER BY agency_id")
	if err != nil {
		return nil, fmt.Errorf("list agencies from assessments (migrate and assess first, or pass --agencies): %w", err)
	}
	defer rows.Close()
	var out []dashboards.Agency
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		if tenancy.ValidAgencyID(id) == nil {
			out = append(out, dashboards.Agency{ID: id})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out, rows.Err()
}

// flagOrEnvSet reports whether flag name was given on the command line or through env.
func flagOrEnvSet(fs *flagSet, name, env string) bool {
	set := false
	fs.Visit(func(f *flag.Flag) { set = set || f.Name == name })
	_, inEnv := os.LookupEnv(env)
	return set || inEnv
}
