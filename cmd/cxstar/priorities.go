package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"time"

	"github.com/cxstar/cxstar/metrics"
	"github.com/cxstar/cxstar/priorities"
	"github.com/cxstar/cxstar/quarter"
)

// runPriorities is `cxstar priorities`: flags, quarter, ranking, storing and printing. It reads
// top to bottom as one command's steps, so it stays whole.
func runPriorities(ctx context.Context, args []string) error {
	fs := newFlagSet("priorities", "priorities --quarter 2026Q3 [--standard people|business] [--agency ID] [--format table|json|csv] [flags]")
	qdb := addTimedQuarterDBFlags(fs, "to rank")
	standard := envString(fs, "standard", "CXSTAR_STANDARD", "people", "people or business")
	agency := agencyFlag(fs, "print only this agency_id's list (default: every agency and the national list; the medians always come from every agency)")
	format := formatFlag(fs, "list")
	lang := langFlag(fs, "labels and reasons")
	weightsPath := envString(fs, "weights", "CXSTAR_PRIORITY_WEIGHTS", "", "score weights file of the format of priorities/weights.yaml (default: the embedded one)")
	bandsPath := envString(fs, "bands", "CXSTAR_BANDS", "", "band file of the standard (default: the embedded version in force at the quarter's end)")
	top := envInt(fs, "top", "CXSTAR_TOP", 3, "table: services, segments and channels shown per life situation and kind (0: all)")
	noStore := noStoreFlag(fs, "print only; do not write the priorities table")
	if err := fs.parseNoArgs(args); err != nil {
		return err
	}
	std, err := metrics.ParseStandard(*standard)
	if err != nil {
		return fmt.Errorf("--standard: %w", err)
	}
	if *top < 0 {
		return fmt.Errorf("--top %d: use 0 (all) or more", *top)
	}
	w := priorities.DefaultWeights()
	if *weightsPath != "" {
		if w, err = priorities.LoadWeights(*weightsPath); err != nil {
			return err
		}
	}
	var b *metrics.BandSet
	var q quarter.Quarter
	if *bandsPath != "" {
		if b, err = metrics.LoadBands(*bandsPath); err != nil {
			return err
		}
		if b.Standard != std {
			return fmt.Errorf("--bands %s is for %s, not %s: give the band file of --standard", *bandsPath, b.Standard, std)
		}
		if q, err = qdb.resolve(b, time.Now()); err != nil {
			return err
		}
	} else {
		versions, err := metrics.BandVersions(std)
		if err != nil {
			return err
		}
		if q, err = qdb.resolve(versions[0], time.Now()); err != nil {
			return err
		}
		if b, err = metrics.BandsAt(versions, q.End().Add(-time.Second).In(q.Start().Location()).Format("2006-01-02")); err != nil {
			return fmt.Errorf("bands of %s for %s: %w", std, q, err)
		}
	}
	ctx, conn, done, err := qdb.open(ctx)
	if err != nil {
		return err
	}
	defer done()
	cells, err := priorities.Load(ctx, conn, q, std, "", b)
	if err != nil {
		return err
	}
	var lists []priorities.List
	for _, a := range append(priorities.Agencies(cells), "") {
		list := priorities.Rank(cells, a, b, w)
		list.Quarter, list.Standard = q.String(), string(std)
		lists = append(lists, list)
	}
	if !*noStore {
		var rb [8]byte
		_, _ = rand.Read(rb[:])
		now := time.Now().UTC()
		runID := now.Format("20060102T150405Z") + "-" + hex.EncodeToString(rb[:])
		if err := priorities.Store(ctx, conn, runID, now, q, std, lists); err != nil {
			return err
		}
		fmt.Fprintf(os.Stderr, "cxstar priorities: stored run %s: %d lists in the priorities table\n", runID, len(lists))
	}
	first := true
	for _, list := range lists {
		if *agency != "" && list.AgencyID != *agency {
			continue
		}
		switch *format {
		case "json":
			err = list.WriteJSON(os.Stdout, *lang)
		case "csv":
			err = list.WriteCSV(os.Stdout, *lang, first)
		default:
			if !first {
				fmt.Println()
			}
			err = list.WriteTable(os.Stdout, *lang, *top)
		}
		if err != nil {
			return err
		}
		first = false
	}
	if first && *agency != "" {
		return fmt.Errorf("agency %q has no life situation with requests or answers in %s %s", *agency, q, std)
	}
	return nil
}
