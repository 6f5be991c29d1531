package apiserver_test

import (
	"testing"

	"github.com/stretchr/testify/require"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	schedulingv1 "k8s.io/api/scheduling/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	"github.com/kubesim/kubesim/sim/apiserver"
	"github.com/kubesim/kubesim/sim/store"
)

func TestNamespaceLifecycle(t *testing.T) {
	tests := []struct {
		name  string
		setup func(f *fixture)
		obj   func() store.Object
		check func(error) bool
		want  string
	}{
		{"missing namespace", func(*fixture) {},
			func() store.Object { p := newPod("p"); p.Namespace = "x"; return p },
			apierrors.IsNotFound, `namespaces "x" not found`},
		{"missing namespace for a service", func(*fixture) {},
			func() store.Object { return newService("x", "web") },
			apierrors.IsNotFound, `namespaces "x" not found`},
		{"terminating namespace", func(f *fixture) {
			f.create(&corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "x"}})
			require.NoError(t, f.Admin.Delete("Namespace", "", "x", apiserver.DeleteOptions{}))
		}, func() store.Object { p := newPod("p"); p.Namespace = "x"; return p },
			apierrors.IsForbidden, `pods "p" is forbidden: unable to create new content in namespace x because it is being terminated`},
		{"terminating namespace, deployment", func(f *fixture) {
			f.create(&corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "x"}})
			require.NoError(t, f.Admin.Delete("Namespace", "", "x", apiserver.DeleteOptions{}))
		}, func() store.Object { d := newDeployment("web"); d.Namespace = "x"; return d },
			apierrors.IsForbidden, `deployments.apps "web" is forbidden: unable to create new content in namespace x because it is being terminated`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, 1)
			tc.setup(f)
			rev := f.Store.Rev()
			_, err := f.Admin.Create(tc.obj())
			require.Error(t, err)
			require.True(t, tc.check(err), "unexpected error kind: %v", err)
			require.Equal(t, tc.want, err.Error())
			require.Equal(t, rev, f.Store.Rev())
		})
	}
}

func TestNamespaceLifecycleAllows(t *testing.T) {
	f := newFixture(t, 1)
	// Cluster-scoped objects need no namespace, and a namespaced object
	// without one goes to "default".
	f.node("n1")
	p := newPod("p")
	p.Namespace = ""
	out := f.create(p)
	require.Equal(t, "default", out.GetNamespace())
	// A cluster-scoped object loses any namespace it was given.
	n := &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: "n2", Namespace: "default"}}
	require.Equal(t, "", f.create(n).GetNamespace())
}

func TestPriorityAdmission(t *testing.T) {
	tests := []struct {
		name     string
		class    string
		priority *int32
		want     int32
		err      string
	}{
		{"system-node-critical", "system-node-critical", nil, 2000001000, ""},
		{"system-cluster-critical", "system-cluster-critical", nil, 2000000000, ""},
		{"no class", "", nil, 0, ""},
		{"unknown class", "gold", nil, 0, `pods "p" is forbidden: no PriorityClass with name gold was found`},
		{"user class", "silver", nil, 500, ""},
		{"priority given with the class", "silver", ptr.To(int32(500)), 500, ""},
		{"priority differing from the class", "silver", ptr.To(int32(7)), 0,
			`pods "p" is forbidden: the integer value of priority (7) must not be provided in pod spec; priority admission controller computed 500 from the given PriorityClass name`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, 1)
			f.create(&schedulingv1.PriorityClass{ObjectMeta: metav1.ObjectMeta{Name: "silver"}, Value: 500})
			p := newPod("p")
			p.Spec.PriorityClassName = tc.class
			p.Spec.Priority = tc.priority
			out, err := f.Admin.Create(p)
			if tc.err != "" {
				require.True(t, apierrors.IsForbidden(err), "want Forbidden, got %v", err)
				require.Equal(t, tc.err, err.Error())
				_, ok := f.Store.Get("Pod", "default", "p")
				require.False(t, ok)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tc.want, *out.(*corev1.Pod).Spec.Priority)
		})
	}
	require.Equal(t, int32(2000001000), apiserver.SystemNodeCritical)

	// A global default class gives pods without a class its value and
	// name; a second default is refused.
	f := newFixture(t, 1)
	f.create(&schedulingv1.PriorityClass{ObjectMeta: metav1.ObjectMeta{Name: "normal"}, Value: 100, GlobalDefault: true})
	_, err := f.Admin.Create(&schedulingv1.PriorityClass{ObjectMeta: metav1.ObjectMeta{Name: "other"}, Value: 5, GlobalDefault: true})
	require.EqualError(t, err, `priorityclasses.scheduling.k8s.io "other" is forbidden: PriorityClass normal is already marked as default. Only one default can exist`)
	p := f.create(newPod("p")).(*corev1.Pod)
	require.Equal(t, int32(100), *p.Spec.Priority)
	require.Equal(t, "normal", p.Spec.PriorityClassName)
	require.Equal(t, corev1.PreemptLowerPriority, *p.Spec.PreemptionPolicy)
	_, err = f.Admin.Create(&schedulingv1.PriorityClass{ObjectMeta: metav1.ObjectMeta{Name: "huge"}, Value: 2000000000})
	require.ErrorContains(t, err, "value: Forbidden: maximum allowed value of a user defined priority is 1000000000")
	require.Equal(t, int32(2000000000), apiserver.SystemClusterCritical)
}

