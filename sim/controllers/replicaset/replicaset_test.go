package replicaset

import (
	"errors"
	"fmt"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	"github.com/kubesim/kubesim/sim"
	"github.com/kubesim/kubesim/sim/apiserver"
	"github.com/kubesim/kubesim/sim/controllers/controllerutil"
	"github.com/kubesim/kubesim/sim/controllers/controllerutil/fake"
	"github.com/kubesim/kubesim/sim/podutil"
	"github.com/kubesim/kubesim/sim/store"
)

func newRS(name string, replicas int32) *appsv1.ReplicaSet {
	l := map[string]string{"app": name}
	return &appsv1.ReplicaSet{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "default"},
		Spec: appsv1.ReplicaSetSpec{
			Replicas: &replicas,
			Selector: &metav1.LabelSelector{MatchLabels: l},
			Template: fake.Template(l, "nginx:1.27"),
		},
	}
}

func setup(t *testing.T, rs ...*appsv1.ReplicaSet) (*fake.World, *Controller) {
	t.Helper()
	objs := make([]store.Object, len(rs))
	for i, r := range rs {
		objs[i] = r
	}
	return setupWith(t, New, Name, objs...)
}

// setupWith is a world holding objs and a controller made by newFn with
// the client of component name, not started.
func setupWith(t *testing.T, newFn func(*sim.Engine, *apiserver.Client, controllerutil.Config) *Controller, name string, objs ...store.Object) (*fake.World, *Controller) {
	t.Helper()
	w := fake.New(1)
	for _, o := range objs {
		_, err := w.Admin.Create(o)
		require.NoError(t, err)
	}
	return w, newFn(w.Engine, w.Server.Client(name), controllerutil.DefaultConfig())
}

// running is setup of rs on one node with a scheduler and kubelets, the
// controller started and run for d.
func running(t *testing.T, rs *appsv1.ReplicaSet, d time.Duration) (*fake.World, *Controller) {
	t.Helper()
	w, c := setup(t, rs)
	w.AddNode("n1", nil)
	w.RunScheduler()
	w.RunKubelet()
	c.Start()
	w.Run(d)
	return w, c
}

func getRS(t *testing.T, w *fake.World, name string) *appsv1.ReplicaSet {
	return fake.Get[*appsv1.ReplicaSet](t, w.Store, "ReplicaSet", name)
}

func TestSyncCreatesPodsWithControllerRef(t *testing.T) {
	w, c := setup(t, newRS("web", 3))
	require.NoError(t, c.sync("default/web"))
	rs := getRS(t, w, "web")
	pods := w.Pods()
	require.Len(t, pods, 3)
	for _, p := range pods {
		require.True(t, strings.HasPrefix(p.Name, "web-"))
		require.Len(t, p.Name, len("web-")+5)
		require.Equal(t, "web", p.Labels["app"])
		ref := podutil.ControllerOf(p)
		require.NotNil(t, ref)
		require.Equal(t, metav1.OwnerReference{APIVersion: "apps/v1", Kind: "ReplicaSet", Name: "web", UID: rs.UID,
			Controller: ref.Controller, BlockOwnerDeletion: ref.BlockOwnerDeletion}, *ref)
		require.True(t, *ref.Controller)
		require.True(t, *ref.BlockOwnerDeletion)
	}
	// Status counts the pods seen before this sync's creates, as upstream.
	require.Equal(t, int32(0), rs.Status.Replicas)
	require.Equal(t, int64(1), rs.Status.ObservedGeneration)
	require.NoError(t, c.sync("default/web"))
	rs = getRS(t, w, "web")
	require.Equal(t, int32(3), rs.Status.Replicas)
	require.Equal(t, int32(3), rs.Status.FullyLabeledReplicas)
	require.Len(t, w.Pods(), 3, "no duplicate creates")
	ev := w.Events("ReplicaSet", "web")
	want := []string{}
	for _, p := range pods {
		want = append(want, "SuccessfulCreate: Created pod: "+p.Name)
	}
	require.ElementsMatch(t, want, ev)
}

