package scheduler

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kubesim/kubesim/sim/scheduler/framework"
)

// TestNodeRowsScheduleAsNodeInfos schedules the same pods onto the same
// varied nodes (sizes, zones, cordons, hard and soft taints, images) with
// the filter and score plugins reading the cache's node rows and reading
// the NodeInfos, and requires the same node for every pod and the same
// trace: a score differing on any node would change a choice or a
// tie-break draw somewhere among the cycles. With zoneless, some nodes
// lack the zone label and a third of the pods spread over zones by their
// own constraint, so PodTopologySpread ignores those nodes (its
// NormalizeRows and NormalizeScore take the ignoring path).
func TestNodeRowsScheduleAsNodeInfos(t *testing.T) {
	for _, zoneless := range []bool{false, true} {
		t.Run(fmt.Sprint("zoneless=", zoneless), func(t *testing.T) { testNodeRowsScheduleAsNodeInfos(t, zoneless) })
	}
}

func testNodeRowsScheduleAsNodeInfos(t *testing.T, zoneless bool) {
	run := func(rows bool) (map[string]string, string) {
		defer func(v bool) { useNodeRows = v }(useNodeRows)
		useNodeRows = rows
		r := rand.New(rand.NewPCG(3, 5))
		w := newWorld(9)
		zones := []string{"a", "b", "c"}
		for i := 0; i < 160; i++ {
			n := makeNode(nodeName(i), zones[i%3], fmt.Sprint(2+r.IntN(6)), fmt.Sprintf("%dGi", 4+r.IntN(12)), int64(4+r.IntN(20)))
			switch r.IntN(8) {
			case 0:
				n.Spec.Taints = []corev1.Taint{{Key: "soft", Value: "x", Effect: corev1.TaintEffectPreferNoSchedule}}
			case 1:
				n.Spec.Taints = []corev1.Taint{{Key: "hard", Value: "x", Effect: corev1.TaintEffectNoSchedule}}
			case 2:
				n.Spec.Unschedulable = true
			}
			if zoneless && i%7 == 0 {
				delete(n.Labels, corev1.LabelTopologyZone)
			}
			if r.IntN(2) == 0 {
				n.Status.Images = []corev1.ContainerImage{{Names: []string{fmt.Sprint("img", r.IntN(3), ":1")}, SizeBytes: int64(50+r.IntN(900)) << 20}}
			}
			w.addNode(t, n)
		}
		s := New(w.Engine, w.Server.Client("default-scheduler"), Config{})
		s.Start()
		var names []string
		for i := 0; i < 600; i++ {
			app := fmt.Sprint("app-", r.IntN(6))
			p := makePod(fmt.Sprint("p-", i), fmt.Sprint(50*(1+r.IntN(8)), "m"), fmt.Sprint(64*(1+r.IntN(8)), "Mi"),
				map[string]string{"app": app})
			p.Spec.Containers[0].Image = fmt.Sprint("img", r.IntN(4), ":1")
			if r.IntN(3) == 0 {
				p.Spec.Tolerations = []corev1.Toleration{{Key: "soft", Operator: corev1.TolerationOpExists}}
			}
			if r.IntN(4) == 0 {
				p.Spec.Containers[0].Resources.Requests[corev1.ResourceName("example.com/dongle")] = resource.MustParse("0")
			}
			if zoneless && i%3 == 0 {
				p.Spec.TopologySpreadConstraints = []corev1.TopologySpreadConstraint{{MaxSkew: 1, TopologyKey: corev1.LabelTopologyZone,
					WhenUnsatisfiable: corev1.ScheduleAnyway, LabelSelector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": app}}}}
			}
			w.addPod(t, p)
			names = append(names, p.Name)
		}
		w.Engine.RunUntil(time.Minute)
		out := map[string]string{}
		for _, n := range names {
			out[n] = w.pod(t, n).Spec.NodeName
		}
		require.Greater(t, s.Stats().Scheduled, uint64(300))
		if rows {
			requireSameTotals(t, w, s)
		}
		return out, w.Engine.Trace().Hash()
	}
	withRows, hashRows := run(true)
	without, hash := run(false)
	require.Equal(t, without, withRows)
	require.Equal(t, hash, hashRows)
}

// requireSameTotals runs cycles for new pods twice from the same start,
// reading rows and reading NodeInfos, and requires the same feasible
// nodes and the same summed score for each.
func requireSameTotals(t *testing.T, w *world, s *Scheduler) {
	defer func(v bool) { useNodeRows = v }(useNodeRows)
	r := rand.New(rand.NewPCG(13, 17))
	for i := 0; i < 60; i++ {
		p := makePod(fmt.Sprint("extra-", i), fmt.Sprint(50*(1+r.IntN(8)), "m"), fmt.Sprint(64*(1+r.IntN(8)), "Mi"),
			map[string]string{"app": fmt.Sprint("app-", r.IntN(6))})
		p.Spec.Containers[0].Image = fmt.Sprint("img", r.IntN(4), ":1")
		if r.IntN(3) == 0 {
			p.Spec.Tolerations = []corev1.Toleration{{Key: "soft", Operator: corev1.TolerationOpExists}}
		}
		pi := framework.NewPodInfo(p)
		start := s.nextStartNodeIndex
		var names [2][]string
		var totals [2][]int64
		for k, rows := range []bool{true, false} {
			useNodeRows = rows
			s.nextStartNodeIndex = start
			s.state.Reset()
			s.state.SetPodInfo(pi)
			feasible, _, err := s.findNodesThatFitPod(p, s.cache.NodeInfos())
			require.NoError(t, err)
			require.NoError(t, s.prioritize(p, feasible))
			for _, ni := range feasible {
				names[k] = append(names[k], ni.Name())
			}
			totals[k] = slices.Clone(s.totals)
		}
		require.NotEmpty(t, names[0])
		require.Equal(t, names[1], names[0], "pod %d", i)
		require.Equal(t, totals[1], totals[0], "pod %d", i)
	}
}