func TestDefaultTolerationSeconds(t *testing.T) {
	notReady := corev1.Toleration{Key: "node.kubernetes.io/not-ready", Operator: corev1.TolerationOpExists,
		Effect: corev1.TaintEffectNoExecute, TolerationSeconds: ptr.To(int64(300))}
	unreachable := corev1.Toleration{Key: "node.kubernetes.io/unreachable", Operator: corev1.TolerationOpExists,
		Effect: corev1.TaintEffectNoExecute, TolerationSeconds: ptr.To(int64(300))}
	custom := corev1.Toleration{Key: "dedicated", Operator: corev1.TolerationOpEqual, Value: "gpu", Effect: corev1.TaintEffectNoSchedule}
	ownNotReady := corev1.Toleration{Key: "node.kubernetes.io/not-ready", Operator: corev1.TolerationOpExists,
		Effect: corev1.TaintEffectNoExecute, TolerationSeconds: ptr.To(int64(30))}
	anyEffectUnreachable := corev1.Toleration{Key: "node.kubernetes.io/unreachable", Operator: corev1.TolerationOpExists}
	everything := corev1.Toleration{Operator: corev1.TolerationOpExists}
	notReadyNoSchedule := corev1.Toleration{Key: "node.kubernetes.io/not-ready", Operator: corev1.TolerationOpExists, Effect: corev1.TaintEffectNoSchedule}
	tests := []struct {
		name string
		in   []corev1.Toleration
		want []corev1.Toleration
	}{
		{"none", nil, []corev1.Toleration{notReady, unreachable}},
		{"unrelated kept first", []corev1.Toleration{custom}, []corev1.Toleration{custom, notReady, unreachable}},
		{"own not-ready kept", []corev1.Toleration{ownNotReady}, []corev1.Toleration{ownNotReady, unreachable}},
		{"unreachable with any effect counts", []corev1.Toleration{anyEffectUnreachable}, []corev1.Toleration{anyEffectUnreachable, notReady}},
		{"tolerate everything", []corev1.Toleration{everything}, []corev1.Toleration{everything}},
		{"NoSchedule does not count", []corev1.Toleration{notReadyNoSchedule}, []corev1.Toleration{notReadyNoSchedule, notReady, unreachable}},
		{"both present", []corev1.Toleration{unreachable, notReady}, []corev1.Toleration{unreachable, notReady}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, 1)
			p := newPod("p")
			p.Spec.Tolerations = tc.in
			out := f.create(p).(*corev1.Pod)
			require.Equal(t, tc.want, out.Spec.Tolerations)
		})
	}
	require.Equal(t, int64(300), apiserver.DefaultTolerationSeconds)
}

// Admission mutates pods only: a Deployment's template gets no default
// tolerations or priority (its pods get them when they are created).
func TestAdmissionLeavesTemplatesAlone(t *testing.T) {
	f := newFixture(t, 1)
	d := newDeployment("web")
	d.Spec.Template.Spec.PriorityClassName = "gold"
	out := f.create(d).(*appsv1.Deployment)
	spec := out.Spec.Template.Spec
	require.Nil(t, spec.Tolerations)
	require.Nil(t, spec.Priority)
	require.Equal(t, "gold", spec.PriorityClassName)
}
