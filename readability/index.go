// Package readability scores how hard a written Russian text is to read: Russian adaptations of
// the Flesch reading ease, the Flesch–Kincaid grade, the Coleman–Liau index and the Automated
// Readability Index, computed from the counts of letters, words, sentences and syllables (Count),
// and checked against the limits of the client's segment (versioned data, limits/*.yaml). The
// same counts are stored by ingest for every reply, so the indices of stored replies are the
// same as those of the check. `cxstar readability` and its HTTP server use this package; the
// formulas and their sources are in docs/readability.md.
package readability

import (
	"math"
	"math/big"
)

// Coefficients of the Russian adaptations. Each formula takes ASL = words / sentences (average
// sentence length) and ASW = syllables / words (average word length in syllables), or the
// letters L and sentences S per 100 words.
const (
	// Flesch reading ease for Russian, Oborneva's adaptation:
	// FRE = 206.835 − 1.3·ASL − 60.1·ASW (higher is easier). Source: И. В. Оборнева,
	// «Автоматизированная оценка сложности учебных текстов на основе статистических параметров»,
	// дисс. канд. пед. наук, Москва, 2006.
	freBase, freASL, freASW = 206.835, 1.3, 60.1
	// Flesch–Kincaid grade for Russian, from the same work:
	// FKGL = 0.5·ASL + 8.4·ASW − 15.59 (school years).
	fkASL, fkASW, fkBase = 0.5, 8.4, 15.59
	// Coleman–Liau index for Russian, as the Plain Russian Language project (И. Бегтин,
	// github.com/infoculture/plainrussian, textmetric/metric.py) calibrated it on Russian texts of
	// known school grade: CLI = 0.055·L − 0.35·S − 20.33.
	cliL, cliS, cliBase = 0.055, 0.35, 20.33
	// Automated Readability Index for Russian, same source:
	// ARI = 6.26·(letters/words) + 0.2805·ASL − 31.04.
	ariLPW, ariASL, ariBase = 6.26, 0.2805, 31.04
)

// Indices are the four readability indices of one text, rounded half away from zero to two
// decimal places.
type Indices struct {
	FleschReadingEase  float64 `json:"flesch_reading_ease"`  // higher is easier; about 0–100 for prose
	FleschKincaidGrade float64 `json:"flesch_kincaid_grade"` // school years needed
	ColemanLiau        float64 `json:"coleman_liau"`         // school years needed
	ARI                float64 `json:"ari"`                  // school years needed
}

// Compute returns the indices of counts; ok is false when the text has no words, where no index
// is defined. Every index is a ratio of integers (the coefficients have at most four decimals),
// so it is computed and rounded exactly: 25.235 rounds to 25.24, as worked by hand, not to the
// 25.23 a binary float would give. With W words, S sentences, Y syllables and L letters:
//
//	FRE  = (2068350·W·S − 13000·W² − 601000·Y·S) / (10⁴·W·S)
//	FKGL = (5000·W² + 84000·Y·S − 155900·W·S) / (10⁴·W·S)
//	CLI  = (55000·L − 350000·S − 203300·W) / (10⁴·W)
//	ARI  = (62600·L·S + 2805·W² − 310400·W·S) / (10⁴·W·S)
func Compute(c Counts) (ix Indices, ok bool) {
	if c.Words == 0 {
		return Indices{}, false
	}
	if max(c.Words, c.Sentences, c.Syllables, c.Chars) <= 1<<20 { // every product fits in an int64
		w, s, y, l := int64(c.Words), int64(max(c.Sentences, 1)), int64(c.Syllables), int64(c.Chars)
		return Indices{
			FleschReadingEase:  centi64(k(freBase)*w*s-k(freASL)*w*w-k(freASW)*y*s, w*s),
			FleschKincaidGrade: centi64(k(fkASL)*w*w+k(fkASW)*y*s-k(fkBase)*w*s, w*s),
			ColemanLiau:        centi64(k(100*cliL)*l-k(100*cliS)*s-k(cliBase)*w, w),
			ARI:                centi64(k(ariLPW)*l*s+k(ariASL)*w*w-k(ariBase)*w*s, w*s),
		}, true
	}
	w, s := big.NewInt(int64(c.Words)), big.NewInt(int64(max(c.Sentences, 1)))
	y, l := big.NewInt(int64(c.Syllables)), big.NewInt(int64(c.Chars))
	ws, ww := mul(w, s), mul(w, w)
	return Indices{
		FleschReadingEase:  centi(sum(scale(freBase, ws), scale(-freASL, ww), scale(-freASW, mul(y, s))), ws),
		FleschKincaidGrade: centi(sum(scale(fkASL, ww), scale(fkASW, mul(y, s)), scale(-fkBase, ws)), ws),
		ColemanLiau:        centi(sum(scale(100*cliL, l), scale(-100*cliS, s), scale(-cliBase, w)), w),
		ARI:                centi(sum(scale(ariLPW, mul(l, s)), scale(ariASL, ww), scale(-ariBase, ws)), ws),
	}, true
}

// k returns coef·10⁴ as an integer (coef has at most four decimals).
func k(coef float64) int64 { return int64(math.Round(coef * 1e4)) }

// centi64 is centi on int64: round(n / (100·d)) / 100, half away from zero.
func centi64(n, d int64) float64 {
	den := 100 * d
	neg := n < 0
	if neg {
		n = -n
	}
	q, r := n/den, n%den
	if 2*r >= den {
		q++
	}
	if neg {
		q = -q
	}
	return float64(q) / 100
}

// scale returns coef·x·10⁴ exactly (coef has at most four decimals).
func scale(coef float64, x *big.Int) *big.Int {
	return new(big.Int).Mul(big.NewInt(int64(math.Round(coef*1e4))), x)
}

func mul(a, b *big.Int) *big.Int { return new(big.Int).Mul(a, b) }

func sum(xs ...*big.Int) *big.Int {
	t := new(big.Int)
	for _, x := range xs {
		t.Add(t, x)
	}
	return t
}

// centi returns n / (10⁴·d) rounded half away from zero to two decimals: round(n / (100·d)) / 100.
func centi(n, d *big.Int) float64 {
	den := new(big.Int).Mul(d, big.NewInt(100))
	neg := n.Sign() < 0
	q, r := new(big.Int).QuoRem(new(big.Int).Abs(n), den, new(big.Int))
	if r.Lsh(r, 1).Cmp(den) >= 0 {
		q.Add(q, big.NewInt(1))
	}
	v := float64(q.Int64()) / 100
	if neg {
		v = -v
	}
	return v
}

// value returns the index named as in the limits files.
func (ix Indices) value(name string) (float64, bool) {
	switch name {
	case IndexFRE:
		return ix.FleschReadingEase, true
	case IndexFKGL:
		return ix.FleschKincaidGrade, true
	case IndexCLI:
		return ix.ColemanLiau, true
	case IndexARI:
		return ix.ARI, true
	}
	return 0, false
}

// Names of the indices in limits files and JSON.
const (
	IndexFRE  = "flesch_reading_ease"
	IndexFKGL = "flesch_kincaid_grade"
	IndexCLI  = "coleman_liau"
	IndexARI  = "ari"
)

// IndexNames lists the indices in report order.
var IndexNames = []string{IndexFRE, IndexFKGL, IndexCLI, IndexARI}
