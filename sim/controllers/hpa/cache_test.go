package hpa

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kubesim/kubesim/sim/apiserver"
	"github.com/kubesim/kubesim/sim/apiserver/apiservertest"
)

func cachePod(ns, name, app, cpu string) *corev1.Pod {
	return &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns, Labels: map[string]string{"app": app}},
		Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "main", Image: "nginx", Resources: corev1.ResourceRequirements{
			Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse(cpu)}}}}}}
}

// TestKeptListingsAgreeWithSelect pins the listing cache: after every
// kind of pod change (create, status, labels in and out of the selector,
// a pod elsewhere, graceful and final deletion, a new selector) the views
// podsOf returns are exactly those of a fresh store.Select, and a change
// to no selected pod keeps the listing.
func TestKeptListingsAgreeWithSelect(t *testing.T) {
	w := apiservertest.NewWorld(1, "default", "other")
	c := New(w.Engine, w.Server.Client(Name), Config{})
	web := &metav1.LabelSelector{MatchLabels: map[string]string{"app": "web"}}
	tgt, err := c.targetOf("default/h", "default", web)
	require.NoError(t, err)
	api := w.Admin

	check := func(step string, wantKept bool) {
		t.Helper()
		kept := tgt.listed
		got := c.podsOf(tgt)
		var want []podView
		for _, o := range w.Store.Select("Pod", "default", tgt.sel) {
			want = append(want, newPodView(o.(*corev1.Pod), ""))
		}
		require.Equal(t, want, got, step)
		require.Equal(t, wantKept, kept, "%s: listing kept", step)
		require.True(t, tgt.listed, step)
	}
	update := func(ns, name string, fn func(*corev1.Pod), status bool) {
		t.Helper()
		o, ok := w.Store.Get("Pod", ns, name)
		require.True(t, ok)
		p := o.(*corev1.Pod).DeepCopy()
		fn(p)
		if status {
			_, err = api.UpdateStatus(p)
		} else {
			_, err = api.Update(p)
		}
		require.NoError(t, err)
	}

	check("empty", false)
	check("nothing changed", true)
	bound := cachePod("default", "web-b", "web", "200m")
	bound.Spec.NodeName = "n1" // deleted gracefully
	for _, p := range []*corev1.Pod{bound, cachePod("default", "web-a", "web", "100m"), cachePod("default", "db-a", "db", "1")} {
		_, err = api.Create(p)
		require.NoError(t, err)
	}
	check("created", false)
	firstA := tgt.pods[0].pod
	_, err = api.Create(cachePod("other", "web-c", "web", "300m"))
	require.NoError(t, err)
	update("default", "db-a", func(p *corev1.Pod) { p.Annotations = map[string]string{"x": "y"} }, false)
	check("a pod of another namespace, a pod not selected", true)

	now := metav1.NewTime(w.Engine.Now())
	update("default", "web-b", func(p *corev1.Pod) {
		p.Status.Phase, p.Status.StartTime = corev1.PodRunning, &now
		p.Status.Conditions = []corev1.PodCondition{{Type: corev1.PodReady, Status: corev1.ConditionTrue, LastTransitionTime: now}}
	}, true)
	check("status", false)
	require.Same(t, firstA, tgt.pods[0].pod, "the unchanged pod's view is kept")
	require.True(t, tgt.pods[1].readyKnown)

	update("default", "db-a", func(p *corev1.Pod) { p.Labels["app"] = "web" }, false)
	check("labelled into the selector", false)
	update("default", "web-a", func(p *corev1.Pod) { p.Labels["app"] = "api" }, false)
	check("labelled out of it", false)
	update("default", "web-a", func(p *corev1.Pod) { p.Labels["tier"] = "x" }, false)
	check("a pod labelled out changes again", true)

	require.NoError(t, api.Delete("Pod", "default", "web-b", apiserver.DeleteOptions{}))
	check("deleting", false)
	zero := int64(0)
	require.NoError(t, api.Delete("Pod", "default", "web-b", apiserver.DeleteOptions{GracePeriodSeconds: &zero}))
	check("deleted", false)

	tgt, err = c.targetOf("default/h", "default", &metav1.LabelSelector{MatchLabels: map[string]string{"app": "api"}})
	require.NoError(t, err)
	check("a new selector", false)
	require.Len(t, tgt.pods, 1)

	w.Engine.RunUntil(w.Engine.Elapsed() + time.Minute)
	c.Stop()
	require.Empty(t, c.targets, "a stopped controller keeps no listing it no longer watches")
}

// TestPodViewClassifiesAsThePod pins that a view answers exactly as the
// pod it was made from.
func TestPodViewClassifiesAsThePod(t *testing.T) {
	now := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	p := cachePod("default", "a", "web", "250m")
	v := newPodView(p, "")
	require.Equal(t, int64(250), v.request)
	require.NoError(t, v.requestErr)
	_, err := newPodView(p, "sidecar").request, newPodView(p, "sidecar").requestErr
	require.Error(t, err)
	require.Equal(t, classUnready, v.class(true, now, MetricWindow, now, defaultCalcConfig), "pending")
}
