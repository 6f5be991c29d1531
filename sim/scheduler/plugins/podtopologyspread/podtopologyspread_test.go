package podtopologyspread

import (
	"testing"

	"github.com/stretchr/testify/require"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/kubesim/kubesim/sim"
	"github.com/kubesim/kubesim/sim/scheduler/framework"
	st "github.com/kubesim/kubesim/sim/scheduler/internal/schedtest"
	"github.com/kubesim/kubesim/sim/store"
)

const host, zone = corev1.LabelHostname, corev1.LabelTopologyZone

// a, b in zone z1 and c in z2; web pods: 2 on a, 1 on b, 0 on c.
func spreadFixture() ([]*corev1.Node, []*corev1.Pod) {
	nodes := []*corev1.Node{
		st.Node("a", "4", "8Gi", 110).Zone("z1").Obj(),
		st.Node("b", "4", "8Gi", 110).Zone("z1").Obj(),
		st.Node("c", "4", "8Gi", 110).Zone("z2").Obj(),
	}
	pods := []*corev1.Pod{
		st.Pod("w1").Label("app", "web").Node("a").Obj(),
		st.Pod("w2").Label("app", "web").Node("a").Obj(),
		st.Pod("w3").Label("app", "web").Node("b").Obj(),
		st.Pod("other").Label("app", "db").Node("c").Obj(),
	}
	return nodes, pods
}

func TestScore(t *testing.T) {
	tests := []struct {
		name string
		pod  *corev1.Pod
		want map[string]int64
	}{{
		// hostname weight ln(3+2)=1.609: raw a 2*1.609=3.22->3, b 1.61->2,
		// c 0. Normalised 100*(max+min-s)/max: a 0, b 33, c 100.
		name: "hostname",
		pod:  st.Pod("p").Label("app", "web").Spread(host, 1, corev1.ScheduleAnyway, "web").Obj(),
		want: map[string]int64{"a": 0, "b": 33, "c": 100},
	}, {
		// plus zone (2 domains, weight ln 4 = 1.386; z1 has 3 pods):
		// a 3.22+4.16=7.38->7, b 1.61+4.16=5.77->6, c 0 -> 0, 14, 100.
		name: "hostname and zone",
		pod:  st.Pod("p").Label("app", "web").Spread(host, 1, corev1.ScheduleAnyway, "web").Spread(zone, 1, corev1.ScheduleAnyway, "web").Obj(),
		want: map[string]int64{"a": 0, "b": 14, "c": 100},
	}, {
		// maxSkew adds maxSkew-1 to every raw score: hostname maxSkew 3 ->
		// a 3.22+2=5.22->5, b 3.61->4, c 2 -> 100*(5+2-s)/5: 40, 60, 100.
		name: "maxSkew softens",
		pod:  st.Pod("p").Label("app", "web").Spread(host, 3, corev1.ScheduleAnyway, "web").Obj(),
		want: map[string]int64{"a": 40, "b": 60, "c": 100},
	}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			nodes, pods := spreadFixture()
			c := st.Snapshot(nodes, pods)
			got, status := st.Scores(New(c, nil), c, tc.pod)
			require.True(t, status.IsSuccess(), status.Message())
			require.Equal(t, tc.want, got)
		})
	}
}

func TestScoreIgnoresNodesWithoutKey(t *testing.T) {
	nodes, pods := spreadFixture()
	nodes = append(nodes, st.Node("nozone", "4", "8Gi", 110).Obj())
	c := st.Snapshot(nodes, pods)
	pod := st.Pod("p").Label("app", "web").Spread(zone, 1, corev1.ScheduleAnyway, "web").Obj()
	got, status := st.Scores(New(c, nil), c, pod)
	require.True(t, status.IsSuccess())
	// zone weight ln(2+2): a, b 3*1.386=4.16->4, c 0 -> 0, 0, 100; the
	// node without a zone label scores 0.
	require.Equal(t, map[string]int64{"a": 0, "b": 0, "c": 100, "nozone": 0}, got)
}

