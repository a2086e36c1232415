package main

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/cxstar/cxstar/metrics"
	"github.com/cxstar/cxstar/official"
	"github.com/cxstar/cxstar/transform"
)

// officialFlags are the flags of `cxstar assess` about official revisions.
type officialFlags struct {
	close    *bool
	reason   *string
	revision *string
}

func addOfficialFlags(fs *flagSet) officialFlags {
	return officialFlags{
		close:    envBool(fs, "close", "CXSTAR_CLOSE", false, "close the quarter: store this assessment as its official revision (1, or the next one with --reason)"),
		reason:   envString(fs, "reason", "CXSTAR_REASON", "", "why a closed quarter gets a new official revision (needed from revision 2 on)"),
		revision: envString(fs, "revision", "CXSTAR_REVISION", "", "print this official revision of a closed quarter (default: the newest)"),
	}
}

// assessOfficial handles `assess --close` and `assess` of a closed quarter; handled is false when
// the quarter was never closed and no close was asked for (the assessment runs as usual).
func assessOfficial(ctx context.Context, conn driver.Conn, req transform.Request, f officialFlags, format string, lang metrics.Lang) (bool, error) {
	if *f.close {
		if *f.revision != "" {
			return true, fmt.Errorf("--revision reads a closed quarter; it cannot be combined with --close")
		}
		rev, run, err := official.Close(ctx, conn, req, *f.reason)
		if err != nil {
			return true, err
		}
		revs, err := official.Revisions(ctx, conn, rev.Quarter)
		if err != nil {
			return true, err
		}
		v := &official.View{Revision: rev, Revisions: revs}
		if err := writeView(v, format, lang); err != nil {
			return true, err
		}
		var tables []string
		for _, t := range rev.Inputs.Tables {
			tables = append(tables, fmt.Sprintf("%s %d rows (last insert %s)", t.Table, t.Rows, t.LastInsert.Format(time.RFC3339)))
		}
		fmt.Fprintf(os.Stderr, "cxstar assess: closed %s as official revision %d (run %s); inputs: %s; registry %s; bands %s; catalog %s; binary %s\n",
			rev.Quarter, rev.Revision, run.RunID, strings.Join(tables, ", "), orNone(rev.Inputs.RegistryVersion), strings.Join(rev.Inputs.Bands, ", "), rev.Inputs.Catalog, rev.Inputs.Binary)
		return true, nil
	}
	if *f.reason != "" {
		return true, fmt.Errorf("--reason goes with --close (publishing a new official revision)")
	}
	num := 0
	if *f.revision != "" {
		n, err := strconv.Atoi(*f.revision)
		if err != nil || n < 1 {
			return true, fmt.Errorf("--revision %q: give a revision number 1, 2, …", *f.revision)
		}
		num = n
	}
	rev, err := official.Load(ctx, conn, req.Quarter, num)
	if err != nil {
		return true, err
	}
	if rev == nil {
		return false, nil
	}
	revs, err := official.Revisions(ctx, conn, rev.Quarter)
	if err != nil {
		return true, err
	}
	v := &official.View{Revision: rev, Revisions: revs, Standards: req.Standards, Agency: req.Agency}
	if v.Pending, err = official.Refresh(ctx, conn, req, rev); err != nil {
		return true, err
	}
	if err := writeView(v, format, lang); err != nil {
		return true, err
	}
	if format == "csv" {
		v.WritePending(os.Stderr, lang)
	}
	return true, nil
}

func writeView(v *official.View, format string, lang metrics.Lang) error {
	switch format {
	case "json":
		return v.WriteJSON(os.Stdout)
	case "csv":
		return v.WriteCSV(os.Stdout, lang)
	}
	return v.WriteTable(os.Stdout, lang)
}

func orNone(s string) string {
	if s == "" {
		return "(none loaded)"
	}
	return s
}
