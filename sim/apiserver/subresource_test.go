package apiserver_test

import (
	"testing"

	"github.com/stretchr/testify/require"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"

	"github.com/kubesim/kubesim/sim/store"
)

// kindCase describes, for one kind, a spec field and a status field the
// main resource and the status subresource must keep apart.
type kindCase struct {
	kind       string
	obj        func() store.Object
	setSpec    func(store.Object)
	spec       func(store.Object) any
	setStatus  func(store.Object)
	status     func(store.Object) any
	generation bool // spec changes bump metadata.generation
}

func kindCases() []kindCase {
	web := newDeployment("web")
	one := intstr.FromInt32(1)
	return []kindCase{
		{"Pod", func() store.Object { return newPod("x") },
			func(o store.Object) { o.(*corev1.Pod).Spec.ActiveDeadlineSeconds = ptr.To(int64(9)) },
			func(o store.Object) any { return o.(*corev1.Pod).Spec.ActiveDeadlineSeconds },
			func(o store.Object) { o.(*corev1.Pod).Status.Phase = corev1.PodRunning },
			func(o store.Object) any { return o.(*corev1.Pod).Status.Phase }, false},
		{"Node", func() store.Object { return &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: "x"}} },
			func(o store.Object) { o.(*corev1.Node).Spec.Unschedulable = true },
			func(o store.Object) any { return o.(*corev1.Node).Spec.Unschedulable },
			func(o store.Object) { o.(*corev1.Node).Status.Phase = corev1.NodeRunning },
			func(o store.Object) any { return o.(*corev1.Node).Status.Phase }, false},
		{"Service", func() store.Object { return newService("default", "x") },
			func(o store.Object) { o.(*corev1.Service).Spec.SessionAffinity = corev1.ServiceAffinityClientIP },
			func(o store.Object) any { return o.(*corev1.Service).Spec.SessionAffinity },
			func(o store.Object) {
				o.(*corev1.Service).Status.LoadBalancer.Ingress = []corev1.LoadBalancerIngress{{Hostname: "lb"}}
			},
			func(o store.Object) any { return o.(*corev1.Service).Status.LoadBalancer.Ingress }, false},
		{"Deployment", func() store.Object {
			d := newDeployment("x")
			d.Spec.Selector = web.Spec.Selector
			d.Spec.Template = web.Spec.Template
			return d
		},
			func(o store.Object) { o.(*appsv1.Deployment).Spec.Paused = true },
			func(o store.Object) any { return o.(*appsv1.Deployment).Spec.Paused },
			func(o store.Object) { o.(*appsv1.Deployment).Status.ReadyReplicas = 4 },
			func(o store.Object) any { return o.(*appsv1.Deployment).Status.ReadyReplicas }, true},
		{"ReplicaSet", func() store.Object {
			return &appsv1.ReplicaSet{ObjectMeta: metav1.ObjectMeta{Name: "x", Namespace: "default"},
				Spec: appsv1.ReplicaSetSpec{Selector: web.Spec.Selector, Template: web.Spec.Template}}
		},
			func(o store.Object) { o.(*appsv1.ReplicaSet).Spec.MinReadySeconds = 5 },
			func(o store.Object) any { return o.(*appsv1.ReplicaSet).Spec.MinReadySeconds },
			func(o store.Object) { o.(*appsv1.ReplicaSet).Status.Replicas = 2 },
			func(o store.Object) any { return o.(*appsv1.ReplicaSet).Status.Replicas }, true},
		{"DaemonSet", func() store.Object {
			return &appsv1.DaemonSet{ObjectMeta: metav1.ObjectMeta{Name: "x", Namespace: "default"},
				Spec: appsv1.DaemonSetSpec{Selector: web.Spec.Selector, Template: web.Spec.Template}}
		},
			func(o store.Object) { o.(*appsv1.DaemonSet).Spec.MinReadySeconds = 5 },
			func(o store.Object) any { return o.(*appsv1.DaemonSet).Spec.MinReadySeconds },
			func(o store.Object) { o.(*appsv1.DaemonSet).Status.NumberReady = 3 },
			func(o store.Object) any { return o.(*appsv1.DaemonSet).Status.NumberReady }, true},
		{"StatefulSet", func() store.Object {
			return &appsv1.StatefulSet{ObjectMeta: metav1.ObjectMeta{Name: "x", Namespace: "default"},
				Spec: appsv1.StatefulSetSpec{Selector: web.Spec.Selector, Template: web.Spec.Template}}
		},
			func(o store.Object) { o.(*appsv1.StatefulSet).Spec.Replicas = ptr.To(int32(4)) },
			func(o store.Object) any { return *o.(*appsv1.StatefulSet).Spec.Replicas },
			func(o store.Object) { o.(*appsv1.StatefulSet).Status.CurrentReplicas = 3 },
			func(o store.Object) any { return o.(*appsv1.StatefulSet).Status.CurrentReplicas }, true},
		{"PodDisruptionBudget", func() store.Object {
			return &policyv1.PodDisruptionBudget{ObjectMeta: metav1.ObjectMeta{Name: "x", Namespace: "default"},
				Spec: policyv1.PodDisruptionBudgetSpec{MinAvailable: &one, Selector: web.Spec.Selector}}
		},
			func(o store.Object) {
				v := intstr.FromInt32(2)
				o.(*policyv1.PodDisruptionBudget).Spec.MinAvailable = &v
			},
			func(o store.Object) any { return o.(*policyv1.PodDisruptionBudget).Spec.MinAvailable.IntValue() },
			func(o store.Object) { o.(*policyv1.PodDisruptionBudget).Status.DisruptionsAllowed = 1 },
			func(o store.Object) any { return o.(*policyv1.PodDisruptionBudget).Status.DisruptionsAllowed }, true},
		{"Namespace", func() store.Object { return &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "x"}} },
			func(o store.Object) { o.(*corev1.Namespace).Spec.Finalizers = []corev1.FinalizerName{"kubernetes"} },
			func(o store.Object) any { return o.(*corev1.Namespace).Spec.Finalizers },
			func(o store.Object) {
				o.(*corev1.Namespace).Status.Conditions = []corev1.NamespaceCondition{{Type: "X", Status: corev1.ConditionTrue}}
			},
			func(o store.Object) any { return o.(*corev1.Namespace).Status.Conditions }, false},
	}
}

