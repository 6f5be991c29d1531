package kubeapi

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	quantity "k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/utils/ptr"
)

func configMap(name string, labels map[string]string) *corev1.ConfigMap {
	return &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: labels}, Data: map[string]string{"k": "v"}}
}

func deployment(name string, replicas int32) *appsv1.Deployment {
	labels := map[string]string{"app": name}
	return &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec: appsv1.DeploymentSpec{
			Replicas: ptr.To(replicas),
			Selector: &metav1.LabelSelector{MatchLabels: labels},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: labels},
				Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "main", Image: "nginx:1.27",
					Resources: corev1.ResourceRequirements{Requests: corev1.ResourceList{
						corev1.ResourceCPU: quantity.MustParse("100m"), corev1.ResourceMemory: quantity.MustParse("64Mi")}}}}},
			},
		},
	}
}

func TestCRUDConflictsAndNotFound(t *testing.T) {
	f := newFixture(t, fixtureOpts{})
	ctx := context.Background()
	cms := f.client.CoreV1().ConfigMaps("default")

	created, err := cms.Create(ctx, configMap("settings", map[string]string{"team": "a"}), metav1.CreateOptions{})
	require.NoError(t, err)
	require.NotEmpty(t, created.UID)
	require.NotEmpty(t, created.ResourceVersion)

	_, err = cms.Create(ctx, configMap("settings", nil), metav1.CreateOptions{})
	require.True(t, apierrors.IsAlreadyExists(err), "got %v", err)

	got, err := cms.Get(ctx, "settings", metav1.GetOptions{})
	require.NoError(t, err)
	require.Equal(t, "v", got.Data["k"])

	fresh := got.DeepCopy()
	fresh.Data["k"] = "w"
	updated, err := cms.Update(ctx, fresh, metav1.UpdateOptions{})
	require.NoError(t, err)
	require.NotEqual(t, got.ResourceVersion, updated.ResourceVersion)

	stale := got.DeepCopy() // still carries the old resourceVersion
	stale.Data["k"] = "x"
	_, err = cms.Update(ctx, stale, metav1.UpdateOptions{})
	require.True(t, apierrors.IsConflict(err), "a stale resourceVersion conflicts, got %v", err)

	patched, err := cms.Patch(ctx, "settings", types.MergePatchType, []byte(`{"data":{"extra":"1"}}`), metav1.PatchOptions{})
	require.NoError(t, err)
	require.Equal(t, map[string]string{"k": "w", "extra": "1"}, patched.Data)

	dry, err := cms.Create(ctx, configMap("dry", nil), metav1.CreateOptions{DryRun: []string{metav1.DryRunAll}})
	require.NoError(t, err)
	require.Equal(t, "dry", dry.Name)
	_, err = cms.Get(ctx, "dry", metav1.GetOptions{})
	require.True(t, apierrors.IsNotFound(err), "dry-run writes nothing")

	require.NoError(t, cms.Delete(ctx, "settings", metav1.DeleteOptions{}))
	_, err = cms.Get(ctx, "settings", metav1.GetOptions{})
	require.True(t, apierrors.IsNotFound(err), "got %v", err)
	err = cms.Delete(ctx, "settings", metav1.DeleteOptions{})
	require.True(t, apierrors.IsNotFound(err), "got %v", err)
}

