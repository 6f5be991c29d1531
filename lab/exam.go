package lab

import (
	"math/rand/v2"
	"slices"
	"sort"
)

// ExamTasks is how many tasks a mock exam has (the CKA has 15 to 20).
const ExamTasks = 17

// DomainQuota splits n tasks over the domains by exam weight (largest
// remainders: 17 tasks are 2 storage, 5 troubleshooting, 3 workloads and
// scheduling, 4 cluster architecture, 3 services and networking).
func DomainQuota(n int) map[string]int {
	type rem struct {
		name string
		frac float64
		i    int
	}
	out := map[string]int{}
	var rems []rem
	given := 0
	for i, d := range Domains {
		exact := float64(n*d.Weight) / 100
		out[d.Name] = int(exact)
		given += int(exact)
		rems = append(rems, rem{d.Name, exact - float64(int(exact)), i})
	}
	sort.SliceStable(rems, func(a, b int) bool { return rems[a].frac > rems[b].frac })
	for i := 0; given < n; i++ {
		out[rems[i%len(rems)].name]++
		given++
	}
	return out
}

// DrawExam picks ExamTasks labs by domain weight with a seeded random
// draw: the same seed and library give the same exam, in curriculum
// order of domains. A domain with too few labs gives its places to the
// others.
func DrawExam(labs []*Lab, seed uint64) []*Lab {
	rng := rand.New(rand.NewPCG(seed, 0x6b756265))
	byDomain := map[string][]*Lab{}
	for _, l := range labs {
		byDomain[l.Domain] = append(byDomain[l.Domain], l)
	}
	quota := DomainQuota(min(ExamTasks, len(labs)))
	var picked []*Lab
	var spare []*Lab
	short := 0
	for _, d := range Domains {
		pool := slices.Clone(byDomain[d.Name])
		rng.Shuffle(len(pool), func(i, j int) { pool[i], pool[j] = pool[j], pool[i] })
		k := min(quota[d.Name], len(pool))
		short += quota[d.Name] - k
		picked = append(picked, pool[:k]...)
		spare = append(spare, pool[k:]...)
	}
	rng.Shuffle(len(spare), func(i, j int) { spare[i], spare[j] = spare[j], spare[i] })
	picked = append(picked, spare[:min(short, len(spare))]...)
	return picked
}
