package bench

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"
)

// Markers delimit the part of BENCHMARKS.md that `cxstar bench` rewrites; the rest of the file
// (the analysis of what bounds each figure) is kept.
const (
	BeginMarker = "<!-- cxstar bench: begin (generated; the rest of this file is kept) -->"
	EndMarker   = "<!-- cxstar bench: end -->"
)

// WriteTable prints the results as an aligned text table.
func (r *Results) WriteTable(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "figure\tproject\t\tbaseline (same run)\t\tratio\ttarget")
	for _, f := range r.Figures {
		base, ratio := "—", "—"
		if f.Baseline != "" {
			base, ratio = human(f.Base)+" "+f.Unit, fmt.Sprintf("%.2f", f.Ratio)
		}
		fmt.Fprintf(tw, "%s\t%s %s\t%s\t%s\t%s\t%s\t%s\n", f.Name, human(f.Value), f.Unit, f.Project, base, f.Baseline, ratio, f.Target)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	m := r.Machine
	_, err := fmt.Fprintf(w, "\n%s, %d cores, %s RAM, %s, ClickHouse %s, load %s; medians of %d runs; %s in all\n",
		m.CPU, m.Cores, m.RAM, m.Go, m.ClickHouse, m.Load, r.runs(), r.Elapsed.Round(1e9))
	return err
}

func (r *Results) runs() int {
	if len(r.Figures) == 0 {
		return 0
	}
	return r.Figures[0].Runs
}

// Markdown returns the generated section of BENCHMARKS.md, markers included.
func (r *Results) Markdown() string {
	var b strings.Builder
	m := r.Machine
	fmt.Fprintf(&b, "%s\n\n", BeginMarker)
	fmt.Fprintf(&b, "Measured %s UTC by `cxstar bench` on: **%s**, %d cores, %s RAM; %s; ClickHouse %s.\n",
		r.Date.Format("2006-01-02 15:04"), m.CPU, m.Cores, m.RAM, m.Go, m.ClickHouse)
	fmt.Fprintf(&b, "Load average when the suite started: %s (a shared machine: compare ratios, not absolute numbers). Medians of %d runs; the suite took %s.\n\n",
		m.Load, r.runs(), r.Elapsed.Round(1e9))
	b.WriteString("| figure | project | value | baseline (same run) | baseline value | ratio | target | notes |\n")
	b.WriteString("|---|---|---:|---|---:|---:|---|---|\n")
	for _, f := range r.Figures {
		base, ratio := "—", "—"
		if f.Baseline != "" {
			base, ratio = human(f.Base)+" "+f.Unit, fmt.Sprintf("%.2f", f.Ratio)
		}
		fmt.Fprintf(&b, "| %s | %s | %s %s | %s | %s | %s | %s | %s |\n", f.Name, f.Project, human(f.Value), f.Unit,
			dash(f.Baseline), base, ratio, dash(f.Target), f.Note)
	}
	fmt.Fprintf(&b, "\nRatio: project ÷ baseline for rates (median of the per-run ratios: each project run is paired with a baseline run taken right after it), baseline ÷ project for times (above 1: the project beats its baseline).\n\n%s\n", EndMarker)
	return b.String()
}

func dash(s string) string {
	if s == "" {
		return "—"
	}
	return s
}

// WriteFile puts the generated section into path: it replaces the text between the markers,
// or, when the file has none, adds the section after the title, keeping everything else.
func (r *Results) WriteFile(path string) error {
	old, err := os.ReadFile(path)
	if err != nil && !os.IsNotExist(err) {
		return fmt.Errorf("read %s: %w", path, err)
	}
	section := r.Markdown()
	var out []byte
	i, j := bytes.Index(old, []byte(BeginMarker)), bytes.Index(old, []byte(EndMarker))
	switch {
	case i >= 0 && j > i:
		k := j + len(EndMarker)
		if k < len(old) && old[k] == '\n' {
			k++
		}
		out = append(append(append([]byte{}, old[:i]...), section...), old[k:]...)
	case len(old) == 0:
		out = []byte("# Benchmarks\n\n" + section)
	default:
		out = append(append(old, '\n'), section...)
	}
	if err := os.WriteFile(path, out, 0o644); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}
