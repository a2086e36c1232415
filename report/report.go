// Package report renders the Project Office's quarterly client-centricity report as one
// self-contained HTML file: inline CSS, inline SVG trend charts, no scripts and no external
// assets, so it can be mailed, archived and opened offline.
//
// The report reads the assessments_latest view (the newest run per agency and quarter) for the
// report quarter and the quarters before it, and takes labels and star ladders from a Catalog
// (MetricsCatalog by default). Sections: a summary table of every agency's level per indicator
// with star glyphs, one section per agency (value, 95 % interval, n, stars, the band met, the
// distance to the next band, trend chart) and the list of what could not be assessed and why.
package report

import (
	"bytes"
	"context"
	_ "embed"
	"fmt"
	"html/template"
	"io"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/cxstar/cxstar/internal/atomicfile"
	"github.com/cxstar/cxstar/metrics"
	"github.com/cxstar/cxstar/quarter"
)

//go:embed report.html.tmpl
var pageTemplate string

var tmpl = template.Must(template.New("report").Parse(pageTemplate))

// DefaultTrendQuarters is how many quarters the trend charts cover, the report quarter included.
const DefaultTrendQuarters = 4

type config struct {
	catalog Catalog
	trend   int
	now     func() time.Time
}

// Option configures Write.
type Option func(*config)

// WithCatalog sets where labels and star ladders come from. Default: MetricsCatalog().
func WithCatalog(c Catalog) Option { return func(cfg *config) { cfg.catalog = c } }

// WithTrendQuarters sets how many quarters the trend charts show, the report quarter included.
// This overrides the default of DefaultTrendQuarters (4); a value below 1 is refused.
func WithTrendQuarters(n int) Option { return func(cfg *config) { cfg.trend = n } }

// defaultConfig holds the default of every Option but the catalog, which is read when needed.
func defaultConfig() config { return config{trend: DefaultTrendQuarters, now: time.Now} }

// validate refuses options out of range.
func (cfg *config) validate() error {
	if cfg.trend < 1 {
		return fmt.Errorf("trend quarters %d: must be at least 1 (default %d)", cfg.trend, DefaultTrendQuarters)
	}
	return nil
}

// WithClock sets the clock of the "generated" stamp (tests use a fixed time). Default time.Now.
func WithClock(now func() time.Time) Option { return func(cfg *config) { cfg.now = now } }

// Write reads the latest assessments of quarter qname (e.g. "2026Q3") and the quarters before it from
// conn and writes the HTML report in lang ("ru" or "en") to w. Nothing is written when reading
// fails. A quarter without assessments gives a short page that says so.
func Write(ctx context.Context, conn driver.Conn, qname string, lang string, w io.Writer, opts ...Option) error {
	q, err := quarter.Parse(qname, nil)
	if err != nil {
		return err
	}
	l, err := metrics.ParseLang(lang)
	if err != nil {
		return err
	}
	cfg := defaultConfig()
	for _, o := range opts {
		o(&cfg)
	}
	if err := cfg.validate(); err != nil {
		return err
	}
	if cfg.catalog == nil {
		if cfg.catalog, err = MetricsCatalog(); err != nil {
			return err
		}
	}
	d, err := Load(ctx, conn, q, cfg.trend)
	if err != nil {
		return err
	}
	return Render(w, d, l, cfg.catalog, cfg.now())
}

// WriteFile writes the report of quarter qname (see Write) into the file at path, whole or not
// at all: a failed run leaves an existing file untouched. The file is readable by everyone (0644).
func WriteFile(ctx context.Context, conn driver.Conn, qname, lang, path string, opts ...Option) error {
	return atomicfile.Write(path, 0o644, func(w io.Writer) error {
		return Write(ctx, conn, qname, lang, w, opts...)
	})
}

// Render writes the report of already loaded data; generated is the time stamped on the page.
func Render(w io.Writer, d *Data, lang metrics.Lang, cat Catalog, generated time.Time) error {
	p := build(d, lang, cat, generated.UTC().Format("2006-01-02 15:04 UTC"))
	var buf bytes.Buffer
	if err := tmpl.Execute(&buf, p); err != nil {
		return fmt.Errorf("render report: %w", err)
	}
	if _, err := w.Write(buf.Bytes()); err != nil {
		return fmt.Errorf("write report: %w", err)
	}
	return nil
}
