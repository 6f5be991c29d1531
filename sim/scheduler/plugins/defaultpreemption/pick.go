package defaultpreemption

import (
	"math"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// pickOne applies upstream's criteria in turn, keeping the ties of each:
// fewest PDB violations, lowest highest-victim priority, lowest sum of
// victim priorities, fewest victims, latest start of the most important
// victims; then the first remaining candidate.
func pickOne(cands []candidate) candidate {
	keep := func(cs []candidate, score func(*candidate) int64) []candidate {
		best := int64(math.MaxInt64)
		var out []candidate
		for i := range cs {
			s := score(&cs[i])
			if s < best {
				best, out = s, out[:0]
			}
			if s == best {
				out = append(out, cs[i])
			}
		}
		return out
	}
	cs := keep(cands, func(c *candidate) int64 { return int64(c.pdbViolations) })
	cs = keep(cs, func(c *candidate) int64 { return int64(c.victims[0].Priority) })
	cs = keep(cs, func(c *candidate) int64 {
		var sum int64
		for _, v := range c.victims {
			sum += int64(v.Priority) + math.MaxInt32 + 1
		}
		return sum
	})
	cs = keep(cs, func(c *candidate) int64 { return int64(len(c.victims)) })
	cs = keep(cs, func(c *candidate) int64 { return -earliestStart(c).UnixNano() })
	return cs[0]
}

// earliestStart is the earliest start time among the candidate's
// highest-priority victims.
func earliestStart(c *candidate) metav1.Time {
	top := c.victims[0].Priority
	earliest := startTime(c.victims[0].Pod)
	for _, v := range c.victims[1:] {
		if v.Priority != top {
			continue
		}
		if t := startTime(v.Pod); t.Before(&earliest) {
			earliest = t
		}
	}
	return earliest
}
