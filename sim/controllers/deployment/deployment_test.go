package deployment

import (
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"

	"github.com/kubesim/kubesim/sim/controllers/controllerutil"
	"github.com/kubesim/kubesim/sim/controllers/controllerutil/fake"
	"github.com/kubesim/kubesim/sim/controllers/replicaset"
)

func newDeployment(name string, n int32, image string) *appsv1.Deployment {
	l := map[string]string{"app": name}
	return &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "default"},
		Spec: appsv1.DeploymentSpec{
			Replicas: &n,
			Selector: &metav1.LabelSelector{MatchLabels: l},
			Template: fake.Template(l, image),
		},
	}
}

func rolling(d *appsv1.Deployment, surge, unavail intstr.IntOrString) *appsv1.Deployment {
	d.Spec.Strategy = appsv1.DeploymentStrategy{Type: appsv1.RollingUpdateDeploymentStrategyType,
		RollingUpdate: &appsv1.RollingUpdateDeployment{MaxSurge: &surge, MaxUnavailable: &unavail}}
	return d
}

type env struct {
	*fake.World
	dc *Controller
}

// newEnv starts both controllers, a scheduler and a kubelet on 3 nodes.
func newEnv(t *testing.T) *env {
	t.Helper()
	return newEnvWith(7, 3)
}

// newEnvWith is newEnv with the seed and number of nodes (n1, n2, ...).
func newEnvWith(seed uint64, nodes int) *env {
	w := fake.New(seed)
	for i := 1; i <= nodes; i++ {
		w.AddNode(fmt.Sprintf("n%d", i), nil)
	}
	w.RunScheduler()
	w.RunKubelet()
	rc := replicaset.New(w.Engine, w.Server.Client(replicaset.Name), controllerutil.DefaultConfig())
	dc := New(w.Engine, w.Server.Client(Name), controllerutil.DefaultConfig())
	rc.Start()
	dc.Start()
	return &env{World: w, dc: dc}
}

func (e *env) deployment(t *testing.T, name string) *appsv1.Deployment {
	return fake.Get[*appsv1.Deployment](t, e.Store, "Deployment", name)
}

func (e *env) replicaSets(d *appsv1.Deployment) []*appsv1.ReplicaSet {
	var out []*appsv1.ReplicaSet
	for _, o := range controllerutil.ControlledBy(e.Store, "ReplicaSet", d) {
		out = append(out, o.(*appsv1.ReplicaSet))
	}
	return sortedRS(out, byCreation)
}

func (e *env) setImage(t *testing.T, name, image string) {
	d := e.deployment(t, name).DeepCopy()
	d.Spec.Template.Spec.Containers[0].Image = image
	_, err := e.Admin.Update(d)
	require.NoError(t, err)
}

func imageIs(image string) func(*corev1.Pod) bool {
	return func(p *corev1.Pod) bool { return p.Spec.Containers[0].Image == image }
}

func condition(d *appsv1.Deployment, t appsv1.DeploymentConditionType) appsv1.DeploymentCondition {
	if c := getCondition(d.Status, t); c != nil {
		return *c
	}
	return appsv1.DeploymentCondition{}
}

func TestSyncCreatesNewReplicaSet(t *testing.T) {
	w := fake.New(1)
	_, err := w.Admin.Create(newDeployment("web", 3, "nginx:1.27"))
	require.NoError(t, err)
	dc := New(w.Engine, w.Server.Client(Name), controllerutil.DefaultConfig())
	require.NoError(t, dc.sync("default/web"))

	d := func() *appsv1.Deployment {
		o, _ := w.Store.Get("Deployment", "default", "web")
		return o.(*appsv1.Deployment)
	}()
	rss := controllerutil.ControlledBy(w.Store, "ReplicaSet", d)
	require.Len(t, rss, 1)
	rs := rss[0].(*appsv1.ReplicaSet)
	hash := controllerutil.ComputeHash(&d.Spec.Template, nil)
	require.Equal(t, "web-"+hash, rs.Name)
	require.Equal(t, hash, rs.Labels[HashLabel])
	require.Equal(t, hash, rs.Spec.Selector.MatchLabels[HashLabel])
	require.Equal(t, hash, rs.Spec.Template.Labels[HashLabel])
	require.Equal(t, int32(3), *rs.Spec.Replicas)
	require.Equal(t, map[string]string{RevisionAnnotation: "1", DesiredReplicasAnnotation: "3", MaxReplicasAnnotation: "4"}, rs.Annotations)
	require.Equal(t, "1", d.Annotations[RevisionAnnotation])
	c := condition(d, appsv1.DeploymentProgressing)
	require.Equal(t, NewReplicaSetReason, c.Reason)
	require.Equal(t, fmt.Sprintf("Created new replica set %q", rs.Name), c.Message)
	require.Equal(t, []string{"ScalingReplicaSet: Scaled up replica set " + rs.Name + " from 0 to 3"}, w.Events("Deployment", "web"))
	require.NotContains(t, hash, "a", "SafeEncodeString has no vowels")
}

