package export

import "sort"

// DefaultK is the default minimum number of respondents behind any published open-data figure.
const DefaultK = 10

// Suppress applies the small-cell rule to one group of cells that add up to a published total
// (the cells of one agency, whose agency total is also published).
//
//   - Primary: a cell with 0 < counts[i] < k is suppressed; so is a cell with pre[i] set (already
//     suppressed by an earlier pass). A cell with count 0 has no data and is neither.
//   - Total: when total < k the total and every cell are suppressed.
//   - Secondary (complementary disclosure): when the suppressed cells together hold fewer than k
//     respondents, total − published cells would reveal them; the smallest published cells (ties:
//     the lower index) are suppressed one at a time until the suppressed cells hold at least k.
//
// Sums are taken as if the cells were disjoint; for distinct respondents, where one person may be
// in several cells, that over-counts the suppressed group, so the k guarantee is for the cells'
// own counts. Suppress returns which cells are suppressed and whether the total is.
func Suppress(counts []int64, pre []bool, total, k int64) (cells []bool, totalSuppressed bool) {
	cells = make([]bool, len(counts))
	if total < k {
		for i, c := range counts {
			cells[i] = c > 0 || (pre != nil && pre[i])
		}
		return cells, true
	}
	var sum int64
	n := 0
	for i, c := range counts {
		if (pre != nil && pre[i]) || (c > 0 && c < k) {
			cells[i] = true
			sum += c
			n++
		}
	}
	if n == 0 || sum >= k {
		return cells, false
	}
	order := make([]int, 0, len(counts))
	for i, c := range counts {
		if !cells[i] && c > 0 {
			order = append(order, i)
		}
	}
	sort.SliceStable(order, func(a, b int) bool { return counts[order[a]] < counts[order[b]] })
	for _, i := range order {
		if sum >= k {
			break
		}
		cells[i] = true
		sum += counts[i]
	}
	return cells, false
}
