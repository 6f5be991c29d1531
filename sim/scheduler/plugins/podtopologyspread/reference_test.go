package podtopologyspread

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"

	"github.com/kubesim/kubesim/sim/scheduler/cache"
	"github.com/kubesim/kubesim/sim/scheduler/framework"
	st "github.com/kubesim/kubesim/sim/scheduler/internal/schedtest"
	"github.com/kubesim/kubesim/sim/scheduler/plugins/nodeaffinity"
)

// appSelector is a DefaultSelector selecting every pod by its app label.
type appSelector struct{}

func (appSelector) DefaultSelector(pod *corev1.Pod) (labels.Selector, bool) {
	app, ok := pod.Labels["app"]
	if !ok {
		return nil, false
	}
	return labels.SelectorFromSet(labels.Set{"app": app}), true
}

// referenceScores is a direct transcription of upstream's PreScore, Score
// and NormalizeScore with label maps and string-keyed domain maps, the
// baseline the optimised plugin must match exactly.
func referenceScores(c *cache.Cache, pod *corev1.Pod, filtered []*framework.NodeInfo) map[string]int64 {
	var cs []constraint
	if len(pod.Spec.TopologySpreadConstraints) > 0 {
		var err error
		cs, err = parseConstraints(pod, corev1.ScheduleAnyway)
		if err != nil {
			panic(err)
		}
	} else {
		cs = defaultConstraints(nil, pod, appSelector{}, corev1.ScheduleAnyway)
	}
	if len(cs) == 0 {
		return nil
	}
	requireAll := len(pod.Spec.TopologySpreadConstraints) > 0
	hasAll := func(n *corev1.Node) bool {
		for _, c := range cs {
			if _, ok := n.Labels[c.TopologyKey]; !ok {
				return false
			}
		}
		return true
	}
	countOn := func(ni *framework.NodeInfo, sel labels.Selector) int64 {
		var n int64
		for _, p := range ni.Pods {
			if p.Pod.Namespace == pod.Namespace && p.Pod.DeletionTimestamp == nil && sel.Matches(labels.Set(p.Pod.Labels)) {
				n++
			}
		}
		return n
	}
	ignored := map[string]bool{}
	counts := make([]map[string]int64, len(cs))
	for i := range counts {
		counts[i] = map[string]int64{}
	}
	for _, ni := range filtered {
		n := ni.Node()
		if requireAll && !hasAll(n) {
			ignored[n.Name] = true
			continue
		}
		for i, c := range cs {
			if c.TopologyKey != corev1.LabelHostname {
				if _, ok := counts[i][n.Labels[c.TopologyKey]]; !ok {
					counts[i][n.Labels[c.TopologyKey]] = 0
				}
			}
		}
	}
	weights := make([]float64, len(cs))
	for i, c := range cs {
		sz := len(counts[i])
		if c.TopologyKey == corev1.LabelHostname {
			sz = len(filtered) - len(ignored)
		}
		weights[i] = math.Log(float64(sz + 2))
	}
	aff := nodeaffinity.GetRequiredNodeAffinity(pod)
	for _, ni := range c.NodeInfos() {
		n := ni.Node()
		if requireAll && !hasAll(n) {
			continue
		}
		for i := range cs {
			if cs[i].TopologyKey == corev1.LabelHostname || !cs[i].matchNodeInclusion(pod, n, &aff) {
				continue
			}
			v := n.Labels[cs[i].TopologyKey]
			if cur, ok := counts[i][v]; ok {
				counts[i][v] = cur + countOn(ni, cs[i].Selector)
			}
		}
	}
	raw := map[string]int64{}
	minS, maxS := int64(math.MaxInt64), int64(0)
	for _, ni := range filtered {
		n := ni.Node()
		if ignored[n.Name] {
			continue
		}
		var score float64
		for i, c := range cs {
			v, ok := n.Labels[c.TopologyKey]
			if !ok {
				continue
			}
			cnt := counts[i][v]
			if c.TopologyKey == corev1.LabelHostname {
				cnt = countOn(ni, c.Selector)
			}
			score += float64(cnt)*weights[i] + float64(c.MaxSkew-1)
		}
		raw[n.Name] = int64(math.Round(score))
		minS, maxS = min(minS, raw[n.Name]), max(maxS, raw[n.Name])
	}
	out := map[string]int64{}
	for _, ni := range filtered {
		name := ni.Node().Name
		switch {
		case ignored[name]:
			out[name] = 0
		case maxS == 0:
			out[name] = framework.MaxNodeScore
		default:
			out[name] = framework.MaxNodeScore * (maxS + minS - raw[name]) / maxS
		}
	}
	return out
}

