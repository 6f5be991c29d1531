// Package textdist measures how far apart two words are, for the "did you
// mean" hints of the CLI, the kubectl subset and the scenario loader.
package textdist

import (
	"fmt"
	"strings"
)

// Levenshtein is the edit distance between a and b, counted in runes.
func Levenshtein(a, b string) int {
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

// Suggest returns the candidate closest to word when it is close enough to
// be a plausible typo, else "". A case-insensitive match wins outright.
func Suggest(word string, candidates []string) string {
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
		d := Levenshtein(strings.ToLower(word), strings.ToLower(c))
		if d <= limit && (bestDist < 0 || d < bestDist) {
			best, bestDist = c, d
		}
	}
	return best
}

// DidYouMean is a hint naming the closest candidate, or listing all of
// them ("valid <what>: a, b, c") when none is close.
func DidYouMean(word string, candidates []string, what string) string {
	if s := Suggest(word, candidates); s != "" {
		return fmt.Sprintf("did you mean %q?", s)
	}
	return fmt.Sprintf("valid %s: %s", what, strings.Join(candidates, ", "))
}
