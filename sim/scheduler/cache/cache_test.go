package cache_test

import (
	"maps"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"

	"github.com/kubesim/kubesim/sim/podutil"
	. "github.com/kubesim/kubesim/sim/scheduler/cache"
	"github.com/kubesim/kubesim/sim/scheduler/framework"
	st "github.com/kubesim/kubesim/sim/scheduler/internal/schedtest"
)

func names(c *Cache) []string {
	var out []string
	for i, ni := range c.NodeInfos() {
		if ni.Index != i {
			panic("index out of date")
		}
		out = append(out, ni.Name())
	}
	return out
}

func TestNodeOrderInterleavesZones(t *testing.T) {
	c := New()
	for _, n := range []*corev1.Node{
		st.Node("a1", "1", "1Gi", 10).Zone("a").Obj(), st.Node("a2", "1", "1Gi", 10).Zone("a").Obj(),
		st.Node("a3", "1", "1Gi", 10).Zone("a").Obj(), st.Node("b1", "1", "1Gi", 10).Zone("b").Obj(),
		st.Node("c1", "1", "1Gi", 10).Zone("c").Obj(), st.Node("b2", "1", "1Gi", 10).Zone("b").Obj(),
	} {
		c.AddNode(n)
	}
	require.Equal(t, []string{"a1", "b1", "c1", "a2", "b2", "a3"}, names(c))
	c.RemoveNode(st.Node("b1", "1", "1Gi", 10).Zone("b").Obj())
	require.Equal(t, []string{"a1", "b2", "c1", "a2", "a3"}, names(c))
}

func TestPodAccounting(t *testing.T) {
	c := New()
	c.AddNode(st.Node("n", "4", "8Gi", 110).Obj())
	bound := st.Pod("p").Req("1", "1Gi").Label("app", "web").Node("n").Obj()
	c.AddPod(bound)
	// The watch confirms the same pod with a new status: no double count.
	running := bound.DeepCopy()
	running.Status.Phase = corev1.PodRunning
	c.UpdatePod(running)
	ni := c.Get("n")
	require.Equal(t, podutil.Resources{MilliCPU: 1000, Memory: 1 << 30, Pods: 1}, ni.Requested)
	require.Len(t, c.PodsWithLabel("default", "app", "web"), 1)

	// Relabelled: label index follows.
	relabel := running.DeepCopy()
	relabel.Labels = map[string]string{"app": "api"}
	c.UpdatePod(relabel)
	require.Empty(t, c.PodsWithLabel("default", "app", "web"))
	require.Len(t, c.PodsWithLabel("default", "app", "api"), 1)

	// Finished pods free their room; deleted pods are forgotten.
	done := relabel.DeepCopy()
	done.Status.Phase = corev1.PodSucceeded
	c.UpdatePod(done)
	require.Equal(t, podutil.Resources{}, ni.Requested)
	require.Equal(t, 0, c.NumPods())

	other := st.Pod("q").Req("500m", "").Node("n").Obj()
	c.AddPod(other)
	require.True(t, c.RemovePod(other))
	require.Equal(t, podutil.Resources{}, ni.Requested)
	require.Empty(t, ni.Pods)
	require.Empty(t, c.PodsInNamespace("default"))
}

func TestImageStates(t *testing.T) {
	c := New()
	c.AddNode(st.Node("a", "1", "1Gi", 10).Image("web:1", 100).Obj())
	c.AddNode(st.Node("b", "1", "1Gi", 10).Image("web:1", 100).Obj())
	require.Equal(t, 2, c.Get("a").ImageStates["web:1"].NumNodes)
	c.UpdateNode(nil, st.Node("b", "1", "1Gi", 10).Obj())
	require.Equal(t, 1, c.Get("a").ImageStates["web:1"].NumNodes)
	require.Nil(t, c.Get("b").ImageStates)
}

func TestNodeDeletedWithPods(t *testing.T) {
	c := New()
	c.AddNode(st.Node("n", "1", "1Gi", 10).Obj())
	p := st.Pod("p").Node("n").Obj()
	c.AddPod(p)
	c.RemoveNode(st.Node("n", "1", "1Gi", 10).Obj())
	require.Nil(t, c.Get("n"))
	require.Empty(t, c.NodeInfos())
	require.True(t, c.RemovePod(p))
}

