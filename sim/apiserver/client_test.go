package apiserver_test

import (
	"errors"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	"github.com/kubesim/kubesim/sim"
	"github.com/kubesim/kubesim/sim/apiserver"
	"github.com/kubesim/kubesim/sim/store"
)

var uidRE = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)

// uids creates a fixed sequence of objects and returns their UIDs.
func uids(t *testing.T, seed uint64) []string {
	f := newFixture(t, seed)
	out := []string{string(f.get("Namespace", "", "default").GetUID())}
	for _, o := range []store.Object{newPod("a"), newPod("b"), newDeployment("web"), newService("default", "svc")} {
		out = append(out, string(f.create(o).GetUID()))
	}
	return out
}

func TestUIDsAreDeterministic(t *testing.T) {
	a, b, c := uids(t, 7), uids(t, 7), uids(t, 8)
	require.Equal(t, a, b, "same seed, same UIDs")
	for i := range a {
		require.Regexp(t, uidRE, a[i])
		require.NotEqual(t, a[i], c[i], "different seed, different UID %d", i)
		for j := 0; j < i; j++ {
			require.NotEqual(t, a[i], a[j])
		}
	}
}

// traceHash runs a fixed sequence of writes and returns the trace hash.
func traceHash(t *testing.T, seed uint64) string {
	f := newFixture(t, seed)
	f.node("n1")
	for i := 0; i < 5; i++ {
		p := newPod("")
		p.GenerateName = "web-"
		o := f.create(p)
		f.advance(time.Second)
		require.NoError(t, f.Admin.Bind("default", o.GetName(), "n1"))
		f.Server.Client("kubelet/n1").Event(o, corev1.EventTypeNormal, "Scheduled", "Successfully assigned")
	}
	return f.Engine.Trace().Hash()
}

func TestTraceIsDeterministic(t *testing.T) {
	require.Equal(t, traceHash(t, 11), traceHash(t, 11))
	require.NotEqual(t, traceHash(t, 11), traceHash(t, 12), "generated names differ by seed")
}

func TestCreateMetadata(t *testing.T) {
	f := newFixture(t, 1)
	f.advance(90 * time.Second)
	in := newPod("p")
	in.UID = "client-chosen"
	in.ResourceVersion = "999"
	in.DeletionTimestamp = &metav1.Time{Time: sim.Epoch}
	out := f.create(in).(*corev1.Pod)

	require.NotEqual(t, "client-chosen", string(out.UID))
	require.Regexp(t, uidRE, string(out.UID))
	require.True(t, out.CreationTimestamp.Time.Equal(sim.Epoch.Add(90*time.Second)), "got %v", out.CreationTimestamp)
	require.Equal(t, sim.Epoch.Add(90*time.Second), f.Server.Now())
	require.Nil(t, out.DeletionTimestamp)
	require.Equal(t, strconv.FormatInt(f.Store.Rev(), 10), out.ResourceVersion)
	require.Equal(t, int64(0), out.Generation, "pods carry no generation here")
	// The stored object is what Create returned.
	require.Same(t, out, f.pod("p"))
}

func TestCreateAlreadyExists(t *testing.T) {
	f := newFixture(t, 1)
	f.create(newDeployment("web"))
	rev := f.Store.Rev()
	_, err := f.Admin.Create(newDeployment("web"))
	require.True(t, apierrors.IsAlreadyExists(err))
	require.Equal(t, `deployments.apps "web" already exists`, err.Error())
	require.Equal(t, rev, f.Store.Rev())
}

func TestResourceVersionIncreases(t *testing.T) {
	f := newFixture(t, 1)
	f.node("n1")
	var rvs []int64
	note := func(o store.Object) {
		rv, err := strconv.ParseInt(o.GetResourceVersion(), 10, 64)
		require.NoError(t, err)
		require.Equal(t, f.Store.Rev(), rv)
		rvs = append(rvs, rv)
	}
	note(f.create(newPod("p")))
	require.NoError(t, f.Admin.Bind("default", "p", "n1"))
	note(f.pod("p"))
	cp := f.pod("p").DeepCopy()
	cp.Status.Phase = corev1.PodRunning
	out, err := f.Admin.UpdateStatus(cp)
	require.NoError(t, err)
	note(out)
	cp = f.pod("p").DeepCopy()
	cp.Labels = map[string]string{"a": "b"}
	out, err = f.Admin.Update(cp)
	require.NoError(t, err)
	note(out)
	note(f.create(newPod("q")))
	for i := 1; i < len(rvs); i++ {
		require.Greater(t, rvs[i], rvs[i-1])
	}
}

func TestGenerateName(t *testing.T) {
	const alphabet = "bcdfghjklmnpqrstvwxz2456789"
	names := func(seed uint64) []string {
		f := newFixture(t, seed)
		var out []string
		for i := 0; i < 20; i++ {
			p := newPod("")
			p.GenerateName = "web-7c9f8-"
			o := f.create(p)
			require.Equal(t, "web-7c9f8-", o.GetGenerateName())
			out = append(out, o.GetName())
		}
		return out
	}
	a := names(3)
	seen := map[string]bool{}
	for _, n := range a {
		require.Len(t, n, len("web-7c9f8-")+5)
		require.Equal(t, "web-7c9f8-", n[:10])
		for _, c := range n[10:] {
			require.Contains(t, alphabet, string(c), "name %s", n)
		}
		require.False(t, seen[n], "duplicate %s", n)
		seen[n] = true
	}
	require.Equal(t, a, names(3))
	require.NotEqual(t, a, names(4))
}

