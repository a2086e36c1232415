// Package tenancy keeps each agency to its own rows on the ClickHouse side: one read-only
// ClickHouse user and one database per agency, holding copies of that agency's assessment rows
// (fed by materialized views from the main tables), and a read-only Project Office user over
// the main database. It is ClickHouse security, independent of Grafana: the dashboards package
// points each Grafana organization's datasource at its tenant, and any other reader (a BI tool,
// an analyst's client) gets the same boundary.
//
// Every statement runs on ClickHouse 18.16 (users in a users.d XML file) and on current
// ClickHouse (the same users as SQL, see UsersSQL).
package tenancy

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/cxstar/cxstar/ingest/agencyid"
	"github.com/cxstar/cxstar/internal/store"
)

// Tenant is the ClickHouse identity one Grafana organization's datasource logs in with.
//
// An agency tenant's user may read only its own database, which holds copies of the agency's
// assessments and indicator_details rows (fed by materialized views from the main tables) and
// assessments_latest / indicator_details_latest views over them, and the official revisions of
// closed quarters without their reports. The Project Office tenant reads
// the main database. Both users are readonly=1: no writes, no SET, no table functions (url(),
// remote(), file() would otherwise reach other databases through the server's other users).
type Tenant struct {
	// AgencyID is the agency; empty for the Project Office.
	AgencyID string
	// User and Password log in to ClickHouse; Password is derived from the tenancy secret.
	User, Password string
	// Database is the only database User may read.
	Database string
}