// The pod sets behind PodsWithLabel and PodsInNamespace keep their order
// exactly as a slice with swap-removal does (a removed pod's place goes to
// the last one), through adds, relabels and removals in any mix.
func TestPodSetsKeepSwapRemoveOrder(t *testing.T) {
	c := New()
	c.AddNode(st.Node("n", "64", "64Gi", 10000).Obj())
	type set = []string
	model := map[[2]string]set{} // {key, value} or {"", ""} for the namespace
	remove := func(k [2]string, name string) {
		s := model[k]
		for i := range s {
			if s[i] == name {
				s[i] = s[len(s)-1]
				model[k] = s[:len(s)-1]
				return
			}
		}
		t.Fatalf("%s not in %v", name, k)
	}
	labelsOf := map[string]map[string]string{}
	pods := map[string]*corev1.Pod{}
	rng := uint64(7)
	next := func(n int) int { rng = rng*6364136223846793005 + 1442695040888963407; return int(rng>>33) % n }
	randomLabels := func() map[string]string {
		l := map[string]string{"app": []string{"a", "b", "c"}[next(3)]}
		if next(2) == 0 {
			l["tier"] = []string{"x", "y"}[next(2)]
		}
		return l
	}
	detachModel := func(name string) {
		remove([2]string{}, name)
		for k, v := range labelsOf[name] {
			remove([2]string{k, v}, name)
		}
	}
	attachModel := func(name string, l map[string]string) {
		labelsOf[name] = l
		model[[2]string{}] = append(model[[2]string{}], name)
		for k, v := range l {
			model[[2]string{k, v}] = append(model[[2]string{k, v}], name)
		}
	}
	for step := range 3000 {
		name := []string{"p0", "p1", "p2", "p3", "p4", "p5", "p6", "p7", "p8", "p9", "pa", "pb"}[next(12)]
		p, ok := pods[name]
		switch {
		case !ok:
			w := st.Pod(name).Node("n")
			l := randomLabels()
			for k, v := range l {
				w.Label(k, v)
			}
			p = w.Obj()
			pods[name] = p
			c.AddPod(p)
			attachModel(name, l)
		case next(2) == 0:
			require.True(t, c.RemovePod(p))
			delete(pods, name)
			detachModel(name)
		default:
			q := p.DeepCopy()
			q.Labels = randomLabels()
			pods[name] = q
			c.UpdatePod(q)
			if !maps.Equal(q.Labels, labelsOf[name]) {
				detachModel(name)
				attachModel(name, q.Labels)
			}
		}
		for k, want := range model {
			var got []*framework.PodInfo
			if k == [2]string{} {
				got = c.PodsInNamespace("default")
			} else {
				got = c.PodsWithLabel("default", k[0], k[1])
			}
			gotNames := make([]string, 0, len(got))
			for _, pi := range got {
				gotNames = append(gotNames, pi.Pod.Name)
			}
			require.Equal(t, slices.Clip(want), slices.Clip(gotNames), "step %d set %v", step, k)
		}
	}
}

// UpdateAssignedPod reports whether the pod was accounted; a shallow copy
// (a status write: same labels map, same containers array) only swaps the
// object, while new labels move the pod between label sets.
func TestUpdateAssignedPod(t *testing.T) {
	c := New()
	c.AddNode(st.Node("n", "4", "8Gi", 110).Obj())
	p := st.Pod("p").Label("app", "web").Req("100m", "100Mi").Node("n").Obj()
	require.False(t, c.UpdateAssignedPod(p))
	status := *p
	status.Status.Phase = corev1.PodRunning
	require.True(t, c.UpdateAssignedPod(&status))
	require.Same(t, &status, c.PodInfo("default", "p").Pod)
	require.Len(t, c.PodsWithLabel("default", "app", "web"), 1)

	relabelled := status
	relabelled.Labels = map[string]string{"app": "db"}
	require.True(t, c.UpdateAssignedPod(&relabelled))
	require.Empty(t, c.PodsWithLabel("default", "app", "web"))
	require.Len(t, c.PodsWithLabel("default", "app", "db"), 1)

	resized := relabelled
	resized.Spec.Containers = []corev1.Container{*relabelled.Spec.Containers[0].DeepCopy()}
	resized.Spec.Containers[0].Resources.Requests[corev1.ResourceCPU] = resource.MustParse("2")
	require.True(t, c.UpdateAssignedPod(&resized))
	require.Equal(t, int64(2000), c.Get("n").Requested.MilliCPU)
}