func TestRollingUpdateHonoursSurgeAndUnavailable(t *testing.T) {
	for _, tc := range []struct {
		name            string
		replicas        int32
		surge, unavail  intstr.IntOrString
		maxTotal, minAv int
	}{
		{"surge1-unavail0", 4, intstr.FromInt32(1), intstr.FromInt32(0), 5, 4},
		{"surge0-unavail1", 4, intstr.FromInt32(0), intstr.FromInt32(1), 4, 3},
		{"defaults-25pct", 10, intstr.FromString("25%"), intstr.FromString("25%"), 13, 8},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			_, err := e.Admin.Create(rolling(newDeployment("web", tc.replicas, "nginx:1.26"), tc.surge, tc.unavail))
			require.NoError(t, err)
			e.Run(10 * time.Second)
			_, avail := e.CountPods(nil)
			require.Equal(t, int(tc.replicas), avail)

			e.setImage(t, "web", "nginx:1.27")
			violations := 0
			e.Engine.AfterStep = func() {
				active, avail := e.CountPods(nil)
				if active > tc.maxTotal || avail < tc.minAv {
					violations++
				}
			}
			e.Run(2 * time.Minute)
			e.Engine.AfterStep = nil
			require.Zero(t, violations)
			active, avail := e.CountPods(imageIs("nginx:1.27"))
			require.Equal(t, int(tc.replicas), active)
			require.Equal(t, int(tc.replicas), avail)
			old, _ := e.CountPods(imageIs("nginx:1.26"))
			require.Zero(t, old)
			d := e.deployment(t, "web")
			require.Equal(t, "2", d.Annotations[RevisionAnnotation])
			require.Equal(t, tc.replicas, d.Status.UpdatedReplicas)
			require.Equal(t, tc.replicas, d.Status.AvailableReplicas)
			require.Equal(t, d.Generation, d.Status.ObservedGeneration)
			rss := e.replicaSets(d)
			require.Len(t, rss, 2)
			av := condition(d, appsv1.DeploymentAvailable)
			require.Equal(t, corev1.ConditionTrue, av.Status)
			require.Equal(t, "Deployment has minimum availability.", av.Message)
			pr := condition(d, appsv1.DeploymentProgressing)
			require.Equal(t, NewRSAvailableReason, pr.Reason)
			require.Equal(t, fmt.Sprintf("ReplicaSet %q has successfully progressed.", rss[1].Name), pr.Message)
			evs := e.Events("Deployment", "web")
			found := false
			for _, ev := range evs {
				found = found || strings.HasPrefix(ev, "ScalingReplicaSet: Scaled down replica set "+rss[0].Name+" from ") && strings.HasSuffix(ev, " to 0")
			}
			require.True(t, found, "%q", evs)
		})
	}
}

func TestRecreateNeverOverlaps(t *testing.T) {
	e := newEnv(t)
	d := newDeployment("web", 3, "nginx:1.26")
	d.Spec.Strategy.Type = appsv1.RecreateDeploymentStrategyType
	_, err := e.Admin.Create(d)
	require.NoError(t, err)
	e.Run(10 * time.Second)
	e.setImage(t, "web", "nginx:1.27")
	overlap := false
	e.Engine.AfterStep = func() {
		// Any old pod, even terminating, alongside any new pod.
		var old, cur int
		for _, p := range e.Pods() {
			if p.Spec.Containers[0].Image == "nginx:1.26" {
				old++
			} else {
				cur++
			}
		}
		if old > 0 && cur > 0 {
			overlap = true
		}
	}
	e.Run(time.Minute)
	e.Engine.AfterStep = nil
	require.False(t, overlap)
	active, avail := e.CountPods(imageIs("nginx:1.27"))
	require.Equal(t, 3, active)
	require.Equal(t, 3, avail)
}