func TestDeploymentGeneration(t *testing.T) {
	f := newFixture(t, 1)
	cur := func() *appsv1.Deployment { return f.get("Deployment", "default", "web").(*appsv1.Deployment) }
	require.Equal(t, int64(1), f.create(newDeployment("web")).GetGeneration())
	steps := []struct {
		name  string
		write func() error
		want  int64
	}{
		{"label change keeps generation", func() error {
			d := cur().DeepCopy()
			d.Labels = map[string]string{"team": "a"}
			_, err := f.Admin.Update(d)
			return err
		}, 1},
		{"no-op update keeps generation", func() error { _, err := f.Admin.Update(cur().DeepCopy()); return err }, 1},
		{"client cannot set generation", func() error {
			d := cur().DeepCopy()
			d.Generation = 42
			_, err := f.Admin.Update(d)
			return err
		}, 1},
		{"replicas change bumps", func() error {
			d := cur().DeepCopy()
			d.Spec.Replicas = ptr.To(int32(3))
			_, err := f.Admin.Update(d)
			return err
		}, 2},
		{"template change bumps", func() error {
			d := cur().DeepCopy()
			d.Spec.Template.Spec.Containers[0].Image = "nginx:1.28"
			_, err := f.Admin.Update(d)
			return err
		}, 3},
		{"status write keeps generation", func() error {
			d := cur().DeepCopy()
			d.Status.ObservedGeneration = 3
			d.Spec.Replicas = ptr.To(int32(9))
			_, err := f.Admin.UpdateStatus(d)
			return err
		}, 3},
		{"scale bumps", func() error { return f.Admin.Scale("Deployment", "default", "web", 5) }, 4},
	}
	for _, s := range steps {
		require.NoError(t, s.write(), s.name)
		require.Equal(t, s.want, cur().Generation, s.name)
	}
	require.Equal(t, int32(5), *cur().Spec.Replicas)
	require.Equal(t, int64(3), cur().Status.ObservedGeneration)
}

func TestUpdateKeepsStatus(t *testing.T) {
	f := newFixture(t, 1)
	f.create(newDeployment("web"))
	d := f.get("Deployment", "default", "web").(*appsv1.Deployment).DeepCopy()
	d.Status.Replicas, d.Status.ReadyReplicas = 3, 2
	_, err := f.Admin.UpdateStatus(d)
	require.NoError(t, err)

	orig := f.get("Deployment", "default", "web").(*appsv1.Deployment)
	d = orig.DeepCopy()
	d.Spec.Replicas = ptr.To(int32(4))
	d.Status = appsv1.DeploymentStatus{Replicas: 99}
	d.UID = "forged"
	d.CreationTimestamp = metav1.Time{}
	out, err := f.Admin.Update(d)
	require.NoError(t, err)
	got := out.(*appsv1.Deployment)
	require.Equal(t, int32(4), *got.Spec.Replicas)
	require.Equal(t, int32(3), got.Status.Replicas)
	require.Equal(t, int32(2), got.Status.ReadyReplicas)
	require.Equal(t, orig.UID, got.UID)
	require.Equal(t, orig.CreationTimestamp, got.CreationTimestamp)
	require.Equal(t, "update", f.last().Verb)
}

func TestUpdateStatusChangesOnlyStatus(t *testing.T) {
	f := newFixture(t, 1)
	f.create(newPod("p"))
	orig := f.pod("p")
	p := orig.DeepCopy()
	p.Labels = map[string]string{"x": "y"}
	p.Spec.Containers[0].Image = "other"
	p.Spec.NodeName = "n1"
	p.Status.Phase = corev1.PodFailed
	p.Status.Message = "boom"
	out, err := f.Admin.UpdateStatus(p)
	require.NoError(t, err)
	got := out.(*corev1.Pod)
	require.Equal(t, corev1.PodFailed, got.Status.Phase)
	require.Equal(t, "boom", got.Status.Message)
	require.Nil(t, got.Labels)
	require.Equal(t, orig.Spec, got.Spec)
	require.Equal(t, "status", f.last().Verb)
	// The previous version is untouched.
	require.Equal(t, corev1.PodPending, orig.Status.Phase, "pods are created Pending")
}

func TestUpdateConflicts(t *testing.T) {
	tests := []struct {
		name   string
		write  func(c *apiserver.Client, obj store.Object) (store.Object, error)
		verb   string
		status bool
	}{
		{"update", (*apiserver.Client).Update, "update", false},
		{"status", (*apiserver.Client).UpdateStatus, "status", true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, 1)
			f.create(newDeployment("web"))
			stale := f.get("Deployment", "default", "web").(*appsv1.Deployment).DeepCopy()
			// Someone else writes first.
			fresh := stale.DeepCopy()
			fresh.Labels = map[string]string{"v": "2"}
			_, err := f.Admin.Update(fresh)
			require.NoError(t, err)

			rev := f.Store.Rev()
			stale.Spec.Replicas = ptr.To(int32(7))
			stale.Status.Replicas = 7
			_, err = tc.write(f.Admin, stale)
			require.True(t, apierrors.IsConflict(err), "got %v", err)
			require.Equal(t, `Operation cannot be fulfilled on deployments.apps "web": the object has been modified; please apply your changes to the latest version and try again`, err.Error())
			require.Equal(t, rev, f.Store.Rev())

			// Without a resourceVersion the write is unconditional.
			stale.ResourceVersion = ""
			out, err := tc.write(f.Admin, stale)
			require.NoError(t, err)
			if tc.status {
				require.Equal(t, int32(7), out.(*appsv1.Deployment).Status.Replicas)
			} else {
				require.Equal(t, int32(7), *out.(*appsv1.Deployment).Spec.Replicas)
			}
			require.Equal(t, tc.verb, f.last().Verb)
		})
	}
}