func TestWorkloadsScaleAndSelectors(t *testing.T) {
	f := newFixture(t, fixtureOpts{})
	ctx := context.Background()
	deps := f.client.AppsV1().Deployments("default")
	_, err := deps.Create(ctx, deployment("web", 3), metav1.CreateOptions{})
	require.NoError(t, err)
	require.NoError(t, f.sess.RunFor(time.Minute))

	pods, err := f.client.CoreV1().Pods("default").List(ctx, metav1.ListOptions{LabelSelector: "app=web"})
	require.NoError(t, err)
	require.Len(t, pods.Items, 3)
	for _, p := range pods.Items {
		require.Equal(t, corev1.PodRunning, p.Status.Phase)
	}

	sc, err := deps.GetScale(ctx, "web", metav1.GetOptions{})
	require.NoError(t, err)
	require.EqualValues(t, 3, sc.Spec.Replicas)
	require.Equal(t, "app=web", sc.Status.Selector)
	sc.Spec.Replicas = 5
	_, err = deps.UpdateScale(ctx, "web", sc, metav1.UpdateOptions{})
	require.NoError(t, err)
	_, err = deps.Patch(ctx, "web", types.StrategicMergePatchType,
		[]byte(`{"spec":{"template":{"spec":{"containers":[{"name":"main","image":"nginx:1.28"}]}}}}`), metav1.PatchOptions{})
	require.NoError(t, err)
	require.NoError(t, f.sess.RunFor(2*time.Minute))
	d, err := deps.Get(ctx, "web", metav1.GetOptions{})
	require.NoError(t, err)
	require.EqualValues(t, 5, *d.Spec.Replicas)
	require.Equal(t, "nginx:1.28", d.Spec.Template.Spec.Containers[0].Image, "the strategic merge patch kept the container, changed the image")
	require.EqualValues(t, 5, d.Status.UpdatedReplicas)

	// Field selectors: a node's pods are exactly those with its nodeName.
	all, err := f.client.CoreV1().Pods("").List(ctx, metav1.ListOptions{})
	require.NoError(t, err)
	want := 0
	for _, p := range all.Items {
		if p.Spec.NodeName == "general-1" {
			want++
		}
	}
	require.NotZero(t, want)
	onNode, err := f.client.CoreV1().Pods("").List(ctx, metav1.ListOptions{FieldSelector: "spec.nodeName=general-1,status.phase!=Failed"})
	require.NoError(t, err)
	require.Len(t, onNode.Items, want)
	_, err = f.client.CoreV1().Pods("").List(ctx, metav1.ListOptions{FieldSelector: "spec.bogus=1"})
	require.True(t, apierrors.IsBadRequest(err), "got %v", err)

	// Paging returns every pod exactly once.
	var paged []string
	opts := metav1.ListOptions{Limit: 4}
	for {
		page, err := f.client.CoreV1().Pods("").List(ctx, opts)
		require.NoError(t, err)
		require.LessOrEqual(t, len(page.Items), 4)
		for _, p := range page.Items {
			paged = append(paged, p.Namespace+"/"+p.Name)
		}
		if page.Continue == "" {
			break
		}
		opts.Continue = page.Continue
	}
	var full []string
	for _, p := range all.Items {
		full = append(full, p.Namespace+"/"+p.Name)
	}
	require.Equal(t, full, paged)
}

func TestWatchContinuityAcrossWrites(t *testing.T) {
	f := newFixture(t, fixtureOpts{})
	ctx := context.Background()
	cms := f.client.CoreV1().ConfigMaps("default")
	list, err := cms.List(ctx, metav1.ListOptions{})
	require.NoError(t, err)
	w, err := cms.Watch(ctx, metav1.ListOptions{ResourceVersion: list.ResourceVersion, LabelSelector: "w=1"})
	require.NoError(t, err)
	defer w.Stop()

	for _, n := range []string{"a", "b", "c"} {
		_, err := cms.Create(ctx, configMap(n, map[string]string{"w": "1"}), metav1.CreateOptions{})
		require.NoError(t, err)
	}
	_, err = cms.Create(ctx, configMap("other", nil), metav1.CreateOptions{}) // not selected
	require.NoError(t, err)
	_, err = cms.Patch(ctx, "b", types.MergePatchType, []byte(`{"data":{"k":"2"}}`), metav1.PatchOptions{})
	require.NoError(t, err)
	_, err = cms.Patch(ctx, "c", types.MergePatchType, []byte(`{"metadata":{"labels":{"w":"0"}}}`), metav1.PatchOptions{})
	require.NoError(t, err)
	require.NoError(t, cms.Delete(ctx, "a", metav1.DeleteOptions{}))

	want := []struct {
		typ  watch.EventType
		name string
	}{{watch.Added, "a"}, {watch.Added, "b"}, {watch.Added, "c"}, {watch.Modified, "b"}, {watch.Deleted, "c"}, {watch.Deleted, "a"}}
	last := int64(0)
	for i, wnt := range want {
		select {
		case ev := <-w.ResultChan():
			cm, ok := ev.Object.(*corev1.ConfigMap)
			require.True(t, ok, "event %d: %T", i, ev.Object)
			require.Equal(t, wnt.typ, ev.Type, "event %d", i)
			require.Equal(t, wnt.name, cm.Name, "event %d", i)
			rv := mustInt(t, cm.ResourceVersion)
			require.Greater(t, rv, last, "resourceVersions increase")
			last = rv
		case <-time.After(5 * time.Second):
			t.Fatalf("event %d (%v %s) never came", i, wnt.typ, wnt.name)
		}
	}

	// A watch resumed from the middle replays only what came after.
	w2, err := cms.Watch(ctx, metav1.ListOptions{ResourceVersion: list.ResourceVersion, LabelSelector: "w=1"})
	require.NoError(t, err)
	defer w2.Stop()
	ev := <-w2.ResultChan()
	require.Equal(t, watch.Added, ev.Type)
	require.Equal(t, "a", ev.Object.(*corev1.ConfigMap).Name)

	// History older than the watch cache is gone: 410, and client-go re-lists.
	_, err = cms.Watch(ctx, metav1.ListOptions{ResourceVersion: "1"})
	require.True(t, apierrors.IsResourceExpired(err) || apierrors.IsGone(err), "got %v", err)
}