func TestExpectationsPreventDoubleCreate(t *testing.T) {
	w, c := setup(t, newRS("web", 3))
	c.Start()
	require.NoError(t, c.sync("default/web"))
	// Someone deletes a pod before the watch reported the creates: the
	// controller must wait for its own creates to be observed.
	p := w.Pods()[0]
	require.NoError(t, w.Admin.Delete("Pod", "default", p.Name, apiserver.DeleteOptions{}))
	require.NoError(t, c.sync("default/web"))
	require.Len(t, w.Pods(), 2, "no create while expectations are pending")
	w.Run(time.Second)
	require.Len(t, w.Pods(), 3)
}

func TestAdoptsOrphansIgnoresOthers(t *testing.T) {
	w, c := setup(t, newRS("web", 2))
	orphan := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "orphan", Namespace: "default", Labels: map[string]string{"app": "web"}},
		Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "c", Image: "x:1"}}}}
	_, err := w.Admin.Create(orphan)
	require.NoError(t, err)
	yes := true
	owned := orphan.DeepCopy()
	owned.Name, owned.ResourceVersion, owned.UID = "other", "", ""
	owned.OwnerReferences = []metav1.OwnerReference{{APIVersion: "apps/v1", Kind: "ReplicaSet", Name: "x", UID: "123", Controller: &yes}}
	_, err = w.Admin.Create(owned)
	require.NoError(t, err)

	require.NoError(t, c.sync("default/web"))
	rs := getRS(t, w, "web")
	o, _ := w.Store.Get("Pod", "default", "orphan")
	require.Equal(t, rs.UID, podutil.ControllerOf(o).UID, "orphan adopted")
	o, _ = w.Store.Get("Pod", "default", "other")
	require.Equal(t, "123", string(podutil.ControllerOf(o).UID), "other's pod untouched")
	require.Len(t, w.Pods(), 3, "one adopted + one created + the other's")
	require.NoError(t, c.sync("default/web"))
	require.Equal(t, int32(2), getRS(t, w, "web").Status.Replicas)
}

func TestReleasesPodsNoLongerMatching(t *testing.T) {
	w, c := setup(t, newRS("web", 1))
	require.NoError(t, c.sync("default/web"))
	p := w.Pods()[0].DeepCopy()
	p.Labels = map[string]string{"app": "debug"}
	_, err := w.Admin.Update(p)
	require.NoError(t, err)
	c.exp.Delete("default/web")
	require.NoError(t, c.sync("default/web"))
	o, _ := w.Store.Get("Pod", "default", p.Name)
	require.Nil(t, podutil.ControllerOf(o), "released")
	require.Len(t, w.Pods(), 2, "replacement created")
}

func TestScaleDownDeletesUnscheduledAndNotReadyFirst(t *testing.T) {
	w, c := setup(t, newRS("web", 4))
	w.AddNode("n1", nil)
	require.NoError(t, c.sync("default/web"))
	pods := w.Pods()
	// pods[0] unscheduled; pods[1] bound not ready; pods[2], pods[3] ready.
	for i, p := range pods[1:] {
		require.NoError(t, w.Admin.Bind("default", p.Name, "n1"))
		if i == 0 {
			continue
		}
		o, _ := w.Store.Get("Pod", "default", p.Name)
		q := o.(*corev1.Pod).DeepCopy()
		q.Status.Phase = corev1.PodRunning
		q.Status.Conditions = append(q.Status.Conditions, corev1.PodCondition{Type: corev1.PodReady, Status: corev1.ConditionTrue})
		_, err := w.Admin.UpdateStatus(q)
		require.NoError(t, err)
	}
	require.NoError(t, w.Admin.Scale("ReplicaSet", "default", "web", 2))
	c.exp.Delete("default/web")
	require.NoError(t, c.sync("default/web"))
	var left []string
	for _, p := range w.Pods() {
		if p.DeletionTimestamp == nil {
			left = append(left, p.Name)
		}
	}
	require.ElementsMatch(t, []string{pods[2].Name, pods[3].Name}, left)
	ev := w.Events("ReplicaSet", "web")
	require.Contains(t, ev, "SuccessfulDelete: Deleted pod: "+pods[0].Name)
	require.Contains(t, ev, "SuccessfulDelete: Deleted pod: "+pods[1].Name)
}