func TestUpdateNotFound(t *testing.T) {
	f := newFixture(t, 1)
	_, err := f.Admin.Update(newDeployment("nope"))
	require.True(t, apierrors.IsNotFound(err))
	require.Equal(t, `deployments.apps "nope" not found`, err.Error())
	_, err = f.Admin.Get("Deployment", "default", "nope")
	require.Equal(t, `deployments.apps "nope" not found`, err.Error())
	_, err = f.Admin.Get("Widget", "default", "x")
	require.EqualError(t, err, `apiserver: unknown kind "Widget"`)
}

func TestDeleteUnboundPodIsImmediate(t *testing.T) {
	// finished binds the pod and ends it in phase.
	finished := func(phase corev1.PodPhase) func(f *fixture) {
		return func(f *fixture) {
			require.NoError(t, f.Admin.Bind("default", "p", "n1"))
			p := f.pod("p").DeepCopy()
			p.Status.Phase = phase
			_, err := f.Admin.UpdateStatus(p)
			require.NoError(t, err)
		}
	}
	tests := []struct {
		name  string
		setup func(f *fixture)
		opts  apiserver.DeleteOptions
	}{
		{"unbound", func(f *fixture) {}, apiserver.DeleteOptions{}},
		{"bound, grace 0", func(f *fixture) { require.NoError(t, f.Admin.Bind("default", "p", "n1")) },
			apiserver.DeleteOptions{GracePeriodSeconds: ptr.To(int64(0))}},
		{"bound, spec grace 0", func(f *fixture) {
			require.NoError(t, f.Admin.Bind("default", "p", "n1"))
			p := f.pod("p").DeepCopy()
			p.Spec.TerminationGracePeriodSeconds = ptr.To(int64(0))
			_, err := f.Admin.Update(p)
			require.NoError(t, err)
		}, apiserver.DeleteOptions{}},
		{"bound, succeeded", finished(corev1.PodSucceeded), apiserver.DeleteOptions{}},
		{"bound, failed", finished(corev1.PodFailed), apiserver.DeleteOptions{}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, 1)
			f.node("n1")
			f.create(newPod("p"))
			tc.setup(f)
			require.NoError(t, f.Server.Client("kubelet/n1").Delete("Pod", "default", "p", tc.opts))
			_, ok := f.Store.Get("Pod", "default", "p")
			require.False(t, ok)
			last := f.last()
			require.Equal(t, "remove", last.Verb)
			require.Equal(t, "kubelet/n1", last.Component)
			require.Equal(t, "Pod", last.Kind)
			require.Equal(t, "p", last.Name)
		})
	}
}

func TestDeleteBoundPodIsGraceful(t *testing.T) {
	f := newFixture(t, 1)
	f.node("n1")
	f.create(newPod("p"))
	require.NoError(t, f.Admin.Bind("default", "p", "n1"))
	at := func(s int) time.Time { return sim.Epoch.Add(time.Duration(s) * time.Second) }
	steps := []struct {
		name      string
		atSec     int
		grace     *int64
		wantTS    time.Time
		wantGrace int64
		wrote     bool
	}{
		{"default grace from spec", 10, nil, at(40), 30, true},
		{"repeat without grace is a no-op", 12, nil, at(40), 30, false},
		{"shorter grace shortens", 15, ptr.To(int64(10)), at(25), 10, true},
		{"longer grace does not lengthen", 16, ptr.To(int64(20)), at(25), 10, false},
		{"same grace is a no-op", 16, ptr.To(int64(10)), at(25), 10, false},
		// now+grace later than the current deadline: keep the earlier one.
		{"shorter grace, later deadline", 20, ptr.To(int64(8)), at(25), 8, true},
	}
	for _, s := range steps {
		f.Engine.RunUntil(time.Duration(s.atSec) * time.Second)
		rev := f.Store.Rev()
		require.NoError(t, f.Admin.Delete("Pod", "default", "p", apiserver.DeleteOptions{GracePeriodSeconds: s.grace}), s.name)
		p := f.pod("p")
		require.NotNil(t, p.DeletionTimestamp, s.name)
		require.True(t, p.DeletionTimestamp.Time.Equal(s.wantTS), "%s: got %v", s.name, p.DeletionTimestamp)
		require.Equal(t, s.wantGrace, *p.DeletionGracePeriodSeconds, s.name)
		if s.wrote {
			require.Equal(t, rev+1, f.Store.Rev(), s.name)
			require.Equal(t, "delete", f.last().Verb, s.name)
			require.Equal(t, "grace="+strconv.FormatInt(s.wantGrace, 10)+"s", f.last().Summary, s.name)
		} else {
			require.Equal(t, rev, f.Store.Rev(), s.name)
		}
	}
	// A status write keeps the deletion mark; a grace-0 delete finishes it.
	p := f.pod("p").DeepCopy()
	p.DeletionTimestamp = nil
	p.Status.Phase = corev1.PodRunning
	_, err := f.Admin.UpdateStatus(p)
	require.NoError(t, err)
	require.NotNil(t, f.pod("p").DeletionTimestamp)
	require.NoError(t, f.Admin.Delete("Pod", "default", "p", apiserver.DeleteOptions{GracePeriodSeconds: ptr.To(int64(0))}))
	_, ok := f.Store.Get("Pod", "default", "p")
	require.False(t, ok)
	require.Equal(t, "remove", f.last().Verb)
}

