package dashboards

import (
	"fmt"
	"sort"
	"strings"
)

// Lang is the language of dashboard titles and indicator names.
type Lang string

// Supported languages.
const (
	RU Lang = "ru"
	EN Lang = "en"
)

// ParseLang accepts "ru" or "en".
func ParseLang(s string) (Lang, error) {
	switch Lang(strings.ToLower(s)) {
	case RU:
		return RU, nil
	case EN:
		return EN, nil
	}
	return "", fmt.Errorf("unknown language %q: use ru or en", s)
}

// defaultIndicatorNames are the short names of the indicator catalog (metrics/catalog.yaml,
// short_ru/short_en), used when the caller passes none with WithIndicatorNames.
var defaultIndicatorNames = map[string][2]string{
	"api_scenario_share":                                    {"Сценарии с API", "Scenarios with API"},
	"appointment_booking":                                   {"Запись на личный приём", "Appointment booking"},
	"clients_with_complete_compliance_data_share":           {"Клиенты с полными сведениями в ГИР", "Clients with complete compliance data"},
	"compliance_cost_reduction_vs_base":                     {"Снижение издержек к базе", "Compliance cost reduction"},
	"digital_touchpoint_nps":                                {"NPS цифровых каналов", "Digital touchpoint NPS"},
	"ease_positive_share":                                   {"Простота получения услуг", "Ease of getting services"},
	"info_reqs_confirmable_from_state_data_share":           {"Требования, подтверждаемые из ГИР", "Requirements confirmable from state data"},
	"info_reqs_confirmable_via_api_share":                   {"Требования, подтверждаемые через API", "Requirements confirmable via API"},
	"journey_map_coverage":                                  {"Карты клиентских путей", "Journey-map coverage"},
	"nps_positive_service_share":                            {"Доля услуг с NPS > 0", "Services with positive NPS"},
	"phone_availability":                                    {"Доступность по телефону", "Phone availability"},
	"proactive_scenario_share":                              {"Проактивные сценарии", "Proactive scenarios"},
	"prototype_testing_share":                               {"Тестирование прототипов", "Prototype testing"},
	"repeat_request_rate":                                   {"Повторные запросы", "Repeat requests"},
	"reqs_with_significant_assessment_cost_estimates_share": {"Требования со значимой оценкой издержек проверок", "Requirements with significant assessment-cost estimates"},
	"reqs_with_significant_compliance_cost_estimates_share": {"Требования со значимой оценкой издержек", "Requirements with significant cost estimates"},
	"sat_assessment_cost_reduction":                         {"Удовл. затратами на проверки", "Satisfaction: assessment costs"},
	"sat_client_path_time":                                  {"Удовл. временем клиентского пути", "Satisfaction: client path time"},
	"sat_compliance_cost_reduction":                         {"Удовл. затратами на обяз. требования", "Satisfaction: compliance costs"},
	"sat_control_activities_service":                        {"Удовл. сервисом контрольных мероприятий", "Satisfaction: control-activities service"},
	"sat_feedback_channels":                                 {"Удовл. каналами обратной связи", "Satisfaction: feedback channels"},
	"sat_informing_training":                                {"Удовл. информированием и обучением", "Satisfaction: informing and training"},
	"sat_projected_requirements_evaluation":                 {"Удовл. оценкой проектов требований", "Satisfaction: draft requirements evaluation"},
	"sat_risk_profile_service":                              {"Удовл. сервисом профиля рисков", "Satisfaction: risk-profile service"},
	"satisfaction_positive_share":                           {"Удовлетворённость услугами", "Satisfaction with services"},
	"scenario_coverage":                                     {"Охват клиентскими сценариями", "Client-scenario coverage"},
	"social_media_response_time":                            {"Время ответа в соцсетях", "Social-media response time"},
	"written_text_accessibility":                            {"Понятность письменных ответов", "Written text clarity"},
}

// DefaultIndicatorNames returns the built-in short indicator names in lang, keyed by indicator code.
func DefaultIndicatorNames(lang Lang) map[string]string {
	i := 0
	if lang == EN {
		i = 1
	}
	m := make(map[string]string, len(defaultIndicatorNames))
	for code, n := range defaultIndicatorNames {
		m[code] = n[i]
	}
	return m
}

// labelSQL returns a ClickHouse expression that maps the indicator column to its name (the code
// itself when unknown). transform() runs on 18.16 and current ClickHouse.
func labelSQL(names map[string]string) string {
	if len(names) == 0 {
		return "indicator"
	}
	codes := make([]string, 0, len(names))
	for c := range names {
		codes = append(codes, c)
	}
	sort.Strings(codes)
	var from, to []string
	for _, c := range codes {
		from = append(from, sqlString(c))
		to = append(to, sqlString(names[c]))
	}
	return "transform(indicator, [" + strings.Join(from, ", ") + "], [" + strings.Join(to, ", ") + "], indicator)"
}

