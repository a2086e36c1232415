package readability

import (
	"strings"
	"testing"
)

// hand is a text scored by hand: its counts counted letter by letter, and each index worked out
// from its formula (ASL = words/sentences, ASW = syllables/words, L and S per 100 words):
//
//	FRE  = 206.835 − 1.3·ASL − 60.1·ASW
//	FKGL = 0.5·ASL + 8.4·ASW − 15.59
//	CLI  = 0.055·L − 0.35·S − 20.33
//	ARI  = 6.26·letters/words + 0.2805·ASL − 31.04
type hand struct {
	name   string
	text   string
	counts Counts
	want   Indices // worked by hand, rounded half away from zero to two decimals
	scored bool
}

const simple = "Мы получили ваше письмо. Ответ готов. Приходите в офис в среду!"

var handScored = []hand{
	{
		// Мы 2/1 (letters/vowels), получили 8/4, ваше 4/2, письмо 6/2 | Ответ 5/2, готов 5/2 |
		// Приходите 9/4, в 1/0, офис 4/2, в 1/0, среду 5/2 — 11 words, 50 letters, 21 syllables,
		// 3 sentences. ASL = 11/3 = 3.666667, ASW = 21/11 = 1.909091, letters/word 50/11 = 4.545455.
		// FRE  = 206.835 − 4.766667 − 114.736364 = 87.331970
		// FKGL = 1.833333 + 16.036364 − 15.59 = 2.279697
		// CLI  = 0.055·454.545455 − 0.35·27.272727 − 20.33 = 25 − 9.545455 − 20.33 = −4.875455
		// ARI  = 28.454545 + 1.028500 − 31.04 = −1.556955
		name: "short", text: simple, scored: true,
		counts: Counts{Chars: 50, Words: 11, Sentences: 3, Syllables: 21},
		want:   Indices{87.33, 2.28, -4.88, -1.56},
	},
	{
		// The short text 40 times: every count × 40, every ratio and so every index unchanged.
		name: "long", text: strings.TrimSpace(strings.Repeat(simple+" ", 40)), scored: true,
		counts: Counts{Chars: 2000, Words: 440, Sentences: 120, Syllables: 840},
		want:   Indices{87.33, 2.28, -4.88, -1.56},
	},
	{
		// В 1/0, соответствии 12/5, с 1/0, административным 16/6, регламентом 11/4,
		// предоставления 14/6, государственной 15/5, услуги 6/3, заявителю 9/5, направляется 12/5,
		// уведомление 11/6, об 2/1, отказе 6/3, в 1/0, приёме 6/3, документов 10/4,
		// необходимых 11/5, для 3/1, предоставления 14/6, государственной 15/5, услуги 6/3 —
		// 21 words, 182 letters, 76 syllables, 1 sentence. ASL = 21, ASW = 76/21 = 3.619048.
		// FRE  = 206.835 − 27.3 − 60.1·76/21 (= 217.504762) = −37.969762
		// FKGL = 10.5 + 8.4·76/21 (= 30.4) − 15.59 = 25.31
		// CLI  = 0.055·18200/21 (= 47.666667) − 0.35·100/21 (= 1.666667) − 20.33 = 25.67
		// ARI  = 6.26·182/21 (= 54.253333) + 0.2805·21 (= 5.8905) − 31.04 = 29.103833
		name: "bureaucratic", scored: true,
		text: "В соответствии с административным регламентом предоставления государственной услуги " +
			"заявителю направляется уведомление об отказе в приёме документов, необходимых для " +
			"предоставления государственной услуги.",
		counts: Counts{Chars: 182, Words: 21, Sentences: 1, Syllables: 76},
		want:   Indices{-37.97, 25.31, 25.67, 29.10},
	},
	{
		// No words: no index is defined.
		name: "empty", text: "", counts: Counts{},
	},
	{
		name: "punctuation only", text: " … — ?! ", counts: Counts{},
	},
	{
		// Здравствуйте: 12 letters, vowels а, у, е = 3; one word, one sentence (no final mark).
		// FRE  = 206.835 − 1.3 − 60.1·3 = 25.235
		// FKGL = 0.5 + 8.4·3 − 15.59 = 10.11
		// CLI  = 0.055·1200 − 0.35·100 − 20.33 = 66 − 35 − 20.33 = 10.67
		// ARI  = 6.26·12 + 0.2805 − 31.04 = 44.3605
		name: "one word", text: "Здравствуйте", scored: true,
		counts: Counts{Chars: 12, Words: 1, Sentences: 1, Syllables: 3},
		want:   Indices{25.24, 10.11, 10.67, 44.36},
	},
	{
		// Digits count as letters and make words without syllables: 12345 (5), 678 (3); 1 sentence.
		// FRE  = 206.835 − 1.3·2 − 0 = 204.235
		// FKGL = 0.5·2 + 0 − 15.59 = −14.59
		// CLI  = 0.055·400 − 0.35·50 − 20.33 = 22 − 17.5 − 20.33 = −15.83
		// ARI  = 6.26·4 + 0.2805·2 − 31.04 = 25.04 + 0.561 − 31.04 = −5.439
		name: "only digits", text: "12345 678", scored: true,
		counts: Counts{Chars: 8, Words: 2, Sentences: 1, Syllables: 0},
		want:   Indices{204.24, -14.59, -15.83, -5.44},
	},
	{
		// Войдите 7/3, на 2/1, Gosuslugi 9/4 (o, u, u, i), ru 2/1, через 5/2, ЕСИА 4/3. The dot
		// of the domain ends a sentence: "Войдите на Gosuslugi." and "ru через ЕСИА." — 6 words,
		// 29 letters, 14 syllables, 2 sentences. ASL = 3, ASW = 14/6 = 2.333333.
		// FRE  = 206.835 − 3.9 − 60.1·14/6 (= 140.233333) = 62.701667
		// FKGL = 1.5 + 8.4·14/6 (= 19.6) − 15.59 = 5.51
		// CLI  = 0.055·2900/6 (= 26.583333) − 0.35·200/6 (= 11.666667) − 20.33 = −5.413333
		// ARI  = 6.26·29/6 (= 30.256667) + 0.8415 − 31.04 = 0.058167
		name: "mixed Latin", text: "Войдите на Gosuslugi.ru через ЕСИА.", scored: true,
		counts: Counts{Chars: 29, Words: 6, Sentences: 2, Syllables: 14},
		want:   Indices{62.70, 5.51, -5.41, 0.06},
	},
}

