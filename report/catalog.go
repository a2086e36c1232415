package report

import (
	"fmt"

	"github.com/cxstar/cxstar/metrics"
)

// Band is one star level of an indicator's ladder. Min/Above/Max/Below are set when the level
// is a single condition on the indicator value (v ≥ Min, v > Above, v ≤ Max, v < Below); OnValue
// is false for composite or capability levels, whose distance cannot be a single number.
type Band struct {
	Level   int
	Text    string
	OnValue bool
	Min     *float64
	Above   *float64
	Max     *float64
	Below   *float64
}

// Indicator is what the report needs to know about one indicator of one standard.
type Indicator struct {
	ID      string // P-T1-2 …
	Table   int
	Row     int
	Name    map[metrics.Lang]string
	Short   map[metrics.Lang]string
	Unit    string // percent | nps_points | …
	Lower   bool   // lower values are better (repeat requests)
	Bands   []Band // levels 1..n in order
	Version string // band file version the ladder comes from
}

// Catalog gives labels and star ladders by standard (people | business) and indicator code (the
// assessments.indicator column). It is an interface so that the report does not depend on how the
// catalog is stored; MetricsCatalog adapts the metrics package.
type Catalog interface {
	Indicator(standard, code string) (Indicator, bool)
}

// metricsCatalog adapts metrics.DefaultCatalog and metrics.DefaultBands.
type metricsCatalog struct {
	cat   *metrics.Catalog
	bands map[metrics.Standard]*metrics.BandSet
}

// MetricsCatalog returns the catalog and the embedded band files of the metrics package.
func MetricsCatalog() (Catalog, error) {
	mc := &metricsCatalog{cat: metrics.DefaultCatalog(), bands: map[metrics.Standard]*metrics.BandSet{}}
	for _, std := range []metrics.Standard{metrics.People, metrics.Business} {
		b, err := metrics.DefaultBands(std)
		if err != nil {
			return nil, fmt.Errorf("load the embedded star bands of %s: %w", std, err)
		}
		mc.bands[std] = b
	}
	return mc, nil
}

func (m *metricsCatalog) Indicator(standard, code string) (Indicator, bool) {
	std := metrics.Standard(standard)
	ind, ok := m.cat.Lookup(std, code)
	if !ok {
		return Indicator{}, false
	}
	out := Indicator{
		ID: ind.ID, Table: ind.Table, Row: ind.Row, Unit: ind.Unit,
		Lower: ind.Direction == metrics.LowerIsBetter,
		Name:  map[metrics.Lang]string{metrics.RU: ind.NameRU, metrics.EN: ind.NameEN},
		Short: map[metrics.Lang]string{metrics.RU: ind.ShortRU, metrics.EN: ind.ShortEN},
	}
	bs := m.bands[std]
	if bs == nil {
		return out, true
	}
	out.Version = bs.Version
	ladder, ok := bs.Ladder(code)
	if !ok {
		return out, true
	}
	for _, l := range ladder.Levels {
		b := Band{Level: l.Level, Text: l.Text}
		c := l.Cond
		if len(l.All) == 0 && c.Metric == "" && c.Flag == "" {
			b.OnValue = true
			b.Min, b.Above, b.Max, b.Below = c.Min.NullFloat64(), c.Above.NullFloat64(), c.Max.NullFloat64(), c.Below.NullFloat64()
		}
		out.Bands = append(out.Bands, b)
	}
	return out, true
}