func TestFilter(t *testing.T) {
	tests := []struct {
		name string
		pod  *corev1.Pod
		node string
		code framework.Code
	}{
		// zone counts z1=3, z2=0; a web pod in z1 makes skew 4-0 > 1.
		{"zone skew too big", st.Pod("p").Label("app", "web").Spread(zone, 1, corev1.DoNotSchedule, "web").Obj(), "a", framework.Unschedulable},
		{"zone with the minimum", st.Pod("p").Label("app", "web").Spread(zone, 1, corev1.DoNotSchedule, "web").Obj(), "c", framework.Success},
		// a pod not matching its own selector adds nothing: 3-0 > 3 is false.
		{"no self match", st.Pod("p").Label("app", "x").Spread(zone, 3, corev1.DoNotSchedule, "web").Obj(), "a", framework.Success},
		// hostname counts a=2 b=1 c=0: b gives 1+1-0 = 2 > 1.
		{"hostname", st.Pod("p").Label("app", "web").Spread(host, 1, corev1.DoNotSchedule, "web").Obj(), "b", framework.Unschedulable},
		{"missing label", st.Pod("p").Label("app", "web").Spread("rack", 1, corev1.DoNotSchedule, "web").Obj(), "a", framework.UnschedulableAndUnresolvable},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			nodes, pods := spreadFixture()
			c := st.Snapshot(nodes, pods)
			status := st.Filter(New(c, nil), c, tc.pod, tc.node)
			require.Equal(t, tc.code, status.Code(), status.Message())
			switch tc.code {
			case framework.Unschedulable:
				require.Equal(t, ErrReasonConstraintsNotMatch, status.Message())
			case framework.UnschedulableAndUnresolvable:
				require.Equal(t, "node(s) didn't match pod topology spread constraints (missing required label)", status.Message())
			}
		})
	}
}