// pluginScores runs the plugin's PreScore, batch and per-node Score and
// NormalizeScore over filtered; the two Score paths must agree.
func pluginScores(t *testing.T, pl *PodTopologySpread, pod *corev1.Pod, filtered []*framework.NodeInfo) map[string]int64 {
	state := framework.NewCycleState()
	status := pl.PreScore(state, pod, filtered)
	if status.IsSkip() {
		return nil
	}
	require.True(t, status.IsSuccess(), status.Message())
	scores := make([]framework.NodeScore, len(filtered))
	for j, ni := range filtered {
		scores[j].Node = ni
	}
	require.Nil(t, pl.ScoreNodes(state, pod, filtered, scores))
	for j, ni := range filtered {
		s, status := pl.Score(state, pod, ni)
		require.Nil(t, status)
		require.Equal(t, s, scores[j].Score, "batch vs per-node score of %s", ni.Name())
	}
	require.Nil(t, pl.NormalizeScore(state, pod, scores))
	out := map[string]int64{}
	for _, s := range scores {
		out[s.Node.Name()] = s.Score
	}
	return out
}

func randomNode(r *rand.Rand, i int) *corev1.Node {
	n := st.Node(fmt.Sprintf("n%d", i), "4", "8Gi", 110)
	switch k := r.IntN(10); {
	case k < 7:
		n.Zone(fmt.Sprintf("z%d", r.IntN(4)))
	case k == 7:
		n.Zone("") // explicit empty value shares the "" domain
	}
	if r.IntN(3) > 0 {
		n.Label("rack", fmt.Sprintf("r%d", r.IntN(6)))
	}
	if r.IntN(8) == 0 {
		delete(n.Labels, corev1.LabelHostname)
	}
	return n.Obj()
}

func randomPod(r *rand.Rand, name string, apps []string) *corev1.Pod {
	p := st.Pod(name).Label("app", apps[r.IntN(len(apps))])
	if r.IntN(4) == 0 {
		p.NodeSelector(corev1.LabelTopologyZone, fmt.Sprintf("z%d", r.IntN(4)))
	}
	keys := []string{corev1.LabelHostname, corev1.LabelTopologyZone, "rack"}
	for k := r.IntN(4); k > 0; k-- {
		p.Spread(keys[r.IntN(len(keys))], int32(1+r.IntN(5)), corev1.ScheduleAnyway, apps[r.IntN(len(apps))])
	}
	return p.Obj()
}

// TestScoresMatchReference checks the domain-id scoring against the
// label-map reference on randomized clusters, across many cycles of one
// plugin instance (so reused per-cycle state is exercised) while nodes
// and pods are added between cycles.
func TestScoresMatchReference(t *testing.T) {
	apps := []string{"web", "db", "cache"}
	for seed := uint64(1); seed <= 8; seed++ {
		r := rand.New(rand.NewPCG(seed, 7))
		c := cache.New()
		numNodes := 0
		addNodes := func(n int) {
			for ; n > 0; n-- {
				c.AddNode(randomNode(r, numNodes))
				numNodes++
			}
		}
		// Half the pods share their app's labels map, as pods created
		// from one template do, so counting's memo of the last map's
		// verdict is exercised next to pods with maps of their own.
		shared := map[string]map[string]string{}
		addPods := func(n int) {
			nodes := c.NodeInfos()
			for ; n > 0; n-- {
				p := randomPod(r, fmt.Sprintf("p%d", r.Int()), apps)
				if app := p.Labels["app"]; r.IntN(2) == 0 {
					if shared[app] == nil {
						shared[app] = p.Labels
					}
					p.Labels = shared[app]
				}
				p.Spec.NodeName = nodes[r.IntN(len(nodes))].Name()
				if r.IntN(10) == 0 {
					p.DeletionTimestamp = &metav1.Time{}
				}
				c.AddPod(p)
			}
		}
		addNodes(20 + r.IntN(30))
		addPods(60)
		pl := New(c, appSelector{})
		for cycle := 0; cycle < 25; cycle++ {
			if cycle%5 == 4 {
				addNodes(1 + r.IntN(5))
				addPods(10)
			}
			var filtered []*framework.NodeInfo
			for _, ni := range c.NodeInfos() {
				if r.IntN(3) > 0 {
					filtered = append(filtered, ni)
				}
			}
			pod := randomPod(r, "incoming", apps)
			want := referenceScores(c, pod, filtered)
			got := pluginScores(t, pl, pod, filtered)
			require.Equal(t, want, got, "seed %d cycle %d constraints %v", seed, cycle, pod.Spec.TopologySpreadConstraints)
		}
	}
}