func TestHandScored(t *testing.T) {
	for _, h := range handScored {
		t.Run(h.name, func(t *testing.T) {
			c := Count(h.text)
			if c != h.counts {
				t.Fatalf("counts %+v, counted by hand %+v", c, h.counts)
			}
			ix, ok := Compute(c)
			if ok != h.scored {
				t.Fatalf("scored = %v, want %v", ok, h.scored)
			}
			if !ok {
				return
			}
			for _, name := range IndexNames {
				got, _ := ix.value(name)
				want, _ := h.want.value(name)
				if got != want {
					t.Errorf("%s = %v, worked by hand %v", name, got, want)
				}
			}
		})
	}
}

// TestScoreAgainstLimits checks pass/fail on the embedded limits (general: FRE ≥ 40, grades
// ≤ 12; plain: FRE ≥ 60, grades ≤ 9; business: FRE ≥ 30, grades ≤ 14) with the hand-worked
// values of TestHandScored, rounded to two decimals before the comparison.
func TestScoreAgainstLimits(t *testing.T) {
	l := DefaultLimits()
	cases := []struct {
		text, segment string
		pass          bool
		failed        []string
	}{
		{simple, "", true, nil},
		{simple, "plain", true, nil},
		{handScored[2].text, "general", false, []string{IndexFRE, IndexFKGL, IndexCLI, IndexARI}},
		{handScored[2].text, "business", false, []string{IndexFRE, IndexFKGL, IndexCLI, IndexARI}},
		// 25.24 < 40; 10.11 ≤ 12; 10.67 ≤ 12; 44.36 > 12.
		{"Здравствуйте", "general", false, []string{IndexFRE, IndexARI}},
		// 62.70 ≥ 60; 5.51, −5.41, 0.06 ≤ 9.
		{handScored[7].text, "plain", true, nil},
	}
	for _, c := range cases {
		r, err := l.Score(c.text, c.segment)
		if err != nil {
			t.Fatal(err)
		}
		var failed []string
		for _, ch := range r.Checks {
			if !ch.Pass {
				failed = append(failed, ch.Index)
			}
		}
		if r.Pass != c.pass || strings.Join(failed, ",") != strings.Join(c.failed, ",") || len(r.Checks) != 4 {
			t.Errorf("%.30q in %q: pass %v failed %v (%d checks), want pass %v failed %v", c.text, c.segment, r.Pass, failed, len(r.Checks), c.pass, c.failed)
		}
	}
	if r, _ := l.Score("Здравствуйте", ""); r.Segment != "general" || r.Indices.FleschReadingEase != 25.24 || r.Indices.ARI != 44.36 {
		t.Errorf("default segment and rounding: %+v %+v", r, r.Indices)
	}
	if r, _ := l.Score("  ", ""); r.Scored || r.Pass || r.Indices != nil {
		t.Errorf("a text without words must be neither scored nor passed: %+v", r)
	}
	if _, err := l.Score(simple, "nobody"); err == nil || !strings.Contains(err.Error(), "general") {
		t.Errorf("unknown segment: %v", err)
	}
}

// TestLimitsFileChecked: a limits file with mistakes is refused with every mistake named.
func TestLimitsFileChecked(t *testing.T) {
	bad := `version: ""
effective_from: "soon"
default_segment: none
segments:
  general:
    limits:
      flesch_reading_ease: {min: 60, max: 50}
      smog: {max: 10}
      ari: {}
`
	_, err := ParseLimits([]byte(bad))
	if err == nil {
		t.Fatal("accepted")
	}
	for _, want := range []string{"version is empty", "effective_from", `default_segment "none"`, "min 60 is above max 50", `"smog" is not an index`, "ari: set min or max"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q:\n%v", want, err)
		}
	}
}

// TestComputeLargeCounts: counts beyond the int64 fast path take the big-integer path and give
// the same indices as the same ratios in small counts.
func TestComputeLargeCounts(t *testing.T) {
	small := Counts{Chars: 50, Words: 11, Sentences: 3, Syllables: 21}
	const f = 200_000 // 11·200000 words > 2²⁰
	large := Counts{Chars: small.Chars * f, Words: small.Words * f, Sentences: small.Sentences * f, Syllables: small.Syllables * f}
	a, _ := Compute(small)
	b, _ := Compute(large)
	if a != b || a != (Indices{87.33, 2.28, -4.88, -1.56}) {
		t.Errorf("small %+v, large %+v", a, b)
	}
}
