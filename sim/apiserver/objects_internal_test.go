package apiserver

import (
	"testing"

	"github.com/stretchr/testify/require"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	"github.com/kubesim/kubesim/sim/store"
)

// TestWithStatusByAssignment: the Pod, Node, ReplicaSet and Deployment
// copies made by assignment
// are the reflective copy: old's metadata and spec (shared, not copied)
// with obj's status.
func TestWithStatusByAssignment(t *testing.T) {
	meta := metav1.ObjectMeta{Name: "a", Namespace: "default", Labels: map[string]string{"app": "web"}, ResourceVersion: "7"}
	cases := []struct{ old, obj store.Object }{
		{&corev1.Pod{ObjectMeta: meta, Spec: corev1.PodSpec{NodeName: "n1", Containers: []corev1.Container{{Name: "c"}}},
			Status: corev1.PodStatus{Phase: corev1.PodPending}},
			&corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "a", Namespace: "default"}, Spec: corev1.PodSpec{NodeName: "other"},
				Status: corev1.PodStatus{Phase: corev1.PodRunning, PodIP: "10.0.0.1"}}},
		{&corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: "n1", Labels: map[string]string{"zone": "a"}}, Spec: corev1.NodeSpec{Unschedulable: true}},
			&corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: "n1"},
				Status: corev1.NodeStatus{Conditions: []corev1.NodeCondition{{Type: corev1.NodeReady, Status: corev1.ConditionTrue}}}}},
		{&appsv1.ReplicaSet{ObjectMeta: meta, Spec: appsv1.ReplicaSetSpec{Replicas: ptr.To[int32](3)}, Status: appsv1.ReplicaSetStatus{Replicas: 1}},
			&appsv1.ReplicaSet{ObjectMeta: metav1.ObjectMeta{Name: "a", Namespace: "default"}, Spec: appsv1.ReplicaSetSpec{Replicas: ptr.To[int32](9)},
				Status: appsv1.ReplicaSetStatus{Replicas: 3, ReadyReplicas: 2, ObservedGeneration: 4}}},
		{&appsv1.Deployment{ObjectMeta: meta, Spec: appsv1.DeploymentSpec{Paused: true}, Status: appsv1.DeploymentStatus{Replicas: 1}},
			&appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Name: "a", Namespace: "default"},
				Status: appsv1.DeploymentStatus{Replicas: 3, Conditions: []appsv1.DeploymentCondition{{Type: appsv1.DeploymentAvailable}}}}},
	}
	for _, tc := range cases {
		info, err := store.KindOf(tc.old)
		require.NoError(t, err)
		got := withStatus(info, tc.old, tc.obj)
		require.Equal(t, withStatusReflect(info, tc.old, tc.obj), got)
		require.NotSame(t, tc.old, got)
		require.Equal(t, tc.old.GetLabels(), got.GetLabels())
		require.Equal(t, topField(tc.obj, "Status").Interface(), topField(got, "Status").Interface())
		require.Equal(t, topField(tc.old, "Spec").Interface(), topField(got, "Spec").Interface())
	}
}