func TestDeleteBoundPodUsesSpecGrace(t *testing.T) {
	f := newFixture(t, 1)
	f.node("n1")
	p := newPod("p")
	p.Spec.TerminationGracePeriodSeconds = ptr.To(int64(5))
	f.create(p)
	require.NoError(t, f.Admin.Bind("default", "p", "n1"))
	f.advance(time.Minute)
	require.NoError(t, f.Admin.Delete("Pod", "default", "p", apiserver.DeleteOptions{}))
	got := f.pod("p")
	require.True(t, got.DeletionTimestamp.Time.Equal(sim.Epoch.Add(65*time.Second)))
	require.Equal(t, int64(5), *got.DeletionGracePeriodSeconds)
}

func TestDeleteErrors(t *testing.T) {
	f := newFixture(t, 1)
	err := f.Admin.Delete("Pod", "default", "nope", apiserver.DeleteOptions{})
	require.True(t, apierrors.IsNotFound(err))
	require.Equal(t, `pods "nope" not found`, err.Error())
	require.EqualError(t, f.Admin.Delete("Widget", "", "x", apiserver.DeleteOptions{}), `apiserver: unknown kind "Widget"`)
	// Cluster-scoped kinds ignore a namespace.
	f.node("n1")
	require.NoError(t, f.Admin.Delete("Node", "default", "n1", apiserver.DeleteOptions{}))
	_, ok := f.Store.Get("Node", "", "n1")
	require.False(t, ok)
}

func TestDeleteWithFinalizers(t *testing.T) {
	f := newFixture(t, 1)
	cm := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "cm", Namespace: "default", Finalizers: []string{"example.com/keep"}}}
	f.create(cm)
	f.advance(3 * time.Second)
	require.NoError(t, f.Admin.Delete("ConfigMap", "default", "cm", apiserver.DeleteOptions{}))
	got := f.get("ConfigMap", "default", "cm")
	require.True(t, got.GetDeletionTimestamp().Time.Equal(sim.Epoch.Add(3*time.Second)))
	require.Equal(t, int64(0), *got.GetDeletionGracePeriodSeconds())
	require.Equal(t, "delete", f.last().Verb)
	require.Equal(t, "finalizers=[example.com/keep]", f.last().Summary)

	// A second delete changes nothing.
	rev := f.Store.Rev()
	require.NoError(t, f.Admin.Delete("ConfigMap", "default", "cm", apiserver.DeleteOptions{}))
	require.Equal(t, rev, f.Store.Rev())

	// An update that keeps the finalizer keeps the object and its mark,
	// whatever the client sends.
	c := got.(*corev1.ConfigMap).DeepCopy()
	c.DeletionTimestamp = nil
	c.Data = map[string]string{"k": "v"}
	_, err := f.Admin.Update(c)
	require.NoError(t, err)
	require.NotNil(t, f.get("ConfigMap", "default", "cm").GetDeletionTimestamp())

	// Removing the last finalizer removes the object.
	c = f.get("ConfigMap", "default", "cm").(*corev1.ConfigMap).DeepCopy()
	c.Finalizers = nil
	_, err = f.Server.Client("some-controller").Update(c)
	require.NoError(t, err)
	_, ok := f.Store.Get("ConfigMap", "default", "cm")
	require.False(t, ok)
	require.Equal(t, "remove", f.last().Verb)
	require.Equal(t, "some-controller", f.last().Component)
}

func TestDeletePropagation(t *testing.T) {
	tests := []struct {
		name     string
		existing []string
		prop     metav1.DeletionPropagation
		want     []string // nil: removed at once
	}{
		{"background", nil, metav1.DeletePropagationBackground, nil},
		{"default is background", nil, "", nil},
		{"foreground", nil, metav1.DeletePropagationForeground, []string{"foregroundDeletion"}},
		{"orphan", nil, metav1.DeletePropagationOrphan, []string{"orphan"}},
		{"foreground keeps existing", []string{"example.com/keep"}, metav1.DeletePropagationForeground, []string{"example.com/keep", "foregroundDeletion"}},
		{"foreground twice", []string{"foregroundDeletion"}, metav1.DeletePropagationForeground, []string{"foregroundDeletion"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, 1)
			d := newDeployment("web")
			d.Finalizers = tc.existing
			f.create(d)
			require.NoError(t, f.Admin.Delete("Deployment", "default", "web", apiserver.DeleteOptions{Propagation: tc.prop}))
			o, ok := f.Store.Get("Deployment", "default", "web")
			if tc.want == nil {
				require.False(t, ok)
				return
			}
			require.True(t, ok)
			require.Equal(t, tc.want, o.GetFinalizers())
			require.NotNil(t, o.GetDeletionTimestamp())
		})
	}
}

