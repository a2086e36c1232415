package dashboards

import (
	"fmt"
	"sort"
	"strings"
	"sync"

	"github.com/cxstar/cxstar/internal/store"
	"github.com/cxstar/cxstar/metrics"
)

// Lang is the language of dashboard titles and indicator names: the catalog's languages.
type Lang = metrics.Lang

// Supported languages.
const (
	RU = metrics.RU
	EN = metrics.EN
)

// ParseLang accepts "ru" or "en"; empty means Russian.
var ParseLang = metrics.ParseLang

// DefaultIndicatorNames returns the short indicator names of the metrics catalog
// (short_ru/short_en of metrics/catalog.yaml) in lang, keyed by indicator code.
func DefaultIndicatorNames(lang Lang) map[string]string {
	m := map[string]string{}
	for _, ind := range catalog().Indicators {
		if _, seen := m[ind.Code]; seen {
			continue // the same code in both standards: the first (business) name
		}
		if lang == EN {
			m[ind.Code] = ind.ShortEN
		} else {
			m[ind.Code] = ind.ShortRU
		}
	}
	return m
}

// catalog and bandLists parse the embedded metrics files once per process.
var (
	catalog   = sync.OnceValue(metrics.DefaultCatalog)
	bandLists = sync.OnceValue(func() [2]string {
		var keys, vals []string
		for _, std := range metrics.Standards {
			bs, err := metrics.DefaultBands(std)
			if err != nil {
				continue
			}
			codes := make([]string, 0, len(bs.Indicators))
			for c := range bs.Indicators {
				codes = append(codes, c)
			}
			sort.Strings(codes)
			for _, c := range codes {
				for _, l := range bs.Indicators[c].Levels {
					keys = append(keys, store.Quote(fmt.Sprintf("%s/%s/%d", std, c, l.Level)))
					vals = append(vals, store.Quote(l.Text))
				}
			}
		}
		return [2]string{strings.Join(keys, ", "), strings.Join(vals, ", ")}
	})
)

