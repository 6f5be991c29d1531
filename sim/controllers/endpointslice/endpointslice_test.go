package endpointslice_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/kubesim/kubesim/sim/apiserver"
	"github.com/kubesim/kubesim/sim/controllers/controllerutil/fake"
	"github.com/kubesim/kubesim/sim/controllers/endpointslice"
)

// fixture is the test world with the controller started.
type fixture struct {
	*fake.World
	t *testing.T
}

func newFixture(t *testing.T) *fixture {
	w := fake.New(11)
	w.Engine.Trace().Keep()
	w.AddNode("n1", map[string]string{corev1.LabelTopologyZone: "us-east-1a"})
	f := &fixture{World: w, t: t}
	_, err := f.Admin.Create(&corev1.Service{ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: "default"},
		Spec: corev1.ServiceSpec{Selector: map[string]string{"app": "web"},
			Ports: []corev1.ServicePort{{Port: 80, TargetPort: intstr.FromString("http")}}}})
	require.NoError(t, err)
	endpointslice.New(w.Engine, w.Server.Client("endpointslice-controller"), endpointslice.Config{}).Start()
	return f
}

func (f *fixture) addPod(name string, ip string, ready bool) {
	p := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "default", Labels: map[string]string{"app": "web"}},
		Spec: corev1.PodSpec{NodeName: "n1", Containers: []corev1.Container{{Name: "c", Image: "nginx:1.27",
			Ports: []corev1.ContainerPort{{Name: "http", ContainerPort: 8080}}}}}}
	_, err := f.Admin.Create(p)
	require.NoError(f.t, err)
	if ip != "" {
		f.setStatus(name, ip, ready)
	}
}

func (f *fixture) setStatus(name, ip string, ready bool) {
	o, ok := f.Store.Get("Pod", "default", name)
	require.True(f.t, ok)
	p := o.(*corev1.Pod).DeepCopy()
	p.Status.Phase = corev1.PodRunning
	p.Status.PodIP = ip
	st := corev1.ConditionFalse
	if ready {
		st = corev1.ConditionTrue
	}
	p.Status.Conditions = []corev1.PodCondition{{Type: corev1.PodReady, Status: st}}
	_, err := f.Admin.UpdateStatus(p)
	require.NoError(f.t, err)
}

func (f *fixture) slices() []*discoveryv1.EndpointSlice {
	var out []*discoveryv1.EndpointSlice
	for _, o := range f.Store.List("EndpointSlice", "default") {
		out = append(out, o.(*discoveryv1.EndpointSlice))
	}
	return out
}

func (f *fixture) run() { f.Engine.RunUntil(f.Engine.Elapsed() + 2*time.Second) }

func (f *fixture) writes() int {
	n := 0
	for _, r := range f.Engine.Trace().Records() {
		if r.Component == "endpointslice-controller" {
			n++
		}
	}
	return n
}

type epState struct{ ready, serving, terminating bool }

func states(s *discoveryv1.EndpointSlice) map[string]epState {
	out := map[string]epState{}
	for _, ep := range s.Endpoints {
		out[ep.TargetRef.Name] = epState{*ep.Conditions.Ready, *ep.Conditions.Serving, *ep.Conditions.Terminating}
	}
	return out
}

func TestEndpointSliceLifecycle(t *testing.T) {
	f := newFixture(t)
	f.addPod("web-a", "", false)
	f.run()
	ss := f.slices()
	require.Len(t, ss, 1, "placeholder")
	require.Empty(t, ss[0].Endpoints)

	f.addPod("web-b", "10.0.1.2", true)
	f.setStatus("web-a", "10.0.1.1", false)
	f.addPod("web-c", "10.0.1.3", true)
	f.run()
	ss = f.slices()
	require.Len(t, ss, 1)
	s := ss[0]
	require.Regexp(t, `^web-[a-z0-9]{5}$`, s.Name)
	require.Equal(t, "web", s.Labels[discoveryv1.LabelServiceName])
	require.Equal(t, endpointslice.ManagedBy, s.Labels[discoveryv1.LabelManagedBy])
	require.Equal(t, discoveryv1.AddressTypeIPv4, s.AddressType)
	require.Equal(t, "Service", s.OwnerReferences[0].Kind)
	require.Len(t, s.Ports, 1)
	require.Equal(t, int32(8080), *s.Ports[0].Port, "named targetPort resolved")
	require.Equal(t, map[string]epState{
		"web-a": {false, false, false}, "web-b": {true, true, false}, "web-c": {true, true, false},
	}, states(s))
	ep := s.Endpoints[0]
	require.Equal(t, "web-a", ep.TargetRef.Name, "sorted by pod")
	require.Equal(t, []string{"10.0.1.1"}, ep.Addresses)
	require.Equal(t, "n1", *ep.NodeName)
	require.Equal(t, "us-east-1a", *ep.Zone)

	// An update that cannot change an endpoint writes nothing.
	before := f.writes()
	o, _ := f.Store.Get("Pod", "default", "web-b")
	p := o.(*corev1.Pod).DeepCopy()
	p.Annotations = map[string]string{"x": "y"}
	_, err := f.Admin.Update(p)
	require.NoError(t, err)
	f.setStatus("web-c", "10.0.1.3", true)
	f.run()
	require.Equal(t, before, f.writes())

	// Terminating: not ready, still serving.
	require.NoError(t, f.Admin.Delete("Pod", "default", "web-b", apiserver.DeleteOptions{}))
	f.run()
	require.Equal(t, epState{false, true, true}, states(f.slices()[0])["web-b"])
	require.Equal(t, s.Name, f.slices()[0].Name, "updated in place")

	zero := int64(0)
	require.NoError(t, f.Admin.Delete("Pod", "default", "web-b", apiserver.DeleteOptions{GracePeriodSeconds: &zero}))
	f.run()
	require.Len(t, states(f.slices()[0]), 2)
}

func TestEndpointSliceSplit(t *testing.T) {
	f := newFixture(t)
	for i := 0; i < 250; i++ {
		f.addPod(fmt.Sprintf("web-%03d", i), fmt.Sprintf("10.0.%d.%d", i/200, i%200+1), true)
	}
	f.run()
	ss := f.slices()
	require.Len(t, ss, 3)
	seen := map[string]bool{}
	for _, s := range ss {
		require.LessOrEqual(t, len(s.Endpoints), 100)
		for _, ep := range s.Endpoints {
			require.False(t, seen[ep.TargetRef.Name], "endpoint listed twice")
			seen[ep.TargetRef.Name] = true
		}
	}
	require.Len(t, seen, 250)

	// New pods fill the slice with room instead of reshuffling.
	names := map[string]int{}
	for _, s := range ss {
		names[s.Name] = len(s.Endpoints)
	}
	f.addPod("web-new", "10.0.9.9", true)
	f.run()
	total := 0
	for _, s := range f.slices() {
		_, existed := names[s.Name]
		require.True(t, existed, "no new slice")
		total += len(s.Endpoints)
	}
	require.Equal(t, 251, total)
}
