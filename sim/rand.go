package sim

import (
	"hash/fnv"
	"math/bits"
	"math/rand/v2"
)

// Streams splits one root seed into independent named random streams, so
// that adding a component (and its draws) does not shift the numbers every
// other component sees.
type Streams struct {
	seed    uint64
	streams map[string]*Rand
}

// Rand is a deterministic random source for one stream: a PCG generator,
// held in the Rand itself, and the math/rand/v2 Rand over it.
type Rand struct {
	*rand.Rand
	pcg rand.PCG
}

// newRand is the stream of a PCG seeded with (seed1, seed2).
func newRand(seed1, seed2 uint64) *Rand {
	r := &Rand{}
	r.pcg.Seed(seed1, seed2)
	r.Rand = rand.New(&r.pcg)
	return r
}

// Int64N is math/rand/v2's Int64N: the same number from the same
// stream, by the same algorithm (Lemire's multiply and reject: the
// standard library gives the same numbers on 32-bit machines too),
// drawn from the PCG held in r rather than through the rand.Rand and
// its Source interface. The heartbeats of thousands of nodes draw their
// jitter here every 10 seconds from streams cold in memory: each
// pointer followed was a cache miss (TestInt64NIsTheStandardOne).
func (r *Rand) Int64N(n int64) int64 {
	if n <= 0 {
		panic("invalid argument to Int64N")
	}
	un := uint64(n)
	if un&(un-1) == 0 { // a power of two: masked
		return int64(r.pcg.Uint64() & (un - 1))
	}
	hi, lo := bits.Mul64(r.pcg.Uint64(), un)
	if lo < un {
		thresh := -un % un
		for lo < thresh {
			hi, lo = bits.Mul64(r.pcg.Uint64(), un)
		}
	}
	return int64(hi)
}

// Uint64 is math/rand/v2's Uint64, drawn from the PCG held in r rather
// than through the rand.Rand and its Source interface (see Int64N): the
// kubelet's container IDs and the API server's UIDs draw here.
func (r *Rand) Uint64() uint64 { return r.pcg.Uint64() }

// Float64 is math/rand/v2's Float64 (53 random bits over 2^53), drawn
// from the PCG held in r: Jitter draws here, three times per pod start.
func (r *Rand) Float64() float64 { return float64(r.pcg.Uint64()<<11>>11) / (1 << 53) }

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
	r := newRand(s.seed, h.Sum64())
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
	return newRand(s.keyedSeed(name), key)
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
	r    *Rand
}

// Keyer returns the keyed streams of name.
func (s *Streams) Keyer(name string) *Keyer {
	k := &Keyer{seed: s.keyedSeed(name)}
	k.r = newRand(k.seed, 0)
	return k
}

// Rand is Keyed(name, key): the same numbers, from one generator reseeded
// in place (a PCG's whole state is its seed, and a math/rand/v2 Rand
// keeps none of its own). The stream is valid until the next call.
func (k *Keyer) Rand(key uint64) *Rand {
	k.r.pcg.Seed(k.seed, key)
	return k.r
}