// sqlString quotes s as a ClickHouse string literal.
func sqlString(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `'`, `\'`)
	return "'" + r.Replace(s) + "'"
}

// text holds the translatable titles.
type text struct {
	agencyTitle, overviewTitle, allAgenciesTitle                string
	agency, standard, quarter                                   string
	levels, overall, trend, nps, shares, repeat, responseTimes  string
	byService, byLifeSituation, samples                         string
	matrix, distribution, movers, notAssessed                   string
	levelsDesc, overallDesc, npsDesc, responseDesc, samplesDesc string
	moversDesc, matrixDesc, trendDesc, sharesDesc, repeatDesc   string
	poFolder                                                    string
}

var texts = map[Lang]text{
	RU: {
		agencyTitle: "Клиентоцентричность: %s", overviewTitle: "Проектный офис: все органы власти", allAgenciesTitle: "Клиентоцентричность: орган власти (выбор)",
		agency: "Орган власти", standard: "Стандарт", quarter: "Квартал",
		levels: "Уровень (звёзды) по показателям", overall: "Минимальный уровень по ключевым показателям (табл. 1)",
		trend: "Динамика уровней по кварталам", nps: "NPS и доверительный интервал (95%)", shares: "Доли удовлетворённости и простоты, %",
		repeat: "Повторные запросы", responseTimes: "Время ответа", byService: "Детализация по услугам",
		byLifeSituation: "Детализация по жизненным ситуациям", samples: "Размер выборки и статус оценки",
		matrix: "Уровни всех органов власти за квартал", distribution: "Распределение уровней", movers: "Наибольшие изменения к прошлому кварталу",
		notAssessed:  "не оценено",
		levelsDesc:   "Звёзды 0–5 по полосам стандарта; пусто — «не оценено» (выборка меньше min_n или нет данных).",
		overallDesc:  "Наименьший уровень среди показателей таблицы 1 стандарта, оценённых в квартале.",
		npsDesc:      "Значение, границы 95% доверительного интервала и размер выборки n.",
		responseDesc: "Значение показателя времени ответа, его уровень относительно нормативов полос и выборка.",
		samplesDesc:  "n — размер выборки; статус: assessed / not_assessed (n < min_n) / no_data.",
		moversDesc:   "Изменение уровня показателя относительно предыдущего квартала, по модулю.",
		matrixDesc:   "Строки — органы власти, столбцы — показатели, значения — уровни. Сортируется по столбцу.",
		trendDesc:    "Уровень каждого показателя по кварталам выбранного периода.",
		sharesDesc:   "Доли положительных ответов, % (значение оценки).",
		repeatDesc:   "Доля повторных запросов, % (меньше — лучше), уровень и выборка.",
		poFolder:     "Проектный офис",
	},
	EN: {
		agencyTitle: "Client centricity: %s", overviewTitle: "Project Office: all agencies", allAgenciesTitle: "Client centricity: agency (choose)",
		agency: "Agency", standard: "Standard", quarter: "Quarter",
		levels: "Star level per indicator", overall: "Lowest level of key indicators (Table 1)",
		trend: "Levels over quarters", nps: "NPS with 95% interval", shares: "Satisfaction and ease shares, %",
		repeat: "Repeat requests", responseTimes: "Response times", byService: "Drill-down by service",
		byLifeSituation: "Drill-down by life situation", samples: "Sample sizes and assessment status",
		matrix: "Levels of every agency in the quarter", distribution: "Distribution of levels", movers: "Biggest movers since last quarter",
		notAssessed:  "not assessed",
		levelsDesc:   "Stars 0–5 by the standard's bands; empty means not assessed (sample below min_n or no data).",
		overallDesc:  "Lowest level among the Table 1 indicators assessed in the quarter.",
		npsDesc:      "Value, 95% interval bounds and sample size n.",
		responseDesc: "Response-time indicator value, its level against the band limits, and the sample.",
		samplesDesc:  "n is the sample size; status: assessed / not_assessed (n < min_n) / no_data.",
		moversDesc:   "Change of an indicator's level against the previous quarter, largest first.",
		matrixDesc:   "Rows are agencies, columns indicators, cells levels. Sort by any column.",
		trendDesc:    "Each indicator's level per quarter of the chosen time range.",
		sharesDesc:   "Shares of positive answers, % (the assessed value).",
		repeatDesc:   "Repeat-request rate, % (lower is better), its level and sample.",
		poFolder:     "Project Office",
	},
}
