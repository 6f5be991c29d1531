package scheduler

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"

	"github.com/kubesim/kubesim/sim/scheduler/cache"
	"github.com/kubesim/kubesim/sim/scheduler/framework"
	st "github.com/kubesim/kubesim/sim/scheduler/internal/schedtest"
	"github.com/kubesim/kubesim/sim/scheduler/plugins/imagelocality"
	"github.com/kubesim/kubesim/sim/scheduler/plugins/nodeaffinity"
	"github.com/kubesim/kubesim/sim/scheduler/plugins/noderesources"
	"github.com/kubesim/kubesim/sim/scheduler/plugins/podtopologyspread"
	"github.com/kubesim/kubesim/sim/scheduler/plugins/tainttoleration"
)

// perNode hides a plugin's BatchScorer so the framework calls Score once
// per node: the straightforward path the batch one must match.
type perNode struct{ p framework.ScorePlugin }

func (w perNode) Name() string { return w.p.Name() }
func (w perNode) Score(s *framework.CycleState, pod *corev1.Pod, ni *framework.NodeInfo) (int64, *framework.Status) {
	return w.p.Score(s, pod, ni)
}
func (w perNode) ScoreExtensions() framework.ScoreExtensions { return w.p.ScoreExtensions() }
func (w perNode) PreScore(s *framework.CycleState, pod *corev1.Pod, nodes []*framework.NodeInfo) *framework.Status {
	if pre, ok := w.p.(framework.PreScorePlugin); ok {
		return pre.PreScore(s, pod, nodes)
	}
	return nil
}

func scorePlugins(c *cache.Cache, batch bool) *framework.Framework {
	plugins := []framework.ScorePlugin{
		tainttoleration.New(), nodeaffinity.New(), noderesources.NewFit(""),
		noderesources.NewFit(noderesources.MostAllocated),
		podtopologyspread.New(c, nil), noderesources.NewBalancedAllocation(), imagelocality.New(c),
	}
	var specs []framework.PluginSpec
	for i, p := range plugins {
		pl := framework.Plugin(p)
		if !batch {
			pl = perNode{p}
		}
		specs = append(specs, framework.PluginSpec{Plugin: pl, Weight: int64(i + 1)})
	}
	return framework.NewFramework(specs...)
}

// randomScoreCluster builds 30-59 random nodes with pods; a quarter of
// the nodes have a PreferNoSchedule taint when tainted; otherwise none
// has, and every node holds nginx.
func randomScoreCluster(r *rand.Rand, tainted bool) *cache.Cache {
	var nodes []*corev1.Node
	var pods []*corev1.Pod
	imgs := []string{"nginx:1.27", "docker.io/library/redis:7", "ghcr.io/x/app:2", "busybox"}
	for i := 0; i < 30+r.IntN(30); i++ {
		n := st.Node(fmt.Sprintf("n%d", i), fmt.Sprint(2+r.IntN(8)), fmt.Sprintf("%dGi", 4+r.IntN(28)), 110).Zone(fmt.Sprintf("z%d", r.IntN(3)))
		if tainted && r.IntN(4) == 0 {
			n.Taint("pref", "x", corev1.TaintEffectPreferNoSchedule)
		}
		for _, img := range imgs {
			if img == imgs[0] && !tainted || r.IntN(3) == 0 { // untainted: nginx on every node
				n.Image(img, int64(r.IntN(1500))*1024*1024)
			}
		}
		nodes = append(nodes, n.Obj())
		for k := r.IntN(5); k > 0; k-- {
			pods = append(pods, st.Pod(fmt.Sprintf("n%d-p%d", i, k)).Label("app", fmt.Sprint(r.IntN(3))).
				Req(fmt.Sprintf("%dm", 100*r.IntN(10)), fmt.Sprintf("%dMi", 256*r.IntN(8))).Node(n.Name).Obj())
		}
	}
	return st.Snapshot(nodes, pods)
}

// TestBatchScoresMatchPerNode checks that every BatchScorer gives, through
// the framework (normalisation and weights included), exactly the totals
// of per-node Score calls on randomized clusters and pods.
func TestBatchScoresMatchPerNode(t *testing.T) {
	imgs := []string{"nginx:1.27", "redis:7", "ghcr.io/x/app:2", "busybox:latest", "unknown"}
	for seed := uint64(1); seed <= 10; seed++ {
		r := rand.New(rand.NewPCG(seed, 3))
		c := randomScoreCluster(r, seed%2 == 0) // untainted: TaintToleration scores uniformly
		batch, plain := scorePlugins(c, true), scorePlugins(c, false)
		for k := 0; k < 10; k++ {
			p := st.Pod("in").Label("app", fmt.Sprint(r.IntN(3))).Image(imgs[r.IntN(len(imgs))])
			if r.IntN(3) > 0 {
				p.Req(fmt.Sprintf("%dm", 100*r.IntN(10)), fmt.Sprintf("%dMi", 256*r.IntN(8)))
			}
			if r.IntN(2) == 0 {
				p.Toleration("pref", "x", corev1.TolerationOpEqual, corev1.TaintEffectPreferNoSchedule)
			}
			if r.IntN(2) == 0 {
				p.Spread(corev1.LabelTopologyZone, 1, corev1.ScheduleAnyway, fmt.Sprint(r.IntN(3)))
			}
			if r.IntN(2) == 0 {
				p.PreferredNodeAffinity(corev1.LabelTopologyZone, "z1", 5)
			}
			pod := p.Obj()
			var nodes []*framework.NodeInfo
			for _, ni := range c.NodeInfos() {
				if r.IntN(4) > 0 {
					nodes = append(nodes, ni)
				}
			}
			totals := func(f *framework.Framework, rows bool) []int64 {
				state := framework.NewCycleState()
				if rows { // as the scheduler records them: RowAdders and UniformScorers read them
					rowOf := make([]int32, len(nodes))
					for j, ni := range nodes {
						rowOf[j] = int32(ni.Index)
					}
					// RowKeyed plugins' scores are remembered across pods.
					state.SetScoreTable(c.Table(), rowOf)
					if r.IntN(2) == 0 { // as quickWindow gathers it
						var union framework.RowFlags
						for _, i := range rowOf {
							union |= c.Table().Rows[i].Flags
						}
						state.SetScoreRowFlags(union)
					}
				}
				require.Nil(t, f.RunPreScorePlugins(state, pod, nodes))
				out := make([]int64, len(nodes))
				for j := range out {
					out[j] = -1 // RunScorePlugins sets every total
				}
				require.Nil(t, f.RunScorePlugins(state, pod, nodes, out))
				return out
			}
			want := totals(plain, false)
			require.Equal(t, want, totals(batch, false), "seed %d pod %d", seed, k)
			require.Equal(t, want, totals(batch, true), "seed %d pod %d, rows", seed, k)
			require.Equal(t, want, totals(batch, true), "seed %d pod %d, rows remembered", seed, k)
		}
	}
}