func TestDeleteNamespace(t *testing.T) {
	f := newFixture(t, 1)
	f.create(&corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "team"}})
	f.advance(time.Second)
	require.NoError(t, f.Admin.Delete("Namespace", "", "team", apiserver.DeleteOptions{}))
	ns := f.get("Namespace", "", "team").(*corev1.Namespace)
	require.Equal(t, corev1.NamespaceTerminating, ns.Status.Phase)
	require.True(t, ns.DeletionTimestamp.Time.Equal(sim.Epoch.Add(time.Second)))
	require.Equal(t, "phase=Terminating", f.last().Summary)

	rev := f.Store.Rev()
	require.NoError(t, f.Admin.Delete("Namespace", "", "team", apiserver.DeleteOptions{}))
	require.Equal(t, rev, f.Store.Rev(), "second delete is a no-op")

	// An update does not remove a terminating namespace; the namespace
	// controller's FinalizeNamespace does.
	c := ns.DeepCopy()
	c.Annotations = map[string]string{"a": "b"}
	_, err := f.Admin.Update(c)
	require.NoError(t, err)
	require.Equal(t, corev1.NamespaceTerminating, f.get("Namespace", "", "team").(*corev1.Namespace).Status.Phase)
	require.NoError(t, f.Server.Client("namespace-controller").FinalizeNamespace("team"))
	_, ok := f.Store.Get("Namespace", "", "team")
	require.False(t, ok)
}

func TestBind(t *testing.T) {
	f := newFixture(t, 1)
	f.node("n1")
	f.create(newPod("p"))
	f.advance(2 * time.Second)
	sched := f.Server.Client("scheduler")
	require.NoError(t, sched.Bind("default", "p", "n1"))
	p := f.pod("p")
	require.Equal(t, "n1", p.Spec.NodeName)
	require.Len(t, p.Status.Conditions, 1)
	c := p.Status.Conditions[0]
	require.Equal(t, corev1.PodScheduled, c.Type)
	require.Equal(t, corev1.ConditionTrue, c.Status)
	require.True(t, c.LastTransitionTime.Time.Equal(sim.Epoch.Add(2*time.Second)))
	last := f.last()
	require.Equal(t, sim.Record{T: 2 * time.Second, Component: "scheduler", Verb: "bind", Kind: "Pod",
		Namespace: "default", Name: "p", RV: f.Store.Rev(), Summary: "node=n1"}, last)
	require.Len(t, f.Store.ByIndex("Pod", store.NodeNameIndex, "n1"), 1)

	tests := []struct {
		name, pod, node string
		check           func(error) bool
		want            string
	}{
		{"twice", "p", "n1", apierrors.IsConflict, `Operation cannot be fulfilled on pods/binding "p": pod p is already assigned to node "n1"`},
		{"missing node", "q", "n9", apierrors.IsNotFound, `nodes "n9" not found`},
		{"missing pod", "nope", "n1", apierrors.IsNotFound, `pods "nope" not found`},
	}
	f.create(newPod("q"))
	for _, tc := range tests {
		rev := f.Store.Rev()
		err := sched.Bind("default", tc.pod, tc.node)
		require.True(t, tc.check(err), "%s: %v", tc.name, err)
		require.Equal(t, tc.want, err.Error(), tc.name)
		require.Equal(t, rev, f.Store.Rev(), tc.name)
	}
	require.Equal(t, "", f.pod("q").Spec.NodeName)
}

// Bind replaces a False PodScheduled condition (left by a failed
// scheduling attempt) rather than adding a second one.
func TestBindReplacesUnschedulableCondition(t *testing.T) {
	f := newFixture(t, 1)
	f.node("n1")
	f.create(newPod("p"))
	p := f.pod("p").DeepCopy()
	p.Status.Conditions = []corev1.PodCondition{{Type: corev1.PodScheduled, Status: corev1.ConditionFalse, Reason: "Unschedulable", Message: "0/1 nodes are available"}}
	_, err := f.Admin.UpdateStatus(p)
	require.NoError(t, err)
	require.NoError(t, f.Admin.Bind("default", "p", "n1"))
	conds := f.pod("p").Status.Conditions
	require.Len(t, conds, 1)
	require.Equal(t, corev1.ConditionTrue, conds[0].Status)
	require.Equal(t, "", conds[0].Reason)
}

func TestScale(t *testing.T) {
	f := newFixture(t, 1)
	f.create(newDeployment("web"))
	rs := newDeployment("rs")
	f.create(&appsv1.ReplicaSet{ObjectMeta: rs.ObjectMeta, Spec: appsv1.ReplicaSetSpec{Selector: rs.Spec.Selector, Template: rs.Spec.Template}})
	f.create(newPod("p"))
	hpa := f.Server.Client("hpa")
	require.NoError(t, hpa.Scale("Deployment", "default", "web", 7))
	require.Equal(t, int32(7), *f.get("Deployment", "default", "web").(*appsv1.Deployment).Spec.Replicas)
	require.Equal(t, "hpa", f.last().Component)
	require.Equal(t, "scale", f.last().Verb)
	require.Equal(t, "replicas=7 current=0 ready=0 updated=0 available=0", f.last().Summary)
	require.NoError(t, hpa.Scale("ReplicaSet", "default", "rs", 0))
	require.Equal(t, int32(0), *f.get("ReplicaSet", "default", "rs").(*appsv1.ReplicaSet).Spec.Replicas)

	err := hpa.Scale("Pod", "default", "p", 2)
	require.True(t, apierrors.IsBadRequest(err))
	require.Equal(t, "Pod does not have a scale subresource", err.Error())
	err = hpa.Scale("Deployment", "default", "nope", 2)
	require.True(t, apierrors.IsNotFound(err))
	err = hpa.Scale("Deployment", "default", "web", -1)
	require.True(t, apierrors.IsInvalid(err))
}

