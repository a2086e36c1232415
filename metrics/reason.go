package metrics

import (
	"fmt"
	"regexp"
	"strings"
)

// A result's Reason is stored as written here, in English (assessments.reason, and the JSON and
// CSV of `cxstar assess`); ReasonText gives its words in the reader's language for tables and
// reports.

// reasonServicesExcluded is the note of an NPS-per-service share whose low-sample services were
// left out: "1 service below min_n 30 excluded", "3 services below …".
func reasonServicesExcluded(n, minN int64) string {
	noun := "services"
	if n == 1 {
		noun = "service"
	}
	return fmt.Sprintf("%d %s below min_n %d excluded", n, noun, minN)
}

// reasonsRU are the Russian words of every reason Evaluate, MonitorsFor and the assessment's
// settling rule write; $1, $2 stand for the numbers and names the English text carries.
var reasonsRU = []struct {
	en *regexp.Regexp
	ru string
}{
	{regexp.MustCompile(`^sample (\d+) below min_n (\d+)$`), "выборка $1 меньше min_n $2"},
	{regexp.MustCompile(`^(\d+) services? below min_n (\d+) excluded$`), "не учтены услуги с выборкой меньше min_n $2: $1"},
	{regexp.MustCompile(`^denominator is 0: nothing to compute from$`), "знаменатель равен 0: не из чего вычислять"},
	{regexp.MustCompile(`^no approved client scenario in the registry$`), "в реестре нет утверждённых клиентских сценариев"},
	{regexp.MustCompile(`^no answers$`), "нет ответов"},
	{regexp.MustCompile(`^no NPS answers about services$`), "нет ответов NPS об услугах"},
	{regexp.MustCompile(`^no capability declaration for the quarter$`), "нет декларации возможностей за квартал"},
	{regexp.MustCompile(`^insufficient_survey_data$`), "недостаточно ответов опроса"},
	{regexp.MustCompile(`^zero_value_floor_star$`), "значение 0 — нижняя граница шкалы (zero_value_floor_star)"},
	{regexp.MustCompile(`^no messages$`), "нет сообщений"},
	{regexp.MustCompile(`^no band ladder for this indicator in (.+)$`), "в версии шкал $1 нет шкалы этого показателя"},
	{regexp.MustCompile(`^unknown indicator kind (.+)$`), "неизвестный вид показателя $1"},
	{regexp.MustCompile(`^the quarter settles at (\S+) \(quarter end \+ settle_hours, A15\)$`), "квартал устоится в $1 (конец квартала + settle_hours, A15)"},
	{regexp.MustCompile(`^source: (.+)$`), "источник: $1"},
}

// ReasonText returns a stored reason in lang: as it is in English, in Russian words when lang is
// RU. Parts are separated by "; " and translated one by one; a part without Russian words (an
// error from the computation) stays as it is.
func ReasonText(reason string, lang Lang) string {
	if lang == EN || reason == "" {
		return reason
	}
	parts := strings.Split(reason, "; ")
	for i, p := range parts {
		for _, t := range reasonsRU {
			if t.en.MatchString(p) {
				parts[i] = t.en.ReplaceAllString(p, t.ru)
				break
			}
		}
	}
	return strings.Join(parts, "; ")
}
