package statefulset_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/ptr"

	"github.com/kubesim/kubesim/sim/apiserver"
	"github.com/kubesim/kubesim/sim/cluster"
	"github.com/kubesim/kubesim/sim/controllers/controllertest"
	"github.com/kubesim/kubesim/sim/controllers/controllerutil/fake"
	"github.com/kubesim/kubesim/sim/podutil"
	"github.com/kubesim/kubesim/sim/store"
)

func newSet(name string, replicas int32, policy appsv1.PodManagementPolicyType) *appsv1.StatefulSet {
	l := map[string]string{"app": name}
	return &appsv1.StatefulSet{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "default"},
		Spec: appsv1.StatefulSetSpec{
			Replicas: &replicas, ServiceName: name, PodManagementPolicy: policy,
			Selector: &metav1.LabelSelector{MatchLabels: l},
			Template: fake.Template(l, "nginx:1.27"),
		},
	}
}

// history records, per pod incarnation (UID), when it was created, first
// became Ready, got a deletionTimestamp and disappeared.
type history struct {
	name                                 map[types.UID]string
	created, ready, terminating, deleted map[types.UID]time.Duration
	order                                []types.UID
}

func watch(c *cluster.Cluster) *history {
	h := &history{name: map[types.UID]string{}, created: map[types.UID]time.Duration{}, ready: map[types.UID]time.Duration{},
		terminating: map[types.UID]time.Duration{}, deleted: map[types.UID]time.Duration{}}
	c.Store.Watch("Pod", 0, func(ev store.Event) {
		p, now := ev.Object.(*corev1.Pod), c.Engine.Elapsed()
		if _, ok := h.name[p.UID]; !ok {
			h.name[p.UID] = p.Name
			h.created[p.UID] = now
			h.order = append(h.order, p.UID)
		}
		set := func(m map[types.UID]time.Duration, cond bool) {
			if _, ok := m[p.UID]; !ok && cond {
				m[p.UID] = now
			}
		}
		set(h.ready, podutil.IsReady(p))
		set(h.terminating, p.DeletionTimestamp != nil)
		set(h.deleted, ev.Type == store.Deleted)
	})
	return h
}

// uid is the UID of the n-th incarnation (0-based) of a pod name.
func (h *history) uid(t *testing.T, name string, n int) types.UID {
	for _, u := range h.order {
		if h.name[u] == name {
			if n == 0 {
				return u
			}
			n--
		}
	}
	t.Fatalf("no incarnation of %s", name)
	return ""
}

func getSet(t *testing.T, c *cluster.Cluster, name string) *appsv1.StatefulSet {
	return fake.Get[*appsv1.StatefulSet](t, c.Store, "StatefulSet", name)
}

func getPod(c *cluster.Cluster, name string) (*corev1.Pod, bool) {
	o, ok := c.Store.Get("Pod", "default", name)
	if !ok {
		return nil, false
	}
	return o.(*corev1.Pod), true
}

func create(t *testing.T, c *cluster.Cluster, set *appsv1.StatefulSet) {
	_, err := c.Client("test").Create(set)
	require.NoError(t, err)
}

// runUntilReady runs until the set reports want ready, up-to-date pods.
// readySet is a two-node cluster, watched from the start, whose
// StatefulSet set is created and run until all its replicas are Ready.
func readySet(t *testing.T, set *appsv1.StatefulSet) (*cluster.Cluster, *history) {
	c := controllertest.Cluster(t, 2)
	h := watch(c)
	create(t, c, set)
	runUntilReady(t, c, set.Name, *set.Spec.Replicas)
	return c, h
}

func runUntilReady(t *testing.T, c *cluster.Cluster, name string, want int32) {
	ok := c.Engine.RunWhile(c.Engine.Elapsed()+5*time.Minute, func() bool {
		s := getSet(t, c, name)
		return !(s.Status.ReadyReplicas == want && s.Status.Replicas == want && s.Status.UpdatedReplicas == want &&
			s.Status.CurrentRevision == s.Status.UpdateRevision)
	})
	require.True(t, ok, "timed out: %+v", getSet(t, c, name).Status)
}

func events(t *testing.T, c *cluster.Cluster, set string) []string {
	var out []string
	for _, o := range c.Store.List("Event", "default") {
		e := o.(*corev1.Event)
		if e.InvolvedObject.Kind == "StatefulSet" && e.InvolvedObject.Name == set {
			out = append(out, e.Reason+": "+e.Message)
		}
	}
	return out
}

