package sim

import (
	"hash/fnv"
	"math/rand/v2"
)

// Streams splits one root seed into independent named random streams, so
// that adding a component (and its draws) does not shift the numbers every
// other component sees.
type Streams struct {
	seed    uint64
	streams map[string]*Rand
}

// Rand is a deterministic random source for one stream.
type Rand struct{ *rand.Rand }

// NewStreams returns the streams of a root seed.
func NewStreams(seed uint64) *Streams {
	return &Streams{seed: seed, streams: map[string]*Rand{}}
}

// Get returns the stream called name, creating it on first use. Its state
// depends only on the root seed and the name.
func (s *Streams) Get(name string) *Rand {
	if r, ok := s.streams[name]; ok {
		return r
	}
	h := fnv.New64a()
	h.Write([]byte(name))
	r := &Rand{rand.New(rand.NewPCG(s.seed, h.Sum64()))}
	s.streams[name] = r
	return r
}

// Jitter returns d scaled by a uniform factor in [1-f, 1+f].
func (r *Rand) Jitter(d int64, f float64) int64 {
	return int64(float64(d) * (1 - f + 2*f*r.Float64()))
}

// Keyed returns a fresh random stream determined only by the root seed,
// name and key, for draws that must not depend on how often or in which
// order they are taken (a sample read on demand, per object and instant).
func (s *Streams) Keyed(name string, key uint64) *Rand {
	return &Rand{rand.New(rand.NewPCG(s.keyedSeed(name), key))}
}

func (s *Streams) keyedSeed(name string) uint64 {
	h := fnv.New64a()
	h.Write([]byte(name))
	return s.seed ^ h.Sum64()
}

// Keyer hands out the keyed streams of one name (Keyed) without
// allocating: a sampler drawing one number per object and scrape would
// otherwise build a hash, a generator and two wrappers per draw.
type Keyer struct {
	seed uint64
	pcg  rand.PCG
	r    Rand
}

// Keyer returns the keyed streams of name.
func (s *Streams) Keyer(name string) *Keyer {
	k := &Keyer{seed: s.keyedSeed(name)}
	k.r = Rand{rand.New(&k.pcg)}
	return k
}

// Rand is Keyed(name, key): the same numbers, from one generator reseeded
// in place (a PCG's whole state is its seed, and a math/rand/v2 Rand
// keeps none of its own). The stream is valid until the next call.
func (k *Keyer) Rand(key uint64) *Rand {
	k.pcg.Seed(k.seed, key)
	return &k.r
}