func TestTerminatingPodsReplacedAtOnce(t *testing.T) {
	w, c := setup(t, newRS("web", 3))
	w.AddNode("n1", nil)
	w.RunScheduler()
	w.RunKubelet()
	w.StopAfter = time.Minute
	c.Start()
	w.Run(5 * time.Second)
	active, avail := w.CountPods(nil)
	require.Equal(t, 3, active)
	require.Equal(t, 3, avail)
	require.Equal(t, int32(3), getRS(t, w, "web").Status.AvailableReplicas)

	victim := w.Pods()[0].Name
	require.NoError(t, w.Admin.Delete("Pod", "default", victim, apiserver.DeleteOptions{}))
	w.Run(100 * time.Millisecond)
	o, ok := w.Store.Get("Pod", "default", victim)
	require.True(t, ok)
	require.NotNil(t, o.GetDeletionTimestamp(), "still terminating")
	active, _ = w.CountPods(nil)
	require.Equal(t, 3, active, "replacement created while the old pod terminates")
	require.Len(t, w.Pods(), 4)
}

func TestMinReadySecondsAvailability(t *testing.T) {
	rs := newRS("web", 2)
	rs.Spec.MinReadySeconds = 30
	w, _ := running(t, rs, 5*time.Second)
	got := getRS(t, w, "web")
	require.Equal(t, int32(2), got.Status.ReadyReplicas)
	require.Equal(t, int32(0), got.Status.AvailableReplicas)
	w.Run(30 * time.Second)
	require.Equal(t, int32(2), getRS(t, w, "web").Status.AvailableReplicas)
}

func TestCalculateStatusReplicaFailure(t *testing.T) {
	rs := newRS("web", 2)
	now := sim.Epoch.Add(time.Minute)
	st := CalculateStatus(rs, nil, errors.New("quota exceeded"), now)
	require.Len(t, st.Conditions, 1)
	require.Equal(t, appsv1.ReplicaSetReplicaFailure, st.Conditions[0].Type)
	require.Equal(t, "FailedCreate", st.Conditions[0].Reason)
	require.Equal(t, "quota exceeded", st.Conditions[0].Message)
	rs.Status = st
	st = CalculateStatus(rs, nil, nil, now)
	require.Empty(t, st.Conditions)
}

func TestFailedCreateEventAndBackoff(t *testing.T) {
	w, c := setup(t, newRS("web", 5))
	// Pods are refused (as an admission webhook would) but status writes pass.
	fail := true
	w.Server.WriteGate = func() error {
		if fail {
			return errors.New("etcd: no quorum")
		}
		return nil
	}
	err := c.sync("default/web")
	require.Error(t, err)
	require.Empty(t, w.Pods(), "slow start stops after the first failed batch")
	require.True(t, c.exp.Satisfied("default/web"), "skipped creates are not expected")
	fail = false
	require.NoError(t, c.sync("default/web"))
	require.Len(t, w.Pods(), 5)
}

// BenchmarkSyncSteady is one sync of a 50-replica ReplicaSet whose pods
// all run: the claim, the activeness and readiness of every pod and the
// status comparison, with nothing to write (a sync per pod event is the
// controller's steady cost).
func BenchmarkSyncSteady(b *testing.B) {
	w := fake.New(1)
	if _, err := w.Admin.Create(newRS("web", 50)); err != nil {
		b.Fatal(err)
	}
	c := New(w.Engine, w.Server.Client(Name), controllerutil.DefaultConfig())
	c.Start()
	w.AddNode("n1", nil)
	w.RunScheduler()
	w.RunKubelet()
	w.Run(time.Minute)
	if _, avail := w.CountPods(func(*corev1.Pod) bool { return true }); avail != 50 {
		b.Fatalf("%d pods available, want 50", avail)
	}
	for b.Loop() {
		if err := c.sync("default/web"); err != nil {
			b.Fatal(err)
		}
	}
}