func TestSlowWatcherExpiresInsteadOfBlocking(t *testing.T) {
	h := newHub(2)
	w := &watcher{kind: "ConfigMap", ch: make(chan watchItem, 2), gone: make(chan struct{})}
	h.add(w)
	cm := configMap("a", nil)
	for i := 0; i < 5; i++ {
		h.watchers["ConfigMap"][0].offer(storeEvent(cm, int64(i+1)), time.Time{})
	}
	require.True(t, w.expired, "a full buffer expires the watch")
	select {
	case <-w.gone:
	default:
		t.Fatal("gone is closed")
	}
	require.Len(t, w.ch, 2, "the events before the overflow are still delivered")
}

func TestDeleteCollectionAndGracefulPodDelete(t *testing.T) {
	f := newFixture(t, fixtureOpts{})
	ctx := context.Background()
	cms := f.client.CoreV1().ConfigMaps("default")
	for _, n := range []string{"x1", "x2", "keep"} {
		l := map[string]string{"del": "yes"}
		if n == "keep" {
			l = nil
		}
		_, err := cms.Create(ctx, configMap(n, l), metav1.CreateOptions{})
		require.NoError(t, err)
	}
	require.NoError(t, cms.DeleteCollection(ctx, metav1.DeleteOptions{}, metav1.ListOptions{LabelSelector: "del=yes"}))
	left, err := cms.List(ctx, metav1.ListOptions{})
	require.NoError(t, err)
	var names []string
	for _, c := range left.Items {
		names = append(names, c.Name)
	}
	require.Contains(t, names, "keep")
	require.NotContains(t, names, "x1")
	require.NotContains(t, names, "x2")

	_, err = f.client.AppsV1().Deployments("default").Create(ctx, deployment("web", 1), metav1.CreateOptions{})
	require.NoError(t, err)
	require.NoError(t, f.sess.RunFor(time.Minute))
	pods, err := f.client.CoreV1().Pods("default").List(ctx, metav1.ListOptions{LabelSelector: "app=web"})
	require.NoError(t, err)
	require.Len(t, pods.Items, 1)
	name := pods.Items[0].Name
	require.NoError(t, f.client.CoreV1().Pods("default").Delete(ctx, name, metav1.DeleteOptions{}))
	p, err := f.client.CoreV1().Pods("default").Get(ctx, name, metav1.GetOptions{})
	require.NoError(t, err, "a running pod terminates gracefully")
	require.NotNil(t, p.DeletionTimestamp)
	require.NoError(t, f.sess.RunFor(time.Minute))
	_, err = f.client.CoreV1().Pods("default").Get(ctx, name, metav1.GetOptions{})
	require.True(t, apierrors.IsNotFound(err), "the kubelet finished the deletion, got %v", err)
}