func TestOrderedCreation(t *testing.T) {
	c, h := readySet(t, newSet("web", 3, ""))

	names := []string{"web-0", "web-1", "web-2"}
	for i, n := range names {
		u := h.uid(t, n, 0)
		require.Contains(t, h.ready, u)
		if i > 0 {
			prev := h.uid(t, names[i-1], 0)
			require.Greater(t, h.created[u], h.created[prev], "%s created after %s", n, names[i-1])
			require.GreaterOrEqual(t, h.created[u], h.ready[prev], "%s created only once %s is Ready", n, names[i-1])
		}
		p, ok := getPod(c, n)
		require.True(t, ok)
		require.Equal(t, n, p.Spec.Hostname)
		require.Equal(t, "web", p.Spec.Subdomain)
		require.Equal(t, n, p.Labels[appsv1.StatefulSetPodNameLabel])
		require.Equal(t, "web", p.Labels["app"], "template labels kept")
		require.Equal(t, string(rune('0'+i)), p.Labels[appsv1.PodIndexLabel])
		require.Equal(t, getSet(t, c, "web").Status.UpdateRevision, p.Labels[appsv1.StatefulSetRevisionLabel])
	}
	s := getSet(t, c, "web")
	require.Equal(t, int64(1), s.Status.ObservedGeneration)
	require.Equal(t, int32(3), s.Status.CurrentReplicas)
	require.Equal(t, int32(3), s.Status.AvailableReplicas)
	require.Regexp(t, `^web-[a-z0-9]+$`, s.Status.CurrentRevision)
	_, ok := c.Store.Get("ControllerRevision", "default", s.Status.CurrentRevision)
	require.True(t, ok, "revision object exists")
	require.Contains(t, events(t, c, "web"), "SuccessfulCreate: create Pod web-0 in StatefulSet web successful")
	require.Contains(t, events(t, c, "web"), "SuccessfulCreate: create Pod web-2 in StatefulSet web successful")
}

func TestScaleDownFromTheTop(t *testing.T) {
	c, h := readySet(t, newSet("web", 3, ""))
	require.NoError(t, c.Client("test").Scale("StatefulSet", "default", "web", 1))
	runUntilReady(t, c, "web", 1)

	w1, w2 := h.uid(t, "web-1", 0), h.uid(t, "web-2", 0)
	require.Contains(t, h.deleted, w2)
	require.Contains(t, h.deleted, w1)
	require.GreaterOrEqual(t, h.terminating[w1], h.deleted[w2], "web-1 deleted only after web-2 is gone")
	_, ok := getPod(c, "web-0")
	require.True(t, ok)
	require.Contains(t, events(t, c, "web"), "SuccessfulDelete: delete Pod web-2 in StatefulSet web successful")
}

func TestParallelCreatesAllAtOnce(t *testing.T) {
	_, h := readySet(t, newSet("web", 3, appsv1.ParallelPodManagement))
	t0 := h.created[h.uid(t, "web-0", 0)]
	for _, n := range []string{"web-1", "web-2"} {
		require.Equal(t, t0, h.created[h.uid(t, n, 0)], n)
	}
	require.Less(t, t0, h.ready[h.uid(t, "web-0", 0)], "created before any is Ready")
}

func TestDeletedPodComesBackWithSameName(t *testing.T) {
	c, h := readySet(t, newSet("web", 3, ""))
	before, _ := getPod(c, "web-1")
	require.NoError(t, c.Client("test").Delete("Pod", "default", "web-1", apiserver.DeleteOptions{}))
	p, ok := getPod(c, "web-1")
	require.True(t, ok)
	require.Equal(t, before.UID, p.UID, "web-1 terminating, not yet replaced")
	require.NotNil(t, p.DeletionTimestamp)
	ok = c.Engine.RunWhile(c.Engine.Elapsed()+5*time.Minute, func() bool {
		q, ok := getPod(c, "web-1")
		return !ok || q.UID == before.UID || !podutil.IsReady(q)
	})
	require.True(t, ok, "web-1 recreated and Ready")
	runUntilReady(t, c, "web", 3)
	old, cur := h.uid(t, "web-1", 0), h.uid(t, "web-1", 1)
	require.NotEqual(t, old, cur)
	require.GreaterOrEqual(t, h.created[cur], h.deleted[old], "recreated only after the old pod is gone")
	require.Greater(t, h.deleted[old], h.terminating[old], "graceful termination took time")
}