// bandSQL returns a ClickHouse expression giving the band text («от 70,1% до 80%») of level
// (an expression) for the row's standard and indicator, from the default band files of
// metrics; ” when the level has no band. Keys are 'standard/indicator/level'.
func bandSQL(level string) string {
	l := bandLists()
	if l[0] == "" {
		return "''"
	}
	return "transform(concat(toString(standard), '/', indicator, '/', toString(" + level + ")), [" + l[0] + "], [" + l[1] + "], '')"
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
		from = append(from, store.Quote(c))
		to = append(to, store.Quote(names[c]))
	}
	return "transform(indicator, [" + strings.Join(from, ", ") + "], [" + strings.Join(to, ", ") + "], indicator)"
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
	bands, bandsDesc                                            string
	start, startNational, startDesc, whyColumn                  string
	pending, pendingDesc, pendingDiff, pendingLate, pendingWhy  string
	revision, revisionDesc, notClosed, revisionWord, closedWord string
	notChecked, lastCheck, checkChanges, checkLate              string
	followup, followupDesc                                      string
	followupColumns                                             map[string]string // followup_status column → header
	changes, changesDesc, noData                                string
	belowMinN                                                   [2]string // around n: «не оценено: выборка » n « меньше min_n»
	changesColumns                                              []string  // headers of changesColumns, in order
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
		moversDesc:   "Только значимые изменения к предыдущему кварталу (тест на уровне 95 %, поправка Бенджамини–Хохберга по показателям органа власти), по модулю изменения.",
		changes:      "Изменения к прошлому кварталу и цели",
		changesDesc: "Каждый показатель квартала: прошлый квартал, значение и изменение. Изменение проверено на уровне 95 % (доли — тест двух пропорций, NPS — разность с её дисперсией; " +
			"поправка Бенджамини–Хохберга по показателям органа власти); у значений сплошного учёта — само изменение, без проверки. Выделены только значимые изменения: ухудшение красным, улучшение зелёным. " +
			"Цель Проектного офиса на год и отклонение от неё; «хуже цели» / «лучше цели» — цель лежит вне 95 % доверительного интервала значения (для сплошного учёта — любое отличие). " +
			"Закрытый квартал показан в официальной редакции.",
		noData: "нет данных", belowMinN: [2]string{"не оценено: выборка ", " меньше min_n"},
		changesColumns: []string{"Показатель", "Прошлый квартал", "Значение", "Изменение", "Вывод об изменении", "Цель", "Отклонение от цели", "Сравнение с целью"},
		matrixDesc:     "Строки — органы власти, столбцы — показатели, значения — уровни. Сортируется по столбцу.",
		trendDesc:      "Уровень каждого показателя по кварталам выбранного периода.",
		sharesDesc:     "Доли положительных ответов, % (значение оценки).",
		repeatDesc:     "Доля повторных запросов, % (меньше — лучше), уровень и выборка.",
		poFolder:       "Проектный офис",
		start:          "С чего начать", startNational: "С чего начать: по стране", whyColumn: "why_ru",
		startDesc: "Жизненные ситуации по баллу: клиенты × взвешенный недобор до порога следующей звезды и до медианы по стране (cxstar priorities).",
		pending:   "Ожидающие редакции закрытых кварталов",
		pendingDesc: "Для каждого закрытого квартала — что изменит пересчёт на сегодняшних данных: показатель, официальное значение и уровень → новые, почему; " +
			"и события, поступившие после закрытия, по органам и таблицам. По последней проверке (cxstar assess --quarter Q); опубликовать новую редакцию: cxstar assess --quarter Q --close --reason «…». Пусто — ожидающих редакций нет.",
		pendingDiff: "изменение значения", pendingLate: "данные после закрытия", pendingWhy: "why_ru",
		revision:     "Официальная редакция квартала",
		revisionDesc: "Закрытый квартал (cxstar assess --quarter Q --close) показывается в своей последней официальной редакции, что бы ни поступило позже; незакрытый — по последнему расчёту.",
		notClosed:    "квартал не закрыт: показан последний расчёт", revisionWord: "редакция", closedWord: "закрыт",
		notChecked: "; после закрытия не проверялся (cxstar assess --quarter Q)", lastCheck: "; последняя проверка",
		checkChanges: "значени(е/я) изменит пересчёт", checkLate: "событий после закрытия",
		followup: "Недовольные клиенты: обратная связь",
		followupDesc: "Ответы с NPS 0–6 или удовлетворённостью 1–2 по заявлению, за квартал: сначала те, по которым ещё не было шага followed_up. " +
			"«В срок» — шаг не позднее 5 рабочих дней (пн–пт по Москве; праздники не исключаются) после ответа.",
		followupColumns: map[string]string{"answered_at": "Ответ", "client_id": "Клиент (псевдоним)", "request_id": "Заявление", "service_id": "Услуга",
			"question": "Вопрос", "score": "Оценка", "followed_up_at": "Обратная связь", "within_5_working_days": "В срок (5 раб. дней)"},
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
		moversDesc:   "Only significant changes against the previous quarter (tested at 95 %, Benjamini–Hochberg across the agency's indicators), largest first.",
		changes:      "Changes since last quarter and targets",
		changesDesc: "Every indicator of the quarter: previous quarter, value and change. The change is tested at 95 % (shares: two-proportion test, NPS: the difference with its variance; " +
			"Benjamini–Hochberg across the agency's indicators); census values show the change itself, untested. Only significant changes are highlighted: a decline red, an improvement green. " +
			"The Project Office's target for the year and the deviation from it; worse / better than target means the target lies outside the value's 95 % confidence interval (census values: any difference). " +
			"A closed quarter shows its official revision.",
		noData: "no data", belowMinN: [2]string{"not assessed: sample ", " below min_n"},
		changesColumns: []string{"Indicator", "Previous quarter", "Value", "Change", "Verdict", "Target", "Deviation from target", "Against target"},
		matrixDesc:     "Rows are agencies, columns indicators, cells levels. Sort by any column.",
		trendDesc:      "Each indicator's level per quarter of the chosen time range.",
		sharesDesc:     "Shares of positive answers, % (the assessed value).",
		repeatDesc:     "Repeat-request rate, % (lower is better), its level and sample.",
		poFolder:       "Project Office",
		start:          "Where to start", startNational: "Where to start: national", whyColumn: "why_en",
		startDesc: "Life situations by score: clients × weighted shortfall to the next star's band and to the national median (cxstar priorities).",
		pending:   "Pending revisions of closed quarters",
		pendingDesc: "For every closed quarter, what a recomputation on today's data changes: indicator, official value and level → new ones, and why; " +
			"and the events that arrived after closing, per agency and table. As of the last check (cxstar assess --quarter Q); publish a new revision with cxstar assess --quarter Q --close --reason \"…\". Empty: nothing pending.",
		pendingDiff: "value changes", pendingLate: "data after closing", pendingWhy: "why_en",
		revision:     "Official revision of the quarter",
		revisionDesc: "A closed quarter (cxstar assess --quarter Q --close) shows its newest official revision, whatever arrives later; a quarter not closed shows the newest run.",
		notClosed:    "not closed: the newest run is shown", revisionWord: "revision", closedWord: "closed",
		notChecked: "; not checked since closing (cxstar assess --quarter Q)", lastCheck: "; last check",
		checkChanges: "value(s) a recomputation changes", checkLate: "event(s) after closing",
		followup: "Detractors: follow-up",
		followupDesc: "Answers of NPS 0–6 or satisfaction 1–2 naming a request, in the quarter: those without a followed_up step first. " +
			"In time means a step within 5 working days (Mon–Fri, Moscow time; holidays not excluded) of the answer.",
		followupColumns: map[string]string{"answered_at": "Answered", "client_id": "Client (pseudonym)", "request_id": "Request", "service_id": "Service",
			"question": "Question", "score": "Score", "followed_up_at": "Followed up", "within_5_working_days": "In time (5 working days)"},
	},
}