var identRe = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]{0,100}$`)

// ValidAgencyID reports whether id matches the event contract's agency_id pattern; only such ids
// are put into SQL, user names and uids.
func ValidAgencyID(id string) error {
	if !agencyid.Valid(id) {
		return fmt.Errorf("agency id %q does not match %s (docs/events.md)", id, agencyid.Pattern)
	}
	return nil
}

// Slug turns an agency id into at most max characters of [a-z0-9_], adding a short hash when
// that changed or shortened it, so that different ids never share a slug.
func Slug(id string, max int) string {
	b := []byte(id)
	changed := false
	for i, c := range b {
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9') {
			b[i] = '_'
			changed = true
		}
	}
	s := string(b)
	if !changed && len(s) <= max {
		return s
	}
	h := sha256.Sum256([]byte(id))
	suffix := "_" + hex.EncodeToString(h[:4])
	if len(s) > max-len(suffix) {
		s = s[:max-len(suffix)]
	}
	return s + suffix
}

// AgencyTenant returns agency id's tenant for the main database mainDB.
func AgencyTenant(mainDB, id string, secret []byte) (Tenant, error) {
	if err := ValidAgencyID(id); err != nil {
		return Tenant{}, err
	}
	if !identRe.MatchString(mainDB) {
		return Tenant{}, fmt.Errorf("database name %q: use letters, digits and _ only", mainDB)
	}
	name := mainDB + "__ag_" + Slug(id, 40)
	return Tenant{AgencyID: id, User: name, Password: password(secret, name), Database: name}, nil
}

// ProjectOfficeTenant returns the Project Office tenant: read-only, the whole main database.
func ProjectOfficeTenant(mainDB string, secret []byte) (Tenant, error) {
	if !identRe.MatchString(mainDB) {
		return Tenant{}, fmt.Errorf("database name %q: use letters, digits and _ only", mainDB)
	}
	name := mainDB + "__po"
	return Tenant{User: name, Password: password(secret, name), Database: mainDB}, nil
}

func password(secret []byte, user string) string {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte("cxstar-clickhouse-user:" + user))
	return hex.EncodeToString(m.Sum(nil))[:32]
}

// PasswordFingerprint is a short hash of t's password, stored beside the datasource so that a
// changed secret is noticed without reading the password back.
func (t Tenant) PasswordFingerprint() string {
	h := sha256.Sum256([]byte(t.Password))
	return hex.EncodeToString(h[:6])
}

// LoadSecret returns the tenancy secret: env CXSTAR_TENANT_SECRET when set, else the contents of
// path, which is created with a random secret (mode 0600) when missing.
func LoadSecret(path string) ([]byte, error) {
	if v := os.Getenv("CXSTAR_TENANT_SECRET"); v != "" {
		return []byte(v), nil
	}
	b, err := os.ReadFile(path)
	if err == nil && len(strings.TrimSpace(string(b))) > 0 {
		return []byte(strings.TrimSpace(string(b))), nil
	}
	if err != nil && !os.IsNotExist(err) {
		return nil, fmt.Errorf("read tenancy secret %s (or set CXSTAR_TENANT_SECRET): %w", path, err)
	}
	var r [32]byte
	f, err := os.Open("/dev/urandom")
	if err != nil {
		return nil, fmt.Errorf("random secret: %w", err)
	}
	defer f.Close()
	if _, err := f.Read(r[:]); err != nil {
		return nil, fmt.Errorf("random secret: %w", err)
	}
	s := hex.EncodeToString(r[:])
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("create folder of tenancy secret %s: %w", path, err)
	}
	if err := os.WriteFile(path, []byte(s+"\n"), 0o600); err != nil {
		return nil, fmt.Errorf("write tenancy secret %s (or set CXSTAR_TENANT_SECRET): %w", path, err)
	}
	return []byte(s), nil
}

// UsersXML returns the users.d file for ClickHouse 18.16 (also read by current ClickHouse): a
// readonly=1 profile and one user per tenant, limited to its database and to networks.
func UsersXML(mainDB string, tenants []Tenant, networks []string) []byte {
	profile := mainDB + "__tenant"
	var b strings.Builder
	b.WriteString("<?xml version=\"1.0\"?>\n<!-- Written by `cxstar dashboards push` for database " + mainDB + ": read-only ClickHouse users of the\n")
	b.WriteString("     Grafana organizations (one per agency + the Project Office). Do not edit: rerun the command. -->\n<yandex>\n")
	b.WriteString("  <profiles>\n    <" + profile + ">\n      <readonly>1</readonly>\n      <max_execution_time>60</max_execution_time>\n")
	b.WriteString("      <max_result_rows>1000000</max_result_rows>\n      <allow_experimental_low_cardinality_type>1</allow_experimental_low_cardinality_type>\n    </" + profile + ">\n  </profiles>\n  <users>\n")
	for _, t := range tenants {
		h := sha256.Sum256([]byte(t.Password))
		b.WriteString("    <" + t.User + ">\n")
		b.WriteString("      <password_sha256_hex>" + hex.EncodeToString(h[:]) + "</password_sha256_hex>\n      <networks>")
		for _, n := range networks {
			b.WriteString("<ip>" + n + "</ip>")
		}
		b.WriteString("</networks>\n      <profile>" + profile + "</profile>\n      <quota>default</quota>\n")
		b.WriteString("      <allow_databases><database>" + t.Database + "</database></allow_databases>\n    </" + t.User + ">\n")
	}
	b.WriteString("  </users>\n</yandex>\n")
	return []byte(b.String())
}

// UsersSQL returns the same users for current ClickHouse (SQL-driven access control, which 18.16
// does not have): CREATE USER with readonly=1 and SELECT on the tenant's database only.
func UsersSQL(tenants []Tenant, networks []string) string {
	var b strings.Builder
	hosts := make([]string, len(networks))
	for i, n := range networks {
		hosts[i] = "IP " + store.Quote(n)
	}
	for _, t := range tenants {
		h := sha256.Sum256([]byte(t.Password))
		fmt.Fprintf(&b, "CREATE USER IF NOT EXISTS %s IDENTIFIED WITH sha256_hash BY '%s' HOST %s SETTINGS readonly = 1 CONST;\n",
			q(t.User), hex.EncodeToString(h[:]), strings.Join(hosts, ", "))
		fmt.Fprintf(&b, "GRANT SELECT ON %s.* TO %s;\n", q(t.Database), q(t.User))
	}
	return b.String()
}

// Map indexes agency tenants by agency id.
func Map(ag []Tenant) map[string]Tenant {
	m := make(map[string]Tenant, len(ag))
	for _, t := range ag {
		m[t.AgencyID] = t
	}
	return m
}
