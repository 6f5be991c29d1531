package disruption_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	appsv1 "k8s.io/api/apps/v1"
	policyv1 "k8s.io/api/policy/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/kubesim/kubesim/sim/controllers/controllertest"
	"github.com/kubesim/kubesim/sim/controllers/controllerutil/fake"
)

func TestBudgetStatusFollowsThePods(t *testing.T) {
	c := controllertest.Cluster(t, 2)
	c.Etcd.DisableReplication()
	defer c.Etcd.Close()
	kc := c.Client("test")
	three := int32(3)
	l := map[string]string{"app": "web"}
	_, err := kc.Create(&appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: "web"},
		Spec: appsv1.DeploymentSpec{Replicas: &three, Selector: &metav1.LabelSelector{MatchLabels: l},
			Template: fake.Template(l, "nginx:1.27")},
	})
	require.NoError(t, err)
	two := intstr.FromInt32(2)
	_, err = kc.Create(&policyv1.PodDisruptionBudget{
		ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: "web"},
		Spec:       policyv1.PodDisruptionBudgetSpec{MinAvailable: &two, Selector: &metav1.LabelSelector{MatchLabels: l}},
	})
	require.NoError(t, err)
	status := func() policyv1.PodDisruptionBudgetStatus {
		o, _ := c.Store.Get("PodDisruptionBudget", "default", "web")
		return o.(*policyv1.PodDisruptionBudget).Status
	}

	c.Engine.RunUntil(30 * time.Second)
	st := status()
	require.Equal(t, int32(3), st.ExpectedPods)
	require.Equal(t, int32(3), st.CurrentHealthy)
	require.Equal(t, int32(2), st.DesiredHealthy)
	require.Equal(t, int32(1), st.DisruptionsAllowed)
	require.Equal(t, int64(1), st.ObservedGeneration)
	require.Len(t, st.Conditions, 1)
	require.Equal(t, metav1.ConditionTrue, st.Conditions[0].Status)
	require.Equal(t, policyv1.SufficientPodsReason, st.Conditions[0].Reason)

	require.NoError(t, kc.Scale("Deployment", "default", "web", 2))
	c.Engine.RunUntil(time.Minute)
	st = status()
	require.Equal(t, int32(2), st.CurrentHealthy)
	require.Equal(t, int32(0), st.DisruptionsAllowed)
	require.Equal(t, metav1.ConditionFalse, st.Conditions[0].Status)
	require.Equal(t, policyv1.InsufficientPodsReason, st.Conditions[0].Reason)
}
