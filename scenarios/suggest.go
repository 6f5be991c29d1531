package scenarios

import (
	"fmt"
	"strings"
)

// suggest returns the candidate closest to word when it is close enough to
// be a plausible typo, else "". A case-insensitive match wins outright.
func suggest(word string, candidates []string) string {
	if len(word) > 64 {
		return "" // not a typo of a field name; spare the quadratic distance
	}
	for _, c := range candidates {
		if strings.EqualFold(c, word) {
			return c
		}
	}
	best, bestDist := "", -1
	limit := max(2, len(word)/3)
	for _, c := range candidates {
		d := levenshtein(strings.ToLower(word), strings.ToLower(c))
		if d <= limit && (bestDist < 0 || d < bestDist) {
			best, bestDist = c, d
		}
	}
	return best
}

// levenshtein is the edit distance between a and b (in runes).
func levenshtein(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(rb)]
}

// didYouMean is a hint naming the closest candidate, or listing all of
// them when none is close.
func didYouMean(word string, candidates []string, what string) string {
	if s := suggest(word, candidates); s != "" {
		return fmt.Sprintf("did you mean %q?", s)
	}
	return fmt.Sprintf("valid %s: %s", what, strings.Join(candidates, ", "))
}