func TestRollbackAndHistoryLimit(t *testing.T) {
	e := newEnv(t)
	d := newDeployment("web", 2, "nginx:1")
	d.Spec.RevisionHistoryLimit = ptr.To(int32(2))
	_, err := e.Admin.Create(d)
	require.NoError(t, err)
	e.Run(10 * time.Second)

	err = Rollback(e.Admin, e.Store, "default", "web", 0)
	require.EqualError(t, err, `no rollout history found for deployment "web"`)

	for _, img := range []string{"nginx:2", "nginx:3", "nginx:4"} {
		e.setImage(t, "web", img)
		e.Run(time.Minute)
	}
	d = e.deployment(t, "web")
	require.Equal(t, "4", d.Annotations[RevisionAnnotation])
	rss := e.replicaSets(d)
	require.Len(t, rss, 3, "new + 2 old (revisionHistoryLimit)")
	var revs []string
	for _, rs := range rss {
		revs = append(revs, rs.Annotations[RevisionAnnotation])
	}
	require.ElementsMatch(t, []string{"2", "3", "4"}, revs)

	require.EqualError(t, Rollback(e.Admin, e.Store, "default", "web", 1), "unable to find specified revision 1 in history")
	require.NoError(t, Rollback(e.Admin, e.Store, "default", "web", 0))
	d = e.deployment(t, "web")
	require.Equal(t, "nginx:3", d.Spec.Template.Spec.Containers[0].Image)
	require.NotContains(t, d.Spec.Template.Labels, HashLabel)
	e.Run(time.Minute)
	active, _ := e.CountPods(imageIs("nginx:3"))
	require.Equal(t, 2, active)
	d = e.deployment(t, "web")
	require.Equal(t, "5", d.Annotations[RevisionAnnotation])
	rss = e.replicaSets(d)
	require.Len(t, rss, 3, "the revision-3 ReplicaSet was reused")
	for _, rs := range rss {
		if rs.Spec.Template.Spec.Containers[0].Image == "nginx:3" {
			require.Equal(t, "5", rs.Annotations[RevisionAnnotation])
			require.Equal(t, "3", rs.Annotations[RevisionHistoryAnnotation])
		}
	}
	var skipped ErrSkipped
	require.ErrorAs(t, Rollback(e.Admin, e.Store, "default", "web", 5), &skipped)
}

func TestRestartRollsPods(t *testing.T) {
	e := newEnv(t)
	_, err := e.Admin.Create(newDeployment("web", 2, "nginx:1"))
	require.NoError(t, err)
	e.Run(10 * time.Second)
	before := e.Pods()
	e.Run(time.Hour)
	require.NoError(t, Restart(e.Admin, "default", "web"))
	d := e.deployment(t, "web")
	require.Equal(t, "2026-01-01T01:00:10Z", d.Spec.Template.Annotations[RestartedAtAnnotation])
	e.Run(time.Minute)
	after := e.Pods()
	require.Len(t, after, 2)
	for _, p := range after {
		for _, b := range before {
			require.NotEqual(t, b.Name, p.Name)
		}
		require.Equal(t, "2026-01-01T01:00:10Z", p.Annotations[RestartedAtAnnotation])
	}
}

func TestProportionalScalingDuringRollout(t *testing.T) {
	e := newEnv(t)
	e.NotReady = imageIs("nginx:bad")
	_, err := e.Admin.Create(rolling(newDeployment("web", 10, "nginx:1"), intstr.FromInt32(3), intstr.FromInt32(2)))
	require.NoError(t, err)
	e.Run(10 * time.Second)
	e.setImage(t, "web", "nginx:bad")
	e.Run(30 * time.Second)
	d := e.deployment(t, "web")
	rss := e.replicaSets(d)
	require.Len(t, rss, 2)
	require.Equal(t, int32(8), *rss[0].Spec.Replicas, "old scaled down by maxUnavailable")
	require.Equal(t, int32(5), *rss[1].Spec.Replicas, "new grown to maxSurge")

	require.NoError(t, e.Admin.Scale("Deployment", "default", "web", 20))
	e.Run(time.Second)
	rss = e.replicaSets(d)
	// 23 allowed (20 + maxSurge 3), 10 to add: old gets round(8*23/13)-8 = 6,
	// new round(5*23/13)-5 = 4.
	require.Equal(t, int32(14), *rss[0].Spec.Replicas)
	require.Equal(t, int32(9), *rss[1].Spec.Replicas)
	require.Equal(t, "20", rss[0].Annotations[DesiredReplicasAnnotation])
	require.Equal(t, "23", rss[1].Annotations[MaxReplicasAnnotation])
}

