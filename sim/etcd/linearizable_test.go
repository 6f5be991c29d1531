package etcd

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/anishathalye/porcupine"
	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"

	"github.com/kubesim/kubesim/sim/store"
)

// kvInput is one client operation on a key: a put (one batch) or a get
// (a read of a live member after Sync, etcd's linearizable read).
type kvInput struct {
	put   bool
	key   string
	value string
}

// kvModel is a map of registers, checked key by key.
var kvModel = porcupine.Model{
	Partition: func(history []porcupine.Operation) [][]porcupine.Operation {
		byKey := map[string][]porcupine.Operation{}
		var keys []string
		for _, op := range history {
			k := op.Input.(kvInput).key
			if _, ok := byKey[k]; !ok {
				keys = append(keys, k)
			}
			byKey[k] = append(byKey[k], op)
		}
		out := make([][]porcupine.Operation, 0, len(keys))
		for _, k := range keys {
			out = append(out, byKey[k])
		}
		return out
	},
	Init: func() interface{} { return "" },
	Step: func(state, input, output interface{}) (bool, interface{}) {
		in := input.(kvInput)
		if in.put {
			return true, in.value
		}
		return output.(string) == state.(string), state
	},
	Equal: func(a, b interface{}) bool { return a == b },
	DescribeOperation: func(input, output interface{}) string {
		in := input.(kvInput)
		if in.put {
			return fmt.Sprintf("put(%s, %s)", in.key, in.value)
		}
		return fmt.Sprintf("get(%s) -> %v", in.key, output)
	},
}

// TestLinearizable records a client history of puts and reads through
// random member stops, leader kills, partitions and heals, and checks it
// with porcupine: every read returns the last acknowledged write. A put
// returns when its batch committed (puts made without a quorum stay open
// until the quorum is back, so they overlap with later operations).
func TestLinearizable(t *testing.T) {
	seeds := 6
	if testing.Short() {
		seeds = 2
	}
	for seed := uint64(1); seed <= uint64(seeds); seed++ {
		t.Run(fmt.Sprint("seed=", seed), func(t *testing.T) {
			history := linearHistory(t, seed, 200)
			require.Greater(t, len(history), 60)
			require.Equal(t, porcupine.Ok, porcupine.CheckOperationsTimeout(kvModel, history, 0), "history is not linearizable (seed %d)", seed)
		})
	}
}

func linearHistory(t *testing.T, seed uint64, steps int) []porcupine.Operation {
	rnd := rand.New(rand.NewPCG(seed, 7))
	c := startCluster(t, 3)
	w := newWriter()
	var clock int64
	tick := func() int64 { clock++; return clock }
	var history []porcupine.Operation
	type open struct {
		op  int
		seq uint64
	}
	var opened []open
	settle := func() {
		kept := opened[:0]
		for _, o := range opened {
			if c.Committed() >= o.seq {
				history[o.op].Return = tick()
			} else {
				kept = append(kept, o)
			}
		}
		opened = kept
	}
	for step := 0; step < steps; step++ {
		key := fmt.Sprint("k", rnd.IntN(4))
		switch r := rnd.IntN(16); {
		case r == 0:
			if name := pickMember(rnd, c, (*member).running); name != "" {
				require.NoError(t, c.Stop(name))
			}
		case r == 1:
			if name := pickMember(rnd, c, func(m *member) bool { return !m.running() }); name != "" {
				require.NoError(t, c.Start(name))
			}
		case r == 2:
			if name := pickMember(rnd, c, func(m *member) bool { return !m.partitioned }); name != "" {
				require.NoError(t, c.Partition(name))
			}
		case r == 3:
			if name := pickMember(rnd, c, func(m *member) bool { return m.partitioned }); name != "" {
				require.NoError(t, c.Heal(name))
			}
		case r < 10:
			value := fmt.Sprint(step)
			history = append(history, porcupine.Operation{Input: kvInput{put: true, key: key, value: value}, Call: tick()})
			require.NoError(t, c.Append([]store.Mutation{w.put(key, value)}))
			require.NoError(t, c.drain())
			opened = append(opened, open{op: len(history) - 1, seq: c.next})
		default:
			if !c.quorum() {
				continue // etcd refuses a linearizable read without quorum
			}
			call := tick()
			require.NoError(t, c.Sync())
			name := pickMember(rnd, c, (*member).live)
			got := ""
			if b, ok := c.Lookup(name, "ConfigMap", "default/"+key); ok {
				obj, err := decodeObject("ConfigMap", b)
				require.NoError(t, err)
				got = obj.(*corev1.ConfigMap).Data["v"]
			}
			history = append(history, porcupine.Operation{Input: kvInput{key: key}, Call: call, Output: got, Return: tick()})
		}
		settle()
	}
	for _, m := range c.members {
		if !m.running() {
			require.NoError(t, c.Start(m.name))
		}
		if m.partitioned {
			require.NoError(t, c.Heal(m.name))
		}
	}
	require.NoError(t, c.Sync())
	settle()
	require.Empty(t, opened, "every put committed once the quorum was back")
	requireConverged(t, c, w)
	return history
}

// TestLinearizableCatchesStaleRead shows the check can fail: a read that
// returns an overwritten value is rejected.
func TestLinearizableCatchesStaleRead(t *testing.T) {
	h := []porcupine.Operation{
		{Input: kvInput{put: true, key: "k", value: "1"}, Call: 1, Return: 2},
		{Input: kvInput{put: true, key: "k", value: "2"}, Call: 3, Return: 4},
		{Input: kvInput{key: "k"}, Output: "1", Call: 5, Return: 6},
	}
	require.Equal(t, porcupine.Illegal, porcupine.CheckOperationsTimeout(kvModel, h, 0))
	h[2].Output = "2"
	require.Equal(t, porcupine.Ok, porcupine.CheckOperationsTimeout(kvModel, h, 0))
}
