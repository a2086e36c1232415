package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/cxstar/cxstar/metrics"
	"github.com/cxstar/cxstar/priorities"
)

// demoTop is how many life situations the demo prints of the agency it shows.
const demoTop = 3

// priorities ranks the life situations of the last quarter (people standard) for every agency and
// the nation as `cxstar priorities` does, stores them for the report and the dashboards, and prints
// one agency's «С чего начать» list with its significant changes since the previous quarter: the
// agency with the most significant changes (ties: the first by id).
func (r *demoRun) priorities(ctx context.Context) error {
	qs := r.g.Quarters()
	q := qs[len(qs)-1]
	std := metrics.People
	versions, err := metrics.BandVersions(std)
	if err != nil {
		return err
	}
	b, err := metrics.BandsAt(versions, q.End().Add(-time.Second).In(q.Start().Location()).Format("2006-01-02"))
	if err != nil {
		return fmt.Errorf("bands of %s for %s: %w", std, q, err)
	}
	cells, err := priorities.Load(ctx, r.conn, q, std, "", b)
	if err != nil {
		return err
	}
	w := priorities.DefaultWeights()
	var lists []priorities.List
	byAgency := map[string]priorities.List{}
	for _, a := range append(priorities.Agencies(cells), "") {
		list := priorities.Rank(cells, a, b, w)
		list.Quarter, list.Standard = q.String(), string(std)
		lists = append(lists, list)
		byAgency[a] = list
	}
	var rb [8]byte
	_, _ = rand.Read(rb[:])
	now := time.Now().UTC()
	if err := priorities.Store(ctx, r.conn, now.Format("20060102T150405Z")+"-"+hex.EncodeToString(rb[:]), now, q, std, lists); err != nil {
		return err
	}
	fmt.Fprintf(r.w, "      %d lists (every agency and the nation) stored in priorities\n", len(lists))
	sc := r.res.LastPeople
	if sc == nil {
		return nil
	}
	best, most := "", -1
	for _, a := range sc.Agencies {
		if _, ok := byAgency[a.AgencyID]; !ok {
			continue
		}
		n := 0
		for _, x := range a.Indicators {
			if x.Change != nil && x.Change.Verdict.Significant() {
				n++
			}
		}
		if n > most {
			best, most = a.AgencyID, n
		}
	}
	if best == "" {
		return nil
	}
	r.res.Shown = best
	for _, a := range sc.Agencies {
		if a.AgencyID == best {
			printDemoAgency(r.w, byAgency[best], a, sc.Standard)
		}
	}
	return nil
}

// printDemoAgency prints an agency's first life situations to fix, with the numbers behind them,
// and its significant changes since the previous quarter.
func printDemoAgency(w io.Writer, list priorities.List, a metrics.AgencyScorecard, std metrics.Standard) {
	fmt.Fprintf(w, "\n      %s, %s — С чего начать:\n", a.AgencyID, list.Quarter)
	shown := 0
	for _, e := range list.Entries {
		if e.Rank < 1 || shown == demoTop {
			continue
		}
		shown++
		fmt.Fprintf(w, "      %d. %s — %s\n", e.Rank, e.LifeSituation, priorities.Why(e, metrics.RU))
	}
	if shown == 0 {
		fmt.Fprintln(w, "      (ни одна жизненная ситуация не набирает min_n ответов)")
	}
	type change struct {
		label string
		c     *metrics.Change
	}
	var sig []change
	for _, x := range a.Indicators {
		if x.Change != nil && x.Change.Verdict.Significant() {
			sig = append(sig, change{indicatorLabel(std, x.Code), x.Change})
		}
	}
	sort.SliceStable(sig, func(i, j int) bool { return sig[i].c.Adjusted < sig[j].c.Adjusted })
	fmt.Fprintf(w, "      Значимые изменения к прошлому кварталу (Бенджамини–Хохберг, 5 %%): %d\n", len(sig))
	for _, s := range sig {
		fmt.Fprintf(w, "        %s: %s → %s (%s; p скорр. = %s)\n", s.label, comma(fmt.Sprint(s.c.Prev)), comma(fmt.Sprint(s.c.Cur)),
			comma(metrics.ChangeText(s.c, metrics.RU)), comma(fmt.Sprintf("%.2g", s.c.Adjusted)))
	}
	var off []string
	for _, x := range a.Indicators {
		if x.Target != nil && x.Target.Flag.Flagged() {
			label := indicatorLabel(std, x.Code)
			ci := "сплошной учёт, без ДИ"
			if x.CILow != nil && x.CIHigh != nil {
				ci = "95 % ДИ " + comma(fmt.Sprint(x.CILow)) + "–" + comma(fmt.Sprint(x.CIHigh))
			}
			off = append(off, fmt.Sprintf("%s: %s при цели %s, %s (%s)", label, comma(fmt.Sprint(x.Value)), comma(x.Target.Target.String()), ci, x.Target.Flag.Label(metrics.RU)))
		}
	}
	if len(off) > 0 {
		fmt.Fprintln(w, "      Отклонения от целей (цель вне 95 % ДИ):")
		for _, o := range off {
			fmt.Fprintln(w, "        "+o)
		}
	}
	fmt.Fprintln(w)
}

// indicatorLabel is the Russian name of indicator code of std, or the code when the catalog does
// not hold it.
func indicatorLabel(std metrics.Standard, code string) string {
	if ind, ok := metrics.DefaultCatalog().Lookup(std, code); ok {
		return ind.Label(metrics.RU)
	}
	return code
}

// comma writes a number the Russian way, with a decimal comma, as the priority reasons do.
func comma(s string) string { return strings.ReplaceAll(s, ".", ",") }