func TestWriteGate(t *testing.T) {
	f := newFixture(t, 1)
	f.node("n1")
	f.create(newDeployment("web"))
	f.create(newPod("p"))
	f.create(newPod("bound"))
	require.NoError(t, f.Admin.Bind("default", "bound", "n1"))

	f.Server.WriteGate = func() error { return errors.New("etcdserver: request timed out") }
	writes := []struct {
		name string
		do   func() error
	}{
		{"create", func() error { _, err := f.Admin.Create(newPod("new")); return err }},
		{"update", func() error {
			d := f.get("Deployment", "default", "web").(*appsv1.Deployment).DeepCopy()
			d.Spec.Replicas = ptr.To(int32(3))
			_, err := f.Admin.Update(d)
			return err
		}},
		{"status", func() error {
			p := f.pod("p").DeepCopy()
			p.Status.Phase = corev1.PodRunning
			_, err := f.Admin.UpdateStatus(p)
			return err
		}},
		{"pod status", func() error {
			var r store.Ref
			p := *f.pod("p")
			p.Status.Phase = corev1.PodRunning
			_, err := f.Admin.UpdatePodStatus(&r, &p)
			return err
		}},
		{"delete", func() error { return f.Admin.Delete("Pod", "default", "p", apiserver.DeleteOptions{}) }},
		{"bind", func() error { return f.Admin.Bind("default", "p", "n1") }},
		{"scale", func() error { return f.Admin.Scale("Deployment", "default", "web", 4) }},
		{"evict", func() error { return f.Admin.Evict("default", "bound") }},
	}
	for _, w := range writes {
		rev, n := f.Store.Rev(), len(f.records())
		err := w.do()
		require.True(t, apierrors.IsTimeout(err), "%s: %v", w.name, err)
		require.Equal(t, "Timeout: etcdserver: request timed out", err.Error(), w.name)
		require.Equal(t, rev, f.Store.Rev(), "%s wrote", w.name)
		require.Len(t, f.records(), n, "%s traced", w.name)
	}
	_, ok := f.Store.Get("Pod", "default", "new")
	require.False(t, ok)
	require.Equal(t, "", f.pod("p").Spec.NodeName)

	// Quorum back: writes go through again.
	f.Server.WriteGate = func() error { return nil }
	f.create(newPod("new"))
	f.Server.WriteGate = nil
	require.NoError(t, f.Admin.Bind("default", "new", "n1"))
}

func TestTraceRecordsEveryWrite(t *testing.T) {
	f := newFixture(t, 1)
	f.create(&corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "kube-system"}})
	f.node("n1")
	start := len(f.records())
	rs := f.Server.Client("replicaset-controller")
	sched := f.Server.Client("scheduler")
	kubelet := f.Server.Client("kubelet/n1")

	_, err := rs.Create(newPod("p"))
	require.NoError(t, err)
	f.advance(time.Second)
	require.NoError(t, sched.Bind("default", "p", "n1"))
	p := f.pod("p").DeepCopy()
	p.Status.Phase = corev1.PodRunning
	p.Status.Conditions = append(p.Status.Conditions, corev1.PodCondition{Type: corev1.PodReady, Status: corev1.ConditionTrue})
	_, err = kubelet.UpdateStatus(p)
	require.NoError(t, err)
	p = f.pod("p").DeepCopy()
	p.Labels = map[string]string{"a": "b"}
	_, err = rs.Update(p)
	require.NoError(t, err)
	require.NoError(t, rs.Delete("Pod", "default", "p", apiserver.DeleteOptions{}))
	f.advance(30 * time.Second)
	require.NoError(t, kubelet.Delete("Pod", "default", "p", apiserver.DeleteOptions{GracePeriodSeconds: ptr.To(int64(0))}))

	type rec struct {
		t                time.Duration
		comp, verb, kind string
		summary          string
	}
	want := []rec{
		{0, "replicaset-controller", "create", "Pod", "phase=Pending"},
		{time.Second, "scheduler", "bind", "Pod", "node=n1"},
		{time.Second, "kubelet/n1", "status", "Pod", "phase=Running node=n1 ready"},
		{time.Second, "replicaset-controller", "update", "Pod", "phase=Running node=n1 ready"},
		{time.Second, "replicaset-controller", "delete", "Pod", "grace=30s"},
		{31 * time.Second, "kubelet/n1", "remove", "Pod", ""},
	}
	got := f.records()[start:]
	require.Len(t, got, len(want))
	prevRV := int64(0)
	for i, w := range want {
		g := got[i]
		require.Equal(t, w, rec{g.T, g.Component, g.Verb, g.Kind, g.Summary}, "record %d", i)
		require.Equal(t, "default", g.Namespace)
		require.Equal(t, "p", g.Name)
		require.Greater(t, g.RV, prevRV)
		prevRV = g.RV
	}
	require.Equal(t, f.Store.Rev(), prevRV)
}