func TestDefaultConstraintsFromReplicaSet(t *testing.T) {
	s := store.New(sim.NewEngine(1))
	sel := NewStoreSelectors(s)
	rs := &appsv1.ReplicaSet{ObjectMeta: metav1.ObjectMeta{Name: "web-1", Namespace: "default", UID: "rs1"},
		Spec: appsv1.ReplicaSetSpec{Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": "web"}}}}
	_, err := s.Create(rs)
	require.NoError(t, err)
	other := &appsv1.ReplicaSet{ObjectMeta: metav1.ObjectMeta{Name: "db", Namespace: "other", UID: "rs2"},
		Spec: appsv1.ReplicaSetSpec{Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": "web"}}}}
	_, err = s.Create(other)
	require.NoError(t, err)

	nodes, pods := spreadFixture()
	c := st.Snapshot(nodes, pods)
	pl := New(c, sel)
	// Defaults: hostname maxSkew 3 (weight ln 5) and zone maxSkew 5
	// (weight ln 4). raw a = 2*1.609+2 + 3*1.386+4 = 13.38 -> 13,
	// b = 1.609+2 + 4.159+4 = 11.77 -> 12, c = 2 + 4 = 6.
	// -> 100*(13+6-s)/13: a 46, b 53, c 100.
	got, status := st.Scores(pl, c, st.Pod("p").Label("app", "web").Obj())
	require.True(t, status.IsSuccess(), status.Message())
	require.Equal(t, map[string]int64{"a": 46, "b": 53, "c": 100}, got)

	// A pod nothing selects gets no default spreading.
	_, status = st.Scores(pl, c, st.Pod("q").Label("app", "lonely").Obj())
	require.True(t, status.IsSkip())
}

// PreScore reuses its state (the default constraints included) from cycle
// to cycle: alternating pods of two ReplicaSets must score as a fresh
// plugin scores them, and a warm cycle allocates nothing.
func TestDefaultScoringReusesStateExactly(t *testing.T) {
	s := store.New(sim.NewEngine(1))
	sel := NewStoreSelectors(s)
	for _, app := range []string{"web", "db"} {
		_, err := s.Create(&appsv1.ReplicaSet{ObjectMeta: metav1.ObjectMeta{Name: app, Namespace: "default", UID: "rs-" + types.UID(app)},
			Spec: appsv1.ReplicaSetSpec{Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": app}}}})
		require.NoError(t, err)
	}
	nodes, pods := spreadFixture()
	c := st.Snapshot(nodes, pods)
	web, db := st.Pod("p").Label("app", "web").Obj(), st.Pod("q").Label("app", "db").Obj()
	fresh := map[*corev1.Pod]map[string]int64{}
	for _, pod := range []*corev1.Pod{web, db} {
		got, status := st.Scores(New(c, sel), c, pod)
		require.True(t, status.IsSuccess(), status.Message())
		fresh[pod] = got
	}
	require.NotEqual(t, fresh[web], fresh[db])

	pl := New(c, sel)
	for range 3 {
		for _, pod := range []*corev1.Pod{web, db, db, web} {
			got, status := st.Scores(pl, c, pod)
			require.True(t, status.IsSuccess(), status.Message())
			require.Equal(t, fresh[pod], got, pod.Name)
		}
	}

	state := framework.NewCycleState()
	all := c.NodeInfos()
	scores := make([]framework.NodeScore, len(all))
	allocs := testing.AllocsPerRun(20, func() {
		for _, pod := range []*corev1.Pod{web, db} {
			if status := pl.PreScore(state, pod, all); !status.IsSuccess() {
				t.Fatal(status.Message())
			}
			if status := pl.ScoreNodes(state, pod, all, scores); !status.IsSuccess() {
				t.Fatal(status.Message())
			}
		}
	})
	if !raceEnabled {
		require.Zero(t, allocs)
	}
}

// ScoreRows (the scheduler's path, node indexes read from the cycle's
// score rows) scores exactly as ScoreNodes and Score do, for the default
// constraints' fast path, explicit constraints and ignored nodes alike,
// over any subset of the nodes in rotation order.
func TestScoreRowsMatchesScoreNodes(t *testing.T) {
	s := store.New(sim.NewEngine(1))
	sel := NewStoreSelectors(s)
	_, err := s.Create(&appsv1.ReplicaSet{ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: "default", UID: "rs-web"},
		Spec: appsv1.ReplicaSetSpec{Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": "web"}}}})
	require.NoError(t, err)
	nodes, pods := spreadFixture()
	nodes = append(nodes, st.Node("d", "4", "8Gi", 110).Zone("z2").Obj(), st.Node("nozone", "4", "8Gi", 110).Obj())
	pods = append(pods, st.Pod("w4").Label("app", "web").Node("nozone").Obj())
	c := st.Snapshot(nodes, pods)
	all := c.NodeInfos()
	rows := c.Table().Rows
	podsToScore := []*corev1.Pod{
		st.Pod("p").Label("app", "web").Obj(),                                                                                             // default constraints (pair)
		st.Pod("q").Label("app", "web").Spread(zone, 1, corev1.ScheduleAnyway, "web").Obj(),                                               // nozone ignored
		st.Pod("r").Label("app", "web").Spread(host, 2, corev1.ScheduleAnyway, "web").Spread(zone, 1, corev1.ScheduleAnyway, "web").Obj(), // two explicit
	}
	for _, pod := range podsToScore {
		for start := range all {
			for n := 1; n <= len(all); n++ {
				var feasible []*framework.NodeInfo
				var rowOf []int32
				for k := range n {
					i := (start + k) % len(all)
					feasible = append(feasible, all[i])
					rowOf = append(rowOf, int32(i))
				}
				pl := New(c, sel)
				want := make([]framework.NodeScore, n)
				plain := framework.NewCycleState()
				require.True(t, pl.PreScore(plain, pod, feasible).IsSuccess())
				require.True(t, pl.ScoreNodes(plain, pod, feasible, want).IsSuccess())
				for j, ni := range feasible {
					one, status := pl.Score(plain, pod, ni)
					require.True(t, status.IsSuccess())
					require.Equal(t, want[j].Score, one)
				}

				withRows := framework.NewCycleState()
				withRows.SetScoreRows(rows, rowOf)
				require.True(t, pl.PreScore(withRows, pod, feasible).IsSuccess())
				got := make([]framework.NodeScore, n)
				require.True(t, pl.ScoreRows(withRows, pod, feasible, rows, rowOf, got).IsSuccess())
				require.Equal(t, want, got, "%s from %d, %d nodes", pod.Name, start, n)
			}
		}
	}

	// A node PreScore was not given is refused on either path.
	pl := New(c, sel)
	state := framework.NewCycleState()
	state.SetScoreRows(rows, []int32{0})
	require.True(t, pl.PreScore(state, podsToScore[0], all[:1]).IsSuccess())
	require.False(t, pl.ScoreRows(state, podsToScore[0], all[1:2], rows, []int32{1}, make([]framework.NodeScore, 1)).IsSuccess())
}

// The framework's fused path (AddNormalizedRows, taken when the cycle's
// score rows are recorded) adds to every total what the three steps add
// (ScoreNodes, NormalizeScore, then the framework's check and weighting),
// and fails as they do: for the default constraints' fast path, explicit
// constraints with nodes ignored, and a maxSkew of 0, whose normalised
// scores can fall below 0 (nothing rejects it before scoring), over
// every window of the nodes in rotation order.
func TestAddNormalizedRowsMatchesThreeSteps(t *testing.T) {
	s := store.New(sim.NewEngine(1))
	sel := NewStoreSelectors(s)
	_, err := s.Create(&appsv1.ReplicaSet{ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: "default", UID: "rs-web"},
		Spec: appsv1.ReplicaSetSpec{Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": "web"}}}})
	require.NoError(t, err)
	nodes, pods := spreadFixture()
	nodes = append(nodes, st.Node("d", "4", "8Gi", 110).Zone("z2").Obj(), st.Node("nozone", "4", "8Gi", 110).Obj())
	pods = append(pods, st.Pod("w4").Label("app", "web").Node("nozone").Obj())
	c := st.Snapshot(nodes, pods)
	all := c.NodeInfos()
	rows := c.Table().Rows
	for _, tc := range []struct {
		name    string
		pod     *corev1.Pod
		failing bool // some window's scores fall out of range
	}{
		{"default constraints", st.Pod("p").Label("app", "web").Obj(), false},
		{"zone, nozone ignored", st.Pod("q").Label("app", "web").Spread(zone, 1, corev1.ScheduleAnyway, "web").Obj(), false},
		{"host and zone", st.Pod("r").Label("app", "web").Spread(host, 2, corev1.ScheduleAnyway, "web").Spread(zone, 1, corev1.ScheduleAnyway, "web").Obj(), false},
		{"maxSkew 0", st.Pod("s").Label("app", "web").Spread(host, 0, corev1.ScheduleAnyway, "web").Obj(), true},
	} {
		failed := false
		for start := range all {
			for n := 1; n <= len(all); n++ {
				var feasible []*framework.NodeInfo
				var rowOf []int32
				for k := range n {
					i := (start + k) % len(all)
					feasible = append(feasible, all[i])
					rowOf = append(rowOf, int32(i))
				}
				score := func(byRow bool) ([]int64, *framework.Status) {
					fwk := framework.NewFramework(framework.PluginSpec{Plugin: New(c, sel), Weight: 2})
					state := framework.NewCycleState()
					if byRow {
						state.SetScoreRows(rows, rowOf)
					}
					require.True(t, fwk.RunPreScorePlugins(state, tc.pod, feasible).IsSuccess())
					totals := make([]int64, n)
					return totals, fwk.RunScorePlugins(state, tc.pod, feasible, totals)
				}
				want, wantSt := score(false)
				got, gotSt := score(true)
				require.Equal(t, wantSt.IsSuccess(), gotSt.IsSuccess(), "%s from %d, %d nodes", tc.name, start, n)
				if !wantSt.IsSuccess() {
					failed = true
					require.Equal(t, wantSt.AsError().Error(), gotSt.AsError().Error())
					continue
				}
				require.Equal(t, want, got, "%s from %d, %d nodes", tc.name, start, n)
			}
		}
		require.Equal(t, tc.failing, failed, tc.name)
	}
}
