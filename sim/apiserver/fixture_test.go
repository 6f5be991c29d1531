package apiserver_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kubesim/kubesim/sim"
	"github.com/kubesim/kubesim/sim/apiserver/apiservertest"
	"github.com/kubesim/kubesim/sim/store"
)

// fixture is an API server over an empty store with the "default"
// namespace, a retained trace and an admin client.
type fixture struct {
	*apiservertest.World
	t *testing.T
}

func newFixture(t *testing.T, seed uint64) *fixture {
	f := &fixture{World: apiservertest.NewWorld(seed, "default"), t: t}
	f.Engine.Trace().Keep()
	return f
}

// create creates obj and fails the test on error.
func (f *fixture) create(obj store.Object) store.Object {
	f.t.Helper()
	out, err := f.Admin.Create(obj)
	require.NoError(f.t, err)
	return out
}

// advance moves virtual time forward by d.
func (f *fixture) advance(d time.Duration) { f.Engine.RunUntil(f.Engine.Elapsed() + d) }

func (f *fixture) get(kind, ns, name string) store.Object {
	f.t.Helper()
	o, ok := f.Store.Get(kind, ns, name)
	require.True(f.t, ok, "%s %s/%s not found", kind, ns, name)
	return o
}

func (f *fixture) pod(name string) *corev1.Pod { return f.get("Pod", "default", name).(*corev1.Pod) }

func (f *fixture) node(name string) {
	f.create(&corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: name}})
}

// runningPod creates a pod bound to node and marks it Running and Ready
// (or Running and not Ready).
func (f *fixture) runningPod(name, node string, labels map[string]string, ready bool) *corev1.Pod {
	f.t.Helper()
	p := newPod(name)
	p.Labels = labels
	f.create(p)
	require.NoError(f.t, f.Admin.Bind("default", name, node))
	cp := f.pod(name).DeepCopy()
	cp.Status.Phase = corev1.PodRunning
	st := corev1.ConditionFalse
	if ready {
		st = corev1.ConditionTrue
	}
	cp.Status.Conditions = append(cp.Status.Conditions, corev1.PodCondition{Type: corev1.PodReady, Status: st})
	_, err := f.Admin.UpdateStatus(cp)
	require.NoError(f.t, err)
	return f.pod(name)
}

func newPod(name string) *corev1.Pod {
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "default"},
		Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "app", Image: "nginx:1.27"}}},
	}
}

func newDeployment(name string) *appsv1.Deployment {
	l := map[string]string{"app": name}
	return &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "default"},
		Spec: appsv1.DeploymentSpec{
			Selector: &metav1.LabelSelector{MatchLabels: l},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"app": name}},
				Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "app", Image: "nginx:1.27"}}},
			},
		},
	}
}

func newService(ns, name string) *corev1.Service {
	return &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns},
		Spec: corev1.ServiceSpec{
			Selector: map[string]string{"app": name},
			Ports:    []corev1.ServicePort{{Port: 80}},
		},
	}
}

// records returns the trace records so far.
func (f *fixture) records() []sim.Record { return f.Engine.Trace().Records() }

// last returns the last trace record.
func (f *fixture) last() sim.Record {
	r := f.records()
	require.NotEmpty(f.t, r)
	return r[len(r)-1]
}