func TestSummary(t *testing.T) {
	ready := corev1.PodCondition{Type: corev1.PodReady, Status: corev1.ConditionTrue}
	tests := []struct {
		name string
		obj  store.Object
		want string
	}{
		{"new pod", &corev1.Pod{}, "phase="},
		{"running pod", &corev1.Pod{Spec: corev1.PodSpec{NodeName: "n1"}, Status: corev1.PodStatus{Phase: corev1.PodRunning, Conditions: []corev1.PodCondition{ready}}},
			"phase=Running node=n1 ready"},
		{"waiting, terminating pod", &corev1.Pod{ObjectMeta: metav1.ObjectMeta{DeletionTimestamp: &metav1.Time{}},
			Status: corev1.PodStatus{Phase: corev1.PodPending, ContainerStatuses: []corev1.ContainerStatus{
				{State: corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: "ImagePullBackOff"}}}}}},
			"phase=Pending waiting=ImagePullBackOff terminating"},
		{"node without conditions", &corev1.Node{}, "ready=Unknown"},
		{"cordoned tainted node", &corev1.Node{Spec: corev1.NodeSpec{Unschedulable: true, Taints: []corev1.Taint{{Key: "k", Effect: corev1.TaintEffectNoSchedule}}},
			Status: corev1.NodeStatus{Conditions: []corev1.NodeCondition{{Type: corev1.NodeReady, Status: corev1.ConditionTrue}}}},
			"ready=True unschedulable taint=k:NoSchedule"},
		{"deployment", &appsv1.Deployment{Spec: appsv1.DeploymentSpec{Replicas: ptr.To(int32(3))},
			Status: appsv1.DeploymentStatus{Replicas: 3, ReadyReplicas: 2, UpdatedReplicas: 1, AvailableReplicas: 2}},
			"replicas=3 current=3 ready=2 updated=1 available=2"},
		{"replicaset without replicas", &appsv1.ReplicaSet{}, "replicas=1 current=0 ready=0 available=0"},
		{"daemonset", &appsv1.DaemonSet{Status: appsv1.DaemonSetStatus{DesiredNumberScheduled: 4, NumberReady: 3}}, "desired=4 ready=3"},
		{"namespace", &corev1.Namespace{Status: corev1.NamespaceStatus{Phase: corev1.NamespaceActive}}, "phase=Active"},
		{"configmap", &corev1.ConfigMap{}, ""},
		{"node with more taints than the stack buffer holds", &corev1.Node{Spec: corev1.NodeSpec{Taints: longTaints}},
			"ready=Unknown" + strings.Repeat(" taint="+strings.Repeat("k", 30)+":NoExecute", 5)},
	}
	for _, tc := range tests {
		require.Equal(t, tc.want, apiserver.Summary(tc.obj), tc.name)
	}
	running := tests[1].obj
	require.InDelta(t, 1, testing.AllocsPerRun(10, func() { apiserver.Summary(running) }), 0,
		"a summary is allocated once, at its size")
}

var longTaints = slices.Repeat([]corev1.Taint{{Key: strings.Repeat("k", 30), Effect: corev1.TaintEffectNoExecute}}, 5)

// TestUpdateStatusKeepsNoRequest: a status write stores a copy of the
// stored version carrying the request's status, and keeps nothing of the
// request itself. The ReplicaSet and Deployment controllers rely on it:
// they send each status write in one reused carrier holding only the
// name, namespace, resourceVersion and status.
func TestUpdateStatusKeepsNoRequest(t *testing.T) {
	f := newFixture(t, 1)
	d := f.create(newDeployment("web")).(*appsv1.Deployment)
	rs := newDeployment("web-1")
	f.create(&appsv1.ReplicaSet{ObjectMeta: metav1.ObjectMeta{Name: "web-1", Namespace: "default"},
		Spec: appsv1.ReplicaSetSpec{Replicas: rs.Spec.Replicas, Selector: rs.Spec.Selector, Template: rs.Spec.Template}})
	stored := f.get("ReplicaSet", "default", "web-1").(*appsv1.ReplicaSet)
	for _, req := range []store.Object{
		&appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Name: d.Name, Namespace: d.Namespace, ResourceVersion: d.ResourceVersion},
			Status: appsv1.DeploymentStatus{Replicas: 2, Conditions: []appsv1.DeploymentCondition{{Type: appsv1.DeploymentAvailable, Status: corev1.ConditionTrue}}}},
		&appsv1.ReplicaSet{ObjectMeta: metav1.ObjectMeta{Name: stored.Name, Namespace: stored.Namespace, ResourceVersion: stored.ResourceVersion},
			Status: appsv1.ReplicaSetStatus{Replicas: 2, ReadyReplicas: 1}},
	} {
		kind, name := store.MustKind(req), req.GetName()
		before := f.get(kind, "default", name)
		out, err := f.Admin.UpdateStatus(req)
		require.NoError(t, err)
		require.NotSame(t, req, out)
		got := f.get(kind, "default", name)
		require.Same(t, out, got)
		// Everything but the status (and the version) is the stored one's.
		require.Equal(t, before.GetLabels(), got.GetLabels())
		require.Equal(t, before.GetUID(), got.GetUID())
		require.NotEmpty(t, got.GetUID())
		want := reflect.ValueOf(req).Elem().FieldByName("Status").Interface()
		require.Equal(t, want, reflect.ValueOf(got).Elem().FieldByName("Status").Interface())
		require.Equal(t, reflect.ValueOf(before).Elem().FieldByName("Spec").Interface(), reflect.ValueOf(got).Elem().FieldByName("Spec").Interface())
		// The request is the caller's to reuse: clearing it changes nothing stored.
		reflect.ValueOf(req).Elem().Set(reflect.Zero(reflect.TypeOf(req).Elem()))
		require.Equal(t, want, reflect.ValueOf(f.get(kind, "default", name)).Elem().FieldByName("Status").Interface())
	}
}