func TestRollingUpdateWithPartition(t *testing.T) {
	c, h := readySet(t, newSet("web", 3, ""))
	rev1 := getSet(t, c, "web").Status.CurrentRevision

	s := getSet(t, c, "web").DeepCopy()
	s.Spec.Template.Spec.Containers[0].Image = "nginx:1.28"
	s.Spec.UpdateStrategy.RollingUpdate = &appsv1.RollingUpdateStatefulSetStrategy{Partition: ptr.To(int32(1))}
	_, err := c.Client("test").Update(s)
	require.NoError(t, err)
	c.Engine.RunWhile(c.Engine.Elapsed()+5*time.Minute, func() bool {
		st := getSet(t, c, "web").Status
		return !(st.UpdatedReplicas == 2 && st.ReadyReplicas == 3)
	})
	st := getSet(t, c, "web").Status
	require.Equal(t, int32(2), st.UpdatedReplicas)
	require.Equal(t, int32(1), st.CurrentReplicas)
	require.Equal(t, rev1, st.CurrentRevision, "partition holds the rollout")
	require.NotEqual(t, rev1, st.UpdateRevision)
	w0, _ := getPod(c, "web-0")
	require.Equal(t, rev1, w0.Labels[appsv1.StatefulSetRevisionLabel])
	require.Equal(t, "nginx:1.27", w0.Spec.Containers[0].Image)
	for _, n := range []string{"web-1", "web-2"} {
		p, _ := getPod(c, n)
		require.Equal(t, st.UpdateRevision, p.Labels[appsv1.StatefulSetRevisionLabel], n)
		require.Equal(t, "nginx:1.28", p.Spec.Containers[0].Image, n)
	}
	old1, old2, new2 := h.uid(t, "web-1", 0), h.uid(t, "web-2", 0), h.uid(t, "web-2", 1)
	require.Less(t, h.terminating[old2], h.terminating[old1], "highest ordinal first")
	require.GreaterOrEqual(t, h.terminating[old1], h.ready[new2], "web-1 waits for the new web-2 to be Ready")

	s = getSet(t, c, "web").DeepCopy()
	s.Spec.UpdateStrategy.RollingUpdate.Partition = ptr.To(int32(0))
	_, err = c.Client("test").Update(s)
	require.NoError(t, err)
	runUntilReady(t, c, "web", 3)
	st = getSet(t, c, "web").Status
	require.NotEqual(t, rev1, st.CurrentRevision, "rollout complete")
	require.Equal(t, int32(3), st.CurrentReplicas)
	w0, _ = getPod(c, "web-0")
	require.Equal(t, "nginx:1.28", w0.Spec.Containers[0].Image)
}

func TestNodeFailureLeavesPodTerminating(t *testing.T) {
	c, h := readySet(t, newSet("db", 2, ""))
	p, _ := getPod(c, "db-0")
	require.NoError(t, c.FailNode(p.Spec.NodeName))
	c.Engine.RunUntil(c.Engine.Elapsed() + 15*time.Minute)

	p2, ok := getPod(c, "db-0")
	require.True(t, ok, "pod object remains")
	require.Equal(t, p.UID, p2.UID, "not replaced")
	require.NotNil(t, p2.DeletionTimestamp, "Terminating")
	require.NotContains(t, h.deleted, p.UID)

	require.NoError(t, c.Client("test").Delete("Pod", "default", "db-0", apiserver.DeleteOptions{GracePeriodSeconds: ptr.To(int64(0))}))
	c.Engine.RunUntil(c.Engine.Elapsed() + 2*time.Minute)
	p3, ok := getPod(c, "db-0")
	require.True(t, ok, "force delete lets the controller recreate it")
	require.NotEqual(t, p.UID, p3.UID)
	require.True(t, podutil.IsReady(p3))
}

func TestOnDeleteWaitsForManualDeletion(t *testing.T) {
	c := controllertest.Cluster(t, 2)
	set := newSet("web", 2, appsv1.ParallelPodManagement)
	set.Spec.UpdateStrategy = appsv1.StatefulSetUpdateStrategy{Type: appsv1.OnDeleteStatefulSetStrategyType}
	create(t, c, set)
	runUntilReady(t, c, "web", 2)
	s := getSet(t, c, "web").DeepCopy()
	s.Spec.Template.Spec.Containers[0].Image = "nginx:1.28"
	_, err := c.Client("test").Update(s)
	require.NoError(t, err)
	c.Engine.RunUntil(c.Engine.Elapsed() + 2*time.Minute)
	st := getSet(t, c, "web").Status
	require.Equal(t, int32(0), st.UpdatedReplicas, "nothing rolled")
	require.NotEqual(t, st.CurrentRevision, st.UpdateRevision)

	require.NoError(t, c.Client("test").Delete("Pod", "default", "web-1", apiserver.DeleteOptions{}))
	c.Engine.RunWhile(c.Engine.Elapsed()+2*time.Minute, func() bool { return getSet(t, c, "web").Status.UpdatedReplicas < 1 })
	c.Engine.RunUntil(c.Engine.Elapsed() + 30*time.Second)
	p1, _ := getPod(c, "web-1")
	p0, _ := getPod(c, "web-0")
	require.Equal(t, "nginx:1.28", p1.Spec.Containers[0].Image)
	require.Equal(t, "nginx:1.27", p0.Spec.Containers[0].Image)
	require.Equal(t, int32(1), getSet(t, c, "web").Status.UpdatedReplicas)
}
