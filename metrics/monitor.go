package metrics

import "fmt"

// MonitorDef is a deadline of the standards that is monitored without star bands: its share of
// messages handled within the limit is reported with n and a Wilson interval, never a level.
type MonitorDef struct {
	Code   string
	Clause map[Standard]string // the clause per standard that has the deadline
	NameRU string
	NameEN string
}

// Monitor codes.
const (
	// MonitorWrittenAck: written appeals whose first acknowledgement (the earliest `replied` step,
	// automated or not) came within parameters.ack_hours (24 h) of receipt (B §4.6.7.3, P §4.6.4.3).
	MonitorWrittenAck = "written_appeal_ack_share"
	// MonitorSocialReply: social-media messages whose first official reply came within
	// parameters.social_limit_hours (4 h mentions, 2 h official appeals and comments; B §4.6.6.2).
	MonitorSocialReply = "social_media_reply_share"
	// MonitorFollowUp: detractors' survey answers naming a request (nps/nps_digital 0–6,
	// satisfaction 1–2) answered by a `followed_up` step of the request within 5 working days
	// (Monday–Friday in Moscow time; holidays count as working days). The standards set no
	// deadline or bands for it: it is cxstar's own early-warning measure.
	MonitorFollowUp = "detractor_followup_share"
)

// FollowUpWorkingDays is the follow-up deadline of MonitorFollowUp in working days.
const FollowUpWorkingDays = 5

// Monitors lists the monitored deadlines in output order.
var Monitors = []MonitorDef{
	{Code: MonitorWrittenAck, Clause: map[Standard]string{People: "P §4.6.4.3", Business: "B §4.6.7.3"},
		NameRU: "Первичная обратная связь на письменное обращение в срок", NameEN: "Written appeals acknowledged in time"},
	{Code: MonitorSocialReply, Clause: map[Standard]string{Business: "B §4.6.6.2"},
		NameRU: "Ответ в социальных сетях в срок", NameEN: "Social-media replies in time"},
	{Code: MonitorFollowUp, Clause: map[Standard]string{People: "cxstar", Business: "cxstar"},
		NameRU: "Работа с недовольными клиентами в течение 5 рабочих дней", NameEN: "Detractors followed up within 5 working days"},
}

// Label returns the monitor's name in the given language (Russian unless lang is EN).
func (m MonitorDef) Label(lang Lang) string {
	if lang == EN {
		return m.NameEN
	}
	return m.NameRU
}

// Monitor is the value of one monitored deadline for one agency: the JSON shape of an entry of
// "monitoring" in `cxstar assess --format json`.
type Monitor struct {
	Code   string   `json:"code"`
	Clause string   `json:"clause"`
	Limit  string   `json:"limit"`
	Value  *Decimal `json:"value"`
	N      int64    `json:"n"`
	CILow  *Decimal `json:"ci_low"`
	CIHigh *Decimal `json:"ci_high"`
	Status Status   `json:"status"`
	Reason string   `json:"-"`
}

// MonitorsFor returns the monitors that apply to the band set's standard: the written-appeal
// acknowledgement and the detractor follow-up always, the social-media replies when
// parameters.social_limit_hours is set.
func (b *BandSet) MonitorsFor() []MonitorDef {
	var out []MonitorDef
	for _, m := range Monitors {
		if m.Clause[b.Standard] == "" || m.Code == MonitorSocialReply && b.Parameters.SocialLimitHours == nil {
			continue
		}
		out = append(out, m)
	}
	return out
}

// Limit describes the deadline of a monitor under the band set's parameters ("24 h", "4 h / 2 h").
func (b *BandSet) Limit(code string) string {
	switch code {
	case MonitorWrittenAck:
		return fmt.Sprintf("%d h", b.Parameters.Ack())
	case MonitorSocialReply:
		if l := b.Parameters.SocialLimitHours; l != nil {
			return fmt.Sprintf("%d h / %d h", l.Mention, l.Official)
		}
	case MonitorFollowUp:
		return fmt.Sprintf("%d working days", FollowUpWorkingDays)
	}
	return ""
}

// EvaluateMonitor turns counts into a monitor value: within of n messages met the limit; the value
// is 100·within/n after R-ROUND with a Wilson interval; no messages is no_data, and a non-empty
// hold (the deadline of the last messages has not passed) makes it not_assessed.
func (b *BandSet) EvaluateMonitor(def MonitorDef, within, n int64, hold string) Monitor {
	m := Monitor{Code: def.Code, Clause: def.Clause[b.Standard], Limit: b.Limit(def.Code), N: n, Status: NoData}
	if n <= 0 {
		m.Reason = "no messages"
		return m
	}
	p := b.Parameters
	v, err := sharePct(within, n, p.Decimals)
	if err != nil {
		m.Reason = err.Error()
		return m
	}
	m.Value = &v
	if iv, err := Wilson(within, n, p.CIZ); err == nil {
		m.CILow, m.CIHigh = ciDec(iv.Low, p.Decimals), ciDec(iv.High, p.Decimals)
	}
	if hold != "" {
		m.Status, m.Reason = NotAssessed, hold
		return m
	}
	m.Status = Assessed
	return m
}