// Pods sharing one labels map (a template's) join the same sets one
// after another; the sets they join are the ones the index holds even
// after a set was emptied and dropped in between, and in another
// namespace.
func TestSharedLabelsJoinCurrentSets(t *testing.T) {
	shared := map[string]string{"app": "web", "tier": "front"}
	pod := func(name, ns string) *corev1.Pod {
		p := st.Pod(name).Node("n").Obj()
		p.Namespace, p.Labels = ns, shared
		return p
	}
	type step struct {
		add    *corev1.Pod // or remove it
		remove bool
	}
	a, b, c2, other := pod("a", "default"), pod("b", "default"), pod("c", "default"), pod("x", "other")
	for _, tc := range []struct {
		name  string
		steps []step
		want  map[string][]string // namespace -> pods with app=web (and tier=front), sorted
	}{
		{"one after another", []step{{add: a}, {add: b}, {add: c2}}, map[string][]string{"default": {"a", "b", "c"}}},
		{"set dropped in between", []step{{add: a}, {add: a, remove: true}, {add: b}}, map[string][]string{"default": {"b"}}},
		{"dropped, then another namespace", []step{{add: a}, {add: a, remove: true}, {add: other}, {add: b}},
			map[string][]string{"default": {"b"}, "other": {"x"}}},
		{"another namespace between", []step{{add: a}, {add: other}, {add: b}}, map[string][]string{"default": {"a", "b"}, "other": {"x"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cache := New()
			cache.AddNode(st.Node("n", "4", "8Gi", 110).Obj())
			for _, s := range tc.steps {
				if s.remove {
					require.True(t, cache.RemovePod(s.add))
					continue
				}
				cache.AddPod(s.add)
			}
			for _, ns := range []string{"default", "other"} {
				want := tc.want[ns]
				for _, label := range [][2]string{{"app", "web"}, {"tier", "front"}} {
					var got []string
					for _, pi := range cache.PodsWithLabel(ns, label[0], label[1]) {
						got = append(got, pi.Pod.Name)
					}
					slices.Sort(got)
					require.Equal(t, want, got, "%s %s", ns, label)
				}
				var inNS []string
				for _, pi := range cache.PodsInNamespace(ns) {
					inNS = append(inNS, pi.Pod.Name)
				}
				slices.Sort(inNS)
				require.Equal(t, want, inNS, ns)
			}
		})
	}
}

// AddPodInfoOn accounts the pod on the NodeInfo it is given only when
// that is the cache's NodeInfo of the pod's node; any other hint (none,
// another node's, one whose node was removed, a clone of the right one)
// falls back to the lookup by name, so the pod lands where AddPodInfo
// puts it.
func TestAddPodInfoOnHint(t *testing.T) {
	for _, tt := range []struct {
		name string
		hint func(c *Cache, gone *framework.NodeInfo) *framework.NodeInfo
	}{
		{"none", func(*Cache, *framework.NodeInfo) *framework.NodeInfo { return nil }},
		{"its node", func(c *Cache, _ *framework.NodeInfo) *framework.NodeInfo { return c.Get("a") }},
		{"another node", func(c *Cache, _ *framework.NodeInfo) *framework.NodeInfo { return c.Get("b") }},
		{"a removed node", func(_ *Cache, gone *framework.NodeInfo) *framework.NodeInfo { return gone }},
		{"a clone of its node", func(c *Cache, _ *framework.NodeInfo) *framework.NodeInfo { return c.Get("a").Clone() }},
	} {
		c := New()
		c.AddNode(st.Node("a", "4", "8Gi", 110).Obj())
		c.AddNode(st.Node("b", "4", "8Gi", 110).Obj())
		c.AddNode(st.Node("gone", "4", "8Gi", 110).Obj())
		gone := c.Get("gone")
		c.RemoveNode(st.Node("gone", "4", "8Gi", 110).Obj())
		c.NodeInfos() // the list is up to date, as in a scheduling cycle

		pod := st.Pod("p").Req("1", "1Gi").Node("a").Obj()
		c.AddPodInfoOn(framework.NewPodInfo(pod), tt.hint(c, gone))
		require.Len(t, c.Get("a").Pods, 1, tt.name)
		require.Same(t, c.Get("a"), c.PodInfo("default", "p").Node, tt.name)
		require.Empty(t, c.Get("b").Pods, tt.name)
		require.Empty(t, gone.Pods, tt.name)
		require.Equal(t, int64(1000), c.Get("a").Requested.MilliCPU, tt.name)
	}
}