// BindRef binds the pod its Ref holds and returns it as stored; a Ref on
// a pod deleted and created again under its name binds the new pod, and
// a second bind through the same Ref is refused as Bind refuses it.
// TestUpdatePodStatus: a pod built as the stored version with a new
// status is stored itself, exactly as UpdateStatus would store a copy of
// the stored pod with that status; one built from another pod of the
// name or from an older version is a conflict, and one of no stored pod
// is not found.
func TestUpdatePodStatus(t *testing.T) {
	f := newFixture(t, 1)
	f.create(newPod("p"))
	first := f.pod("p")
	var r store.Ref
	built := *first
	built.Status = corev1.PodStatus{Phase: corev1.PodRunning, PodIP: "10.0.0.1"}
	out, err := f.Admin.UpdatePodStatus(&r, &built)
	require.NoError(t, err)
	require.Same(t, &built, out, "stored itself")
	require.Same(t, out, f.pod("p"))
	require.Equal(t, "status", f.last().Verb)
	require.Equal(t, strconv.FormatInt(f.Store.Rev(), 10), out.ResourceVersion)
	require.Equal(t, corev1.PodPending, first.Status.Phase, "the version before is untouched")

	// The same write through UpdateStatus stores the same pod.
	via := first.DeepCopy()
	via.Status, via.ResourceVersion = built.Status, ""
	want, err := f.Admin.UpdateStatus(via)
	require.NoError(t, err)
	got := out.DeepCopy()
	got.ResourceVersion = want.GetResourceVersion()
	require.Equal(t, want, got)

	stored := f.pod("p")
	other := *stored
	other.UID = "another"
	older := *first
	gone := *stored
	gone.Name = "gone"
	tests := []struct {
		name string
		ref  store.Ref
		pod  *corev1.Pod
		is   func(error) bool
	}{
		{"another pod of the name", r, &other, apierrors.IsConflict},
		{"an older version", r, &older, apierrors.IsConflict},
		{"no such pod", store.Ref{}, &gone, apierrors.IsNotFound},
	}
	for _, tt := range tests {
		rev, n := f.Store.Rev(), len(f.records())
		_, err := f.Admin.UpdatePodStatus(&tt.ref, tt.pod)
		require.True(t, tt.is(err), "%s: %v", tt.name, err)
		require.Equal(t, rev, f.Store.Rev(), "%s wrote", tt.name)
		require.Len(t, f.records(), n, "%s traced", tt.name)
		require.Same(t, stored, f.pod("p"), tt.name)
	}
}

func TestBindRef(t *testing.T) {
	f := newFixture(t, 1)
	f.node("n1")
	first := f.create(newPod("p"))
	var r store.Ref
	_, ok := f.Store.Follow(&r, "Pod", "default", "p")
	require.True(t, ok)
	require.NoError(t, f.Admin.Delete("Pod", "default", "p", apiserver.DeleteOptions{GracePeriodSeconds: ptr.To[int64](0)}))
	second := f.create(newPod("p"))
	require.NotEqual(t, first.GetUID(), second.GetUID())

	var n1 store.Ref
	bound, err := f.Admin.BindRef(&r, "default", "p", &n1, "n1")
	require.NoError(t, err)
	require.Same(t, f.pod("p"), bound)
	require.Equal(t, second.GetUID(), bound.UID)
	require.Equal(t, "n1", bound.Spec.NodeName)
	require.Equal(t, "bind", f.last().Verb)

	_, err = f.Admin.BindRef(&r, "default", "p", &n1, "n1")
	require.True(t, apierrors.IsConflict(err), err)
	_, err = f.Admin.BindRef(&r, "default", "missing", &n1, "n1")
	require.True(t, apierrors.IsConflict(err), "a live Ref is the pod it holds: %v", err)
	var none store.Ref
	_, err = f.Admin.BindRef(&none, "default", "missing", &n1, "n1")
	require.True(t, apierrors.IsNotFound(err), err)
}

// TestBindRefNodeRef: the node handle is the node while it exists; once
// the node is deleted the binding is refused, and a node created again
// under the name is found by name.
func TestBindRefNodeRef(t *testing.T) {
	f := newFixture(t, 1)
	f.node("n1")
	f.create(newPod("p"))
	f.create(newPod("q"))
	var n1 store.Ref
	_, ok := f.Store.Follow(&n1, "Node", "", "n1")
	require.True(t, ok)
	require.NoError(t, f.Admin.Delete("Node", "", "n1", apiserver.DeleteOptions{}))

	var p, q store.Ref
	_, err := f.Admin.BindRef(&p, "default", "p", &n1, "n1")
	require.True(t, apierrors.IsNotFound(err), "a dead node handle: %v", err)
	require.Empty(t, f.pod("p").Spec.NodeName)

	f.node("n1")
	bound, err := f.Admin.BindRef(&p, "default", "p", &n1, "n1")
	require.NoError(t, err)
	require.Equal(t, "n1", bound.Spec.NodeName)
	var other store.Ref // a zero handle: the name is looked up, and there is no n2
	_, err = f.Admin.BindRef(&q, "default", "q", &other, "n2")
	require.True(t, apierrors.IsNotFound(err), err)
}
