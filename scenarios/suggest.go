package scenarios

import (
	"fmt"
	"strings"

	"github.com/kubesim/kubesim/internal/textdist"
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
		d := textdist.Levenshtein(strings.ToLower(word), strings.ToLower(c))
		if d <= limit && (bestDist < 0 || d < bestDist) {
			best, bestDist = c, d
		}
	}
	return best
}

// didYouMean is a hint naming the closest candidate, or listing all of
// them when none is close.
func didYouMean(word string, candidates []string, what string) string {
	if s := suggest(word, candidates); s != "" {
		return fmt.Sprintf("did you mean %q?", s)
	}
	return fmt.Sprintf("valid %s: %s", what, strings.Join(candidates, ", "))
}
