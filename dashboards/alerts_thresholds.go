package dashboards

import (
	_ "embed"
	"fmt"
	"time"

	"github.com/cxstar/cxstar/internal/yamlfile"
	"github.com/cxstar/cxstar/metrics"
)

//go:embed alerts.yaml
var alertsYAML []byte

// AlertThresholds are the versioned thresholds of the early-warning alerts (dashboards/alerts.yaml).
type AlertThresholds struct {
	Version       string        `yaml:"version"`
	EffectiveFrom string        `yaml:"effective_from"`
	EvaluateEvery string        `yaml:"evaluate_every"`
	PendingFor    string        `yaml:"pending_for"`
	Standards     []string      `yaml:"standards"`
	WindowsDays   []int         `yaml:"windows_days"`
	MinN          int           `yaml:"min_n"`
	Shares        []ShareAlert  `yaml:"shares"`
	NPS           []NPSAlert    `yaml:"nps"`
	Repeat        RepeatAlert   `yaml:"repeat"`
	Social        SocialAlert   `yaml:"social_unanswered"`
	DeadFeedHours float64       `yaml:"dead_feed_hours"`
	evaluate      time.Duration // parsed EvaluateEvery
}

// ShareAlert is a share of positive answers (scores positive_min..scale_max of scale_min..scale_max)
// compared with the floor of the band of indicator Code.
type ShareAlert struct {
	Code        string `yaml:"code"`
	Question    string `yaml:"question"`
	PositiveMin int    `yaml:"positive_min"`
	ScaleMin    int    `yaml:"scale_min"`
	ScaleMax    int    `yaml:"scale_max"`
}

// NPSAlert is the share of services with a positive NPS (answers 0–10) compared with the floor of
// the band of indicator Code.
type NPSAlert struct {
	Code     string `yaml:"code"`
	Question string `yaml:"question"`
}

// RepeatAlert is the repeat-request rate compared with the ceiling of the band of indicator Code,
// when at least MinN requests were submitted in the window.
type RepeatAlert struct {
	Code string `yaml:"code"`
	MinN int    `yaml:"min_n"`
}

// SocialAlert is the unanswered social-media messages alert.
type SocialAlert struct {
	LimitHours   map[string]float64 `yaml:"limit_hours"`
	LookbackDays int                `yaml:"lookback_days"`
}

// DefaultAlertThresholds returns the embedded thresholds (dashboards/alerts.yaml).
func DefaultAlertThresholds() (*AlertThresholds, error) { return ParseAlertThresholds(alertsYAML) }

// AlertThresholdsYAML returns the embedded thresholds file (dashboards/alerts.yaml).
func AlertThresholdsYAML() []byte { return append([]byte(nil), alertsYAML...) }

// LoadAlertThresholds reads thresholds in the format of dashboards/alerts.yaml from path.
func LoadAlertThresholds(path string) (*AlertThresholds, error) {
	return yamlfile.Load(path, "alert thresholds (the format of dashboards/alerts.yaml)", ParseAlertThresholds)
}

// ParseAlertThresholds decodes thresholds strictly (unknown keys refused) and checks them.
func ParseAlertThresholds(raw []byte) (*AlertThresholds, error) {
	th, err := yamlfile.Decode[AlertThresholds](raw, "alert thresholds")
	if err != nil {
		return nil, err
	}
	if th.evaluate, err = time.ParseDuration(th.EvaluateEvery); err != nil || th.evaluate < 10*time.Second {
		return nil, fmt.Errorf("alert thresholds: evaluate_every %q: want a duration of at least 10s, e.g. 1h", th.EvaluateEvery)
	}
	if _, err := time.ParseDuration(th.PendingFor); err != nil {
		return nil, fmt.Errorf("alert thresholds: pending_for %q: want a duration, e.g. 0s or 2h", th.PendingFor)
	}
	switch {
	case th.Version == "":
		return nil, fmt.Errorf("alert thresholds: no version")
	case th.MinN < 1:
		return nil, fmt.Errorf("alert thresholds: min_n %d: want at least 1", th.MinN)
	case len(th.WindowsDays) == 0:
		return nil, fmt.Errorf("alert thresholds: no windows_days")
	case th.Repeat.Code == "" || th.Repeat.MinN < 1:
		return nil, fmt.Errorf("alert thresholds: repeat needs a code and min_n ≥ 1")
	case th.DeadFeedHours <= 0:
		return nil, fmt.Errorf("alert thresholds: dead_feed_hours must be positive")
	case th.Social.LimitHours["mention"] <= 0 || th.Social.LimitHours["official"] <= 0 || th.Social.LookbackDays < 1:
		return nil, fmt.Errorf("alert thresholds: social_unanswered needs limit_hours for mention and official and lookback_days ≥ 1")
	}
	for _, d := range th.WindowsDays {
		if d < 1 || d > 366 {
			return nil, fmt.Errorf("alert thresholds: window of %d days: want 1–366", d)
		}
	}
	for _, s := range th.Standards {
		if s != string(metrics.People) && s != string(metrics.Business) {
			return nil, fmt.Errorf("alert thresholds: standard %q: want people or business", s)
		}
	}
	for _, s := range th.Shares {
		if s.Code == "" || s.Question == "" || s.ScaleMin > s.PositiveMin || s.PositiveMin > s.ScaleMax {
			return nil, fmt.Errorf("alert thresholds: share %q: want code, question and scale_min ≤ positive_min ≤ scale_max", s.Code)
		}
	}
	return th, nil
}