func TestStatusAndMainResourceAreSeparate(t *testing.T) {
	for _, tc := range kindCases() {
		t.Run(tc.kind, func(t *testing.T) {
			f := newFixture(t, 1)
			created := f.create(tc.obj())
			ns, name := created.GetNamespace(), created.GetName()
			cur := func() store.Object { return f.get(tc.kind, ns, name) }
			spec0, status0 := tc.spec(created), tc.status(created)
			gen0 := created.GetGeneration()
			if tc.generation {
				require.Equal(t, int64(1), gen0)
			}

			// The status subresource ignores a spec change.
			v1 := cur()
			snapshot := v1.DeepCopyObject()
			o := v1.DeepCopyObject().(store.Object)
			tc.setSpec(o)
			tc.setStatus(o)
			o.SetLabels(map[string]string{"ignored": "yes"})
			_, err := f.Admin.UpdateStatus(o)
			require.NoError(t, err)
			require.Equal(t, spec0, tc.spec(cur()))
			require.NotEqual(t, status0, tc.status(cur()))
			require.NotContains(t, cur().GetLabels(), "ignored")
			require.Equal(t, gen0, cur().GetGeneration())
			require.True(t, equality.Semantic.DeepEqual(snapshot, v1), "previous version was modified")
			status1 := tc.status(cur())

			// The main resource ignores a status change.
			v2 := cur()
			snapshot = v2.DeepCopyObject()
			o = v2.DeepCopyObject().(store.Object)
			tc.setSpec(o)
			fresh := tc.obj()
			apiStatusReset(o, fresh)
			_, err = f.Admin.Update(o)
			require.NoError(t, err)
			require.NotEqual(t, spec0, tc.spec(cur()))
			require.Equal(t, status1, tc.status(cur()))
			wantGen := gen0
			if tc.generation {
				wantGen++
			}
			require.Equal(t, wantGen, cur().GetGeneration())
			require.True(t, equality.Semantic.DeepEqual(snapshot, v2), "previous version was modified")
		})
	}
}

// apiStatusReset gives o the (empty) status of a freshly built object.
func apiStatusReset(o, fresh store.Object) {
	switch x := o.(type) {
	case *corev1.Pod:
		x.Status = fresh.(*corev1.Pod).Status
	case *corev1.Node:
		x.Status = fresh.(*corev1.Node).Status
	case *corev1.Service:
		x.Status = fresh.(*corev1.Service).Status
	case *corev1.Namespace:
		x.Status = fresh.(*corev1.Namespace).Status
	case *appsv1.Deployment:
		x.Status = fresh.(*appsv1.Deployment).Status
	case *appsv1.ReplicaSet:
		x.Status = fresh.(*appsv1.ReplicaSet).Status
	case *appsv1.DaemonSet:
		x.Status = fresh.(*appsv1.DaemonSet).Status
	case *appsv1.StatefulSet:
		x.Status = fresh.(*appsv1.StatefulSet).Status
	case *policyv1.PodDisruptionBudget:
		x.Status = fresh.(*policyv1.PodDisruptionBudget).Status
	}
}