// The sync counts each claimed pod from facts read once per pod version
// (podFacts, kept by the claim memo): after every kind of change that
// matters - readiness lost, a template label dropped, a deletion started,
// a scale down - the status it writes is the one CalculateStatus computes
// afresh from the pods in the store.
func TestSyncStatusAgreesWithFreshCount(t *testing.T) {
	rs := newRS("web", 6)
	rs.Spec.Template.Labels = map[string]string{"app": "web", "tier": "front"} // tier is not in the selector
	w, c := running(t, rs, 10*time.Second)
	// The facts are kept per stored version, which is right only if no
	// one changes a stored pod in place: a version seen before must still
	// be what it was.
	seen := map[*corev1.Pod]*corev1.Pod{}
	check := func(what string) {
		t.Helper()
		w.Run(time.Second)
		require.NoError(t, c.sync("default/web"), what)
		for _, p := range w.Pods() {
			if was, ok := seen[p]; ok {
				require.Equal(t, was, p, "%s: %s changed in place", what, p.Name)
			}
			seen[p] = p.DeepCopy()
		}
		got := getRS(t, w, "web")
		var active []*corev1.Pod
		for _, o := range controllerutil.ControlledBy(w.Store, "Pod", got) {
			if p := o.(*corev1.Pod); podutil.IsActive(p) {
				active = append(active, p)
			}
		}
		want := CalculateStatus(got, active, nil, w.Engine.Now())
		want.ObservedGeneration = got.Generation
		require.Equal(t, want, got.Status, what)
	}
	check("all running")
	require.Equal(t, int32(6), getRS(t, w, "web").Status.FullyLabeledReplicas)
	pods := w.Pods()
	update := func(p *corev1.Pod, status bool) {
		t.Helper()
		var err error
		if status {
			_, err = w.Admin.UpdateStatus(p)
		} else {
			_, err = w.Admin.Update(p)
		}
		require.NoError(t, err)
	}
	notReady := pods[0].DeepCopy()
	for i := range notReady.Status.Conditions {
		if notReady.Status.Conditions[i].Type == corev1.PodReady {
			notReady.Status.Conditions[i].Status = corev1.ConditionFalse
		}
	}
	update(notReady, true)
	check("one pod not ready")
	require.Equal(t, int32(5), getRS(t, w, "web").Status.ReadyReplicas)
	partial := pods[1].DeepCopy()
	delete(partial.Labels, "tier")
	update(partial, false)
	check("one pod without a template label")
	require.Equal(t, int32(5), getRS(t, w, "web").Status.FullyLabeledReplicas)
	require.NoError(t, w.Admin.Delete("Pod", "default", pods[2].Name, apiserver.DeleteOptions{}))
	check("one pod terminating, its replacement created")
	require.Equal(t, int32(6), getRS(t, w, "web").Status.Replicas)
	w.Run(time.Minute)
	check("replaced")
	scaled := getRS(t, w, "web").DeepCopy()
	scaled.Spec.Replicas = ptr.To[int32](2)
	_, err := w.Admin.Update(scaled)
	require.NoError(t, err)
	w.Run(time.Minute)
	check("scaled down")
	require.Equal(t, int32(2), getRS(t, w, "web").Status.Replicas)
}

// BenchmarkCreatePods is the sync of a new 100-replica ReplicaSet, which
// creates its 100 pods (each op creates the ReplicaSet too, and adds it
// and its pods to the store). On a shared machine its wall time says
// little: cpu-ns/pod is the process's CPU time (all threads, the
// collector's included) per pod created. go test -bench CreatePods
// -benchmem.
func BenchmarkCreatePods(b *testing.B) {
	w := fake.New(1)
	c := New(w.Engine, w.Server.Client(Name), controllerutil.DefaultConfig())
	i := 0
	var ru0 syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru0)
	for b.Loop() {
		name := fmt.Sprintf("web%07d", i) // in key order: the store's sets append
		i++
		rs := newRS(name, 100)
		rs.Spec.Template.Labels["pod-template-hash"] = "5d8f9c7b6"
		if _, err := w.Admin.Create(rs); err != nil {
			b.Fatal(err)
		}
		if err := c.sync("default/" + name); err != nil {
			b.Fatal(err)
		}
	}
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	cpu := ru.Utime.Nano() + ru.Stime.Nano() - ru0.Utime.Nano() - ru0.Stime.Nano()
	b.ReportMetric(float64(cpu)/float64(100*i), "cpu-ns/pod")
	if n := len(w.Pods()); n != 100*i {
		b.Fatalf("%d pods, want %d", n, 100*i)
	}
}
