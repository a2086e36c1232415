package simulate

import (
	"fmt"
	"math"
	"math/rand/v2"
	"time"

	"github.com/cxstar/cxstar/quarter"
)

// Moscow is the fixed UTC+3 offset in which the standards' quarters are counted (Russia has kept
// UTC+3 all year since 2014). Generated timestamps carry this offset, a few carry Z.
var Moscow = time.FixedZone("MSK", 3*3600)

// Level is the tier of government an agency belongs to.
type Level string

// Agency levels.
const (
	Federal   Level = "federal"
	Regional  Level = "regional"
	Municipal Level = "municipal"
)

// Agency is one simulated agency (орган власти / уполномоченная организация) with its services,
// life situations, client scenarios and the hidden quality parameters that drive its events.
type Agency struct {
	ID          string
	Name        string // Russian name, for summaries
	Level       Level
	PersonShare float64 // share of requests from natural persons (the rest are business clients)
	Weight      float64 // request volume relative to the configured mean

	Services  []Service
	Scenarios []Scenario

	// Quality at the first simulated quarter, in [0,1], and its change per quarter.
	NPSQuality, SatQuality, EaseQuality, Drift float64
	// RepeatShare is the target share of repeat requests (same client, same service, within 28
	// days after completion) among all requests.
	RepeatShare float64
	// ReplyMedian is the median time to the first official reply to a social-media message.
	ReplyMedian time.Duration
	// ReplySLA, when not zero, is the limit within which the agency answers every official appeal
	// and comment on its posts (mentions: twice as long); without one, some messages stay
	// unanswered and replies have a long tail.
	ReplySLA time.Duration
	// Maturity in [0,1] drives the agency's registry: scenario coverage, approval dates and
	// proactive scenarios.
	Maturity float64
	// SurveyRate is the share of completed requests whose client answers the survey.
	SurveyRate float64
	// AppealRate is the number of appeals and social-media messages per request.
	AppealRate float64
	// ProactiveShare is the share of requests for proactive-capable services that are provided
	// proactively once their scenario is approved.
	ProactiveShare float64
}

// Service is one service, support measure or digital service of an agency's register.
type Service struct {
	ID              string
	Kind            string // service | support_measure | digital_service
	ClientType      string // person | business
	LifeSituationID string
	ScenarioID      string // "" when the service is outside any client scenario
	Weight          float64
	NPSOffset       float64 // added to the agency's NPS quality for this service
	MeanDuration    time.Duration
}

// Scenario is a client scenario (клиентский сценарий) of the registry: reference data, not events.
type Scenario struct {
	ID                string    `json:"scenario_id"`
	LifeSituationID   string    `json:"life_situation_id"`
	OwnerAgencyID     string    `json:"owner_agency_id"`
	ClientType        string    `json:"client_type"`
	Status            string    `json:"status"` // approved | draft
	ApprovedAt        time.Time `json:"approved_at"`
	ProactivePossible bool      `json:"proactive_possible"`
	APIPossible       bool      `json:"api_possible"`
	ServiceIDs        []string  `json:"service_ids"`
}

type agencyTemplate struct {
	id, name    string
	level       Level
	personShare float64
}

var agencyTemplates = []agencyTemplate{
	{"fed-fns", "ФНС России", Federal, 0.55},
	{"fed-sfr", "Социальный фонд России", Federal, 1},
	{"fed-rosreestr", "Росреестр", Federal, 0.7},
	{"reg-77-social", "Департамент труда и соцзащиты г. Москвы", Regional, 1},
	{"reg-16-business", "Минэкономики Республики Татарстан", Regional, 0},
	{"mun-kazan-land", "Земельный комитет г. Казани", Municipal, 0.6},
	{"fed-mvd-migration", "ГУ по вопросам миграции МВД России", Federal, 0.9},
	{"fed-msp", "Корпорация МСП", Federal, 0},
	{"reg-50-health", "Минздрав Московской области", Regional, 1},
	{"reg-66-education", "Минобразования Свердловской области", Regional, 1},
	{"mun-ekb-transport", "Департамент транспорта г. Екатеринбурга", Municipal, 0.8},
	{"fed-fts", "ФТС России", Federal, 0.15},
	{"reg-23-agro", "Минсельхоз Краснодарского края", Regional, 0.3},
	{"reg-54-employment", "Управление занятости Новосибирской области", Regional, 0.85},
	{"mun-spb-housing", "Жилищный комитет Санкт-Петербурга", Municipal, 0.9},
	{"fed-rpn", "Роспотребнадзор", Federal, 0.2},
	{"reg-02-housing", "Госкомитет Башкортостана по жилищному надзору", Regional, 0.7},
	{"mun-nsk-education", "Департамент образования мэрии Новосибирска", Municipal, 1},
	{"mun-sochi-tourism", "Управление курортов и туризма г. Сочи", Municipal, 0.4},
	{"fed-rostrud", "Роструд", Federal, 0.6},
	{"reg-39-investment", "Агентство по инвестициям Калининградской области", Regional, 0},
	{"mun-perm-social", "Управление соцзащиты г. Перми", Municipal, 1},
	{"mun-omsk-architecture", "Департамент архитектуры г. Омска", Municipal, 0.45},
	{"reg-78-culture", "Комитет по культуре Санкт-Петербурга", Regional, 0.75},
}

var personSituations = []string{"birth-of-child", "moving-house", "retirement", "disability", "job-loss",
	"car-ownership", "school-enrolment", "marriage", "housing-purchase", "healthcare", "large-family", "travel-abroad"}

var businessSituations = []string{"business-start", "export", "hiring-staff", "building-permit", "inspection",
	"tax-reporting", "licensing", "land-lease", "support-grant", "import-goods"}