func TestProgressDeadlineExceeded(t *testing.T) {
	e := newEnv(t)
	e.NotReady = imageIs("nginx:bad")
	d := newDeployment("web", 2, "nginx:bad")
	d.Spec.ProgressDeadlineSeconds = ptr.To(int32(30))
	_, err := e.Admin.Create(d)
	require.NoError(t, err)
	e.Run(20 * time.Second)
	d = e.deployment(t, "web")
	require.Equal(t, corev1.ConditionTrue, condition(d, appsv1.DeploymentProgressing).Status)
	av := condition(d, appsv1.DeploymentAvailable)
	require.Equal(t, MinimumReplicasUnavailable, av.Reason)
	require.Equal(t, "Deployment does not have minimum availability.", av.Message)
	e.Run(20 * time.Second)
	d = e.deployment(t, "web")
	pr := condition(d, appsv1.DeploymentProgressing)
	require.Equal(t, corev1.ConditionFalse, pr.Status)
	require.Equal(t, TimedOutReason, pr.Reason)
	require.True(t, strings.HasSuffix(pr.Message, "has timed out progressing."), pr.Message)
	require.Equal(t, int32(2), d.Status.UnavailableReplicas)
}

func TestFencepostsAndStatus(t *testing.T) {
	for _, tc := range []struct {
		replicas              int32
		surge, unavail        intstr.IntOrString
		wantSurge, wantUnavai int32
	}{
		{10, intstr.FromString("25%"), intstr.FromString("25%"), 3, 2},
		{1, intstr.FromString("25%"), intstr.FromString("25%"), 1, 0},
		{4, intstr.FromInt32(0), intstr.FromInt32(0), 0, 1},
		{3, intstr.FromInt32(0), intstr.FromInt32(5), 0, 3},
	} {
		d := rolling(newDeployment("x", tc.replicas, "i"), tc.surge, tc.unavail)
		require.Equal(t, tc.wantSurge, MaxSurge(d), "surge %+v", tc)
		require.Equal(t, tc.wantUnavai, MaxUnavailable(d), "unavailable %+v", tc)
	}
	d := newDeployment("x", 3, "i")
	d.Spec.Strategy.Type = appsv1.RecreateDeploymentStrategyType
	require.Zero(t, MaxSurge(d))
	require.Zero(t, MaxUnavailable(d))
}

func TestPausedDeploymentDoesNotRoll(t *testing.T) {
	e := newEnv(t)
	_, err := e.Admin.Create(newDeployment("web", 2, "nginx:1"))
	require.NoError(t, err)
	e.Run(10 * time.Second)
	d := e.deployment(t, "web").DeepCopy()
	d.Spec.Paused = true
	d.Spec.Template.Spec.Containers[0].Image = "nginx:2"
	_, err = e.Admin.Update(d)
	require.NoError(t, err)
	e.Run(30 * time.Second)
	active, _ := e.CountPods(imageIs("nginx:1"))
	require.Equal(t, 2, active)
	pr := condition(e.deployment(t, "web"), appsv1.DeploymentProgressing)
	require.Equal(t, PausedDeployReason, pr.Reason)
	require.Equal(t, "Deployment is paused", pr.Message)
	require.EqualError(t, Restart(e.Admin, "default", "web"), "can't restart paused deployment (run rollout resume first)")

	d = e.deployment(t, "web").DeepCopy()
	d.Spec.Paused = false
	_, err = e.Admin.Update(d)
	require.NoError(t, err)
	e.Run(time.Minute)
	active, _ = e.CountPods(imageIs("nginx:2"))
	require.Equal(t, 2, active)
}

// runMany creates n Deployments of r replicas on nodes nodes and runs
// until every pod is available; it returns the trace hash.
func runMany(t testing.TB, n, r, nodes int) string {
	w := newEnvWith(42, nodes)
	for i := 0; i < n; i++ {
		_, err := w.Admin.Create(newDeployment(fmt.Sprintf("app%d", i), int32(r), "nginx:1"))
		require.NoError(t, err)
	}
	w.Run(2 * time.Minute)
	_, avail := w.CountPods(nil)
	require.Equal(t, n*r, avail)
	return w.Engine.Trace().Hash()
}

