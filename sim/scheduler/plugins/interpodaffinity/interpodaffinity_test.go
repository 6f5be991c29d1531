package interpodaffinity

import (
	"testing"

	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"

	"github.com/kubesim/kubesim/sim/scheduler/framework"
	st "github.com/kubesim/kubesim/sim/scheduler/internal/schedtest"
)

const host, zone = corev1.LabelHostname, corev1.LabelTopologyZone

func nodes() []*corev1.Node {
	return []*corev1.Node{
		st.Node("a", "4", "8Gi", 110).Zone("z1").Obj(),
		st.Node("b", "4", "8Gi", 110).Zone("z1").Obj(),
		st.Node("c", "4", "8Gi", 110).Zone("z2").Obj(),
	}
}

func TestFilter(t *testing.T) {
	cache := []*corev1.Pod{st.Pod("db").Label("app", "db").Node("a").Obj()}
	tests := []struct {
		name     string
		existing []*corev1.Pod
		pod      *corev1.Pod
		node     string
		reason   string
	}{
		{"affinity satisfied in zone", cache, st.Pod("p").PodAffinity(zone, "db").Obj(), "b", ""},
		{"affinity not in zone", cache, st.Pod("p").PodAffinity(zone, "db").Obj(), "c", ErrReasonAffinityRulesNotMatch},
		{"first pod of a self-affine group goes anywhere", nil, st.Pod("p").Label("app", "web").PodAffinity(zone, "web").Obj(), "c", ""},
		{"no match anywhere and not self-affine", nil, st.Pod("p").PodAffinity(zone, "db").Obj(), "c", ErrReasonAffinityRulesNotMatch},
		{"anti-affinity on same host", cache, st.Pod("p").PodAntiAffinity(host, "db").Obj(), "a", ErrReasonAntiAffinityRulesNotMatch},
		{"anti-affinity other host", cache, st.Pod("p").PodAntiAffinity(host, "db").Obj(), "b", ""},
		{"existing pod's anti-affinity", []*corev1.Pod{st.Pod("e").Label("app", "x").PodAntiAffinity(zone, "web").Node("a").Obj()},
			st.Pod("p").Label("app", "web").Obj(), "b", ErrReasonExistingAntiAffinityRulesNotMatch},
		{"existing pod's anti-affinity other zone", []*corev1.Pod{st.Pod("e").Label("app", "x").PodAntiAffinity(zone, "web").Node("a").Obj()},
			st.Pod("p").Label("app", "web").Obj(), "c", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := st.Snapshot(nodes(), tc.existing)
			status := st.Filter(New(c, nil), c, tc.pod, tc.node)
			if tc.reason == "" {
				require.True(t, status.IsSuccess(), status.Message())
				return
			}
			require.Equal(t, []string{tc.reason}, status.Reasons())
			want := framework.Unschedulable
			if tc.reason == ErrReasonAffinityRulesNotMatch {
				want = framework.UnschedulableAndUnresolvable
			}
			require.Equal(t, want, status.Code())
		})
	}
}

func TestScore(t *testing.T) {
	existing := []*corev1.Pod{
		st.Pod("db").Label("app", "db").Node("a").Obj(),
		st.Pod("cache").Label("app", "cache").Node("c").Obj(),
	}
	c := st.Snapshot(nodes(), existing)
	// +8 for zone z1 (db), -3 for host c (cache): raw a 8, b 8, c -3.
	// Min-max: a, b 100; c 0.
	pod := st.Pod("p").PreferredPodAffinity(zone, "db", 8).PreferredPodAffinity(host, "cache", -3).Obj()
	got, status := st.Scores(New(c, nil), c, pod)
	require.True(t, status.IsSuccess())
	require.Equal(t, map[string]int64{"a": 100, "b": 100, "c": 0}, got)

	// An existing pod's preferred affinity for the incoming pod's label
	// (weight 5, zone) and its required affinity (weight 1, host):
	// a 5+1 = 6, b 5, c 0 -> 100, 83, 0.
	existing = []*corev1.Pod{st.Pod("e").Label("app", "x").PreferredPodAffinity(zone, "web", 5).PodAffinity(host, "web").Node("a").Obj()}
	c = st.Snapshot(nodes(), existing)
	got, status = st.Scores(New(c, nil), c, st.Pod("p").Label("app", "web").Obj())
	require.True(t, status.IsSuccess())
	require.Equal(t, map[string]int64{"a": 100, "b": 83, "c": 0}, got)
}

func TestSkipWithoutAffinity(t *testing.T) {
	c := st.Snapshot(nodes(), []*corev1.Pod{st.Pod("db").Label("app", "db").Node("a").Obj()})
	state := framework.NewCycleState()
	require.True(t, New(c, nil).PreFilter(state, st.Pod("p").Obj()).IsSkip())
	require.True(t, New(c, nil).PreScore(state, st.Pod("p").Obj(), c.NodeInfos()).IsSkip())
}