var personSegments = []string{"seg-young-family", "seg-pensioner", "seg-student", "seg-disabled", "seg-working-age"}
var businessSegments = []string{"seg-sme", "seg-individual-entrepreneur", "seg-self-employed", "seg-large", "seg-farm"}

var serviceKinds = []string{"service", "support_measure", "digital_service"}

// buildAgencies draws n agencies from the templates (numbered copies beyond them) with
// parameters spread so that their star levels differ.
func buildAgencies(seed uint64, n int, first, last quarter.Quarter) []Agency {
	out := make([]Agency, n)
	for i := range out {
		r := rand.New(rand.NewPCG(seed, uint64(i)*0x9e3779b97f4a7c15+1))
		t := agencyTemplates[i%len(agencyTemplates)]
		a := Agency{ID: t.id, Name: t.name, Level: t.level, PersonShare: t.personShare}
		if k := i / len(agencyTemplates); k > 0 {
			a.ID = fmt.Sprintf("%s-%d", t.id, k+1)
			a.Name = fmt.Sprintf("%s (%d)", t.name, k+1)
		}
		switch t.level {
		case Federal:
			a.Weight = 1.4 + r.Float64()
		case Regional:
			a.Weight = 0.7 + 0.6*r.Float64()
		default:
			a.Weight = 0.4 + 0.4*r.Float64()
		}
		// Spread quality over the whole range: each agency's base lies in its own tenth of [0.1, 0.9].
		base := 0.1 + 0.8*(float64(i*7%10)+r.Float64())/10 // agencies 0, 1, 2 … land far apart
		a.NPSQuality = clamp01(base + 0.1*r.NormFloat64())
		a.SatQuality = clamp01(base + 0.1*r.NormFloat64())
		a.EaseQuality = clamp01(base + 0.1*r.NormFloat64())
		a.Drift = -0.04 + 0.12*r.Float64()
		// Repeat shares from 0.3 % to 12 %: across every band of the repeat-request indicator.
		// A mature agency (high base) has fewer repeat requests and answers faster: from 0.3 % to
		// 12 % repeats, across every band of the repeat-request indicator.
		a.Maturity = base
		a.RepeatShare = math.Round(0.003*math.Pow(40, clamp01(1-base+0.15*r.NormFloat64()))*10000) / 10000
		a.ReplyMedian = time.Duration(float64(20*time.Minute) * math.Pow(90, clamp01(1-base+0.2*r.NormFloat64()))).Round(time.Minute)
		switch {
		case base > 0.8:
			a.ReplySLA = 2 * time.Hour
		case base > 0.7:
			a.ReplySLA = 3 * time.Hour
		case base > 0.6:
			a.ReplySLA = 4 * time.Hour
		case base > 0.5:
			a.ReplySLA = 6 * time.Hour
		}
		a.SurveyRate = 0.25 + 0.2*r.Float64()
		a.AppealRate = 0.03 + 0.05*r.Float64()
		a.ProactiveShare = 0.2 + 0.5*r.Float64()
		buildServices(&a, r, first, last)
		out[i] = a
	}
	return out
}

func buildServices(a *Agency, r *rand.Rand, first, last quarter.Quarter) {
	var situations []struct{ id, clientType string }
	pick := func(list []string, k int, ct string) {
		for _, j := range r.Perm(len(list))[:k] {
			situations = append(situations, struct{ id, clientType string }{list[j], ct})
		}
	}
	if a.PersonShare > 0 {
		pick(personSituations, 2+r.IntN(4), "person")
	}
	if a.PersonShare < 1 {
		pick(businessSituations, 2+r.IntN(3), "business")
	}
	// Share of life situations with a scenario, and how early they were approved, grow with maturity.
	coverage := clamp01(0.1 + 0.9*a.Maturity + 0.1*r.NormFloat64())
	span := last.End().Sub(first.Start())
	n := 0
	for _, ls := range situations {
		var sc *Scenario
		if r.Float64() < coverage {
			// Approved from a year before the period to its end (mature agencies earlier): coverage
			// grows over the quarters.
			approved := first.Start().Add(-365 * 24 * time.Hour).Add(time.Duration(clamp01(r.Float64()*(1.3-a.Maturity)) * float64(span+365*24*time.Hour)))
			a.Scenarios = append(a.Scenarios, Scenario{
				ID: "sc-" + a.ID + "-" + ls.id, LifeSituationID: ls.id, OwnerAgencyID: a.ID, ClientType: ls.clientType,
				Status: "approved", ApprovedAt: approved.UTC().Truncate(time.Hour),
				ProactivePossible: r.Float64() < 0.1+0.7*a.Maturity, APIPossible: r.Float64() < map[bool]float64{true: 0.6, false: 0.2}[ls.clientType == "business"],
			})
			sc = &a.Scenarios[len(a.Scenarios)-1]
		}
		for k := 1 + r.IntN(3); k > 0; k-- {
			n++
			s := Service{
				ID:   fmt.Sprintf("%s.svc%02d", a.ID, n),
				Kind: serviceKinds[r.IntN(3)], ClientType: ls.clientType, LifeSituationID: ls.id,
				Weight:       0.3 + r.ExpFloat64(),
				NPSOffset:    0.25 * r.NormFloat64(),
				MeanDuration: time.Duration(float64(2*time.Hour) * math.Pow(200, r.Float64())),
			}
			if sc != nil && r.Float64() < 0.85 {
				s.ScenarioID = sc.ID
				sc.ServiceIDs = append(sc.ServiceIDs, s.ID)
			}
			a.Services = append(a.Services, s)
		}
	}
}

func clamp01(x float64) float64 { return math.Max(0, math.Min(1, x)) }