func TestDeterministicTrace(t *testing.T) {
	require.Equal(t, runMany(t, 5, 10, 4), runMany(t, 5, 10, 4))
}

// BenchmarkManyDeployments is the shape of the scale target (1,500 x 100)
// at a tenth of the size: go test -bench Many -benchtime 1x.
func BenchmarkManyDeployments(b *testing.B) {
	for i := 0; i < b.N; i++ {
		runMany(b, 150, 100, 500)
	}
}

// TestStatusEqualIsSemanticDeepEqual: statusEqual gives
// equality.Semantic.DeepEqual's answer for a status against itself and
// against each one-field change (a pointer set, nil or pointing to
// another value, a condition list nil, empty, longer or with one field
// changed, the same instant in another location), and it names every
// field of DeploymentStatus and DeploymentCondition (a field upstream
// adds fails here until statusEqual compares it).
func TestStatusEqualIsSemanticDeepEqual(t *testing.T) {
	require.Equal(t, 9, reflect.TypeFor[appsv1.DeploymentStatus]().NumField())
	require.Equal(t, 6, reflect.TypeFor[appsv1.DeploymentCondition]().NumField())
	at := time.Date(2026, 1, 1, 0, 0, 5, 0, time.UTC)
	cond := appsv1.DeploymentCondition{Type: appsv1.DeploymentAvailable, Status: corev1.ConditionTrue,
		LastUpdateTime: metav1.NewTime(at), LastTransitionTime: metav1.NewTime(at), Reason: MinimumReplicasAvailable, Message: "ok"}
	base := appsv1.DeploymentStatus{ObservedGeneration: 2, Replicas: 3, UpdatedReplicas: 3, ReadyReplicas: 2,
		AvailableReplicas: 2, UnavailableReplicas: 1, TerminatingReplicas: ptr.To[int32](0),
		Conditions: []appsv1.DeploymentCondition{cond}, CollisionCount: ptr.To[int32](1)}
	withCond := func(f func(*appsv1.DeploymentCondition)) func(*appsv1.DeploymentStatus) {
		return func(s *appsv1.DeploymentStatus) {
			c := cond
			f(&c)
			s.Conditions = []appsv1.DeploymentCondition{c}
		}
	}
	changes := map[string]func(*appsv1.DeploymentStatus){
		"same":                       func(*appsv1.DeploymentStatus) {},
		"observedGeneration":         func(s *appsv1.DeploymentStatus) { s.ObservedGeneration++ },
		"replicas":                   func(s *appsv1.DeploymentStatus) { s.Replicas++ },
		"updatedReplicas":            func(s *appsv1.DeploymentStatus) { s.UpdatedReplicas++ },
		"readyReplicas":              func(s *appsv1.DeploymentStatus) { s.ReadyReplicas++ },
		"availableReplicas":          func(s *appsv1.DeploymentStatus) { s.AvailableReplicas++ },
		"unavailableReplicas":        func(s *appsv1.DeploymentStatus) { s.UnavailableReplicas++ },
		"terminating nil":            func(s *appsv1.DeploymentStatus) { s.TerminatingReplicas = nil },
		"terminating other pointer":  func(s *appsv1.DeploymentStatus) { s.TerminatingReplicas = ptr.To[int32](0) },
		"terminating other value":    func(s *appsv1.DeploymentStatus) { s.TerminatingReplicas = ptr.To[int32](2) },
		"collisionCount nil":         func(s *appsv1.DeploymentStatus) { s.CollisionCount = nil },
		"collisionCount other value": func(s *appsv1.DeploymentStatus) { s.CollisionCount = ptr.To[int32](2) },
		"conditions nil":             func(s *appsv1.DeploymentStatus) { s.Conditions = nil },
		"conditions empty":           func(s *appsv1.DeploymentStatus) { s.Conditions = []appsv1.DeploymentCondition{} },
		"conditions longer":          func(s *appsv1.DeploymentStatus) { s.Conditions = append(s.Conditions, cond) },
		"condition type":             withCond(func(c *appsv1.DeploymentCondition) { c.Type = appsv1.DeploymentProgressing }),
		"condition status":           withCond(func(c *appsv1.DeploymentCondition) { c.Status = corev1.ConditionFalse }),
		"condition reason":           withCond(func(c *appsv1.DeploymentCondition) { c.Reason = "x" }),
		"condition message":          withCond(func(c *appsv1.DeploymentCondition) { c.Message = "x" }),
		"condition update time":      withCond(func(c *appsv1.DeploymentCondition) { c.LastUpdateTime = metav1.NewTime(at.Add(time.Second)) }),
		"condition transition time":  withCond(func(c *appsv1.DeploymentCondition) { c.LastTransitionTime = metav1.NewTime(at.Add(time.Second)) }),
		"condition time elsewhere": withCond(func(c *appsv1.DeploymentCondition) {
			c.LastUpdateTime = metav1.NewTime(at.In(time.FixedZone("X", 3600)))
		}),
		"condition zero time": withCond(func(c *appsv1.DeploymentCondition) { c.LastTransitionTime = metav1.Time{} }),
	}
	for name, change := range changes {
		b := base
		change(&b)
		for _, pair := range [][2]appsv1.DeploymentStatus{{base, b}, {b, base}, {b, b}} {
			require.Equal(t, equality.Semantic.DeepEqual(pair[0], pair[1]), statusEqual(pair[0], pair[1]), name)
		}
	}
	empty := appsv1.DeploymentStatus{}
	require.True(t, statusEqual(empty, appsv1.DeploymentStatus{Conditions: []appsv1.DeploymentCondition{}}))
}

// BenchmarkStatusEqual compares a two-condition status with an equal
// copy, as every Deployment sync does: go test -bench StatusEqual -benchmem.
func BenchmarkStatusEqual(b *testing.B) {
	at := metav1.NewTime(time.Date(2026, 1, 1, 0, 0, 5, 0, time.UTC))
	st := appsv1.DeploymentStatus{ObservedGeneration: 2, Replicas: 3, UpdatedReplicas: 3, ReadyReplicas: 3, AvailableReplicas: 3,
		Conditions: []appsv1.DeploymentCondition{
			{Type: appsv1.DeploymentAvailable, Status: corev1.ConditionTrue, LastUpdateTime: at, LastTransitionTime: at, Reason: MinimumReplicasAvailable},
			{Type: appsv1.DeploymentProgressing, Status: corev1.ConditionTrue, LastUpdateTime: at, LastTransitionTime: at, Reason: NewRSAvailableReason},
		}}
	cp := *st.DeepCopy()
	b.Run("statusEqual", func(b *testing.B) {
		for b.Loop() {
			if !statusEqual(st, cp) {
				b.Fatal("differ")
			}
		}
	})
	b.Run("Semantic.DeepEqual", func(b *testing.B) {
		for b.Loop() {
			if !equality.Semantic.DeepEqual(st, cp) {
				b.Fatal("differ")
			}
		}
	})
}

// TestPutLastIsRemoveThenAppend: putLast, which moves a condition to the
// end in place, leaves the conditions as removeCondition then append
// would, whether the type is there (first, middle, last) or not.
func TestPutLastIsRemoveThenAppend(t *testing.T) {
	cond := func(typ appsv1.DeploymentConditionType, reason string) appsv1.DeploymentCondition {
		return appsv1.DeploymentCondition{Type: typ, Status: corev1.ConditionTrue, Reason: reason}
	}
	avail, fail := cond(appsv1.DeploymentAvailable, "a"), cond(appsv1.DeploymentReplicaFailure, "f")
	old := cond(appsv1.DeploymentProgressing, "old")
	c := cond(appsv1.DeploymentProgressing, "new")
	for _, cs := range [][]appsv1.DeploymentCondition{
		nil, {avail}, {old}, {old, avail}, {avail, old}, {avail, old, fail}, {old, avail, fail},
	} {
		want := appsv1.DeploymentStatus{Conditions: append([]appsv1.DeploymentCondition(nil), cs...)}
		removeCondition(&want, c.Type)
		want.Conditions = append(want.Conditions, c)
		got := appsv1.DeploymentStatus{Conditions: append([]appsv1.DeploymentCondition(nil), cs...)}
		putLast(&got, c)
		require.Equal(t, want.Conditions, got.Conditions, "from %v", cs)
	}
}
