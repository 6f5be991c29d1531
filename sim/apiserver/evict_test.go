package apiserver_test

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"

	"github.com/kubesim/kubesim/sim/apiserver"
)

// Pod states for eviction fixtures.
const (
	ready   = "ready"
	unready = "unready" // Running, Ready=False
	pending = "pending" // created, never bound
)

func TestEvictWithPDB(t *testing.T) {
	web := map[string]string{"app": "web"}
	is := func(s string) *intstr.IntOrString { v := intstr.FromString(s); return &v }
	in := func(n int32) *intstr.IntOrString { v := intstr.FromInt32(n); return &v }
	always := policyv1.AlwaysAllow
	tests := []struct {
		name     string
		spec     policyv1.PodDisruptionBudgetSpec
		pods     []string // states of w-0, w-1, ...
		evict    []string
		allowed  []bool
		blockMsg string // the 429's cause for the first refusal
	}{
		{"minAvailable 2 of 3", policyv1.PodDisruptionBudgetSpec{MinAvailable: in(2)},
			[]string{ready, ready, ready}, []string{"w-0", "w-1"}, []bool{true, false},
			"The disruption budget pdb needs 2 healthy pods and has 2 currently"},
		{"maxUnavailable 1 of 3", policyv1.PodDisruptionBudgetSpec{MaxUnavailable: in(1)},
			[]string{ready, ready, ready}, []string{"w-0", "w-1"}, []bool{true, false},
			"The disruption budget pdb needs 2 healthy pods and has 2 currently"},
		{"minAvailable 50% of 4 (2)", policyv1.PodDisruptionBudgetSpec{MinAvailable: is("50%")},
			[]string{ready, ready, ready, ready}, []string{"w-0", "w-1", "w-2"}, []bool{true, true, false},
			"The disruption budget pdb needs 2 healthy pods and has 2 currently"},
		{"minAvailable 50% of 3 rounds up (2)", policyv1.PodDisruptionBudgetSpec{MinAvailable: is("50%")},
			[]string{ready, ready, ready}, []string{"w-0", "w-1"}, []bool{true, false},
			"The disruption budget pdb needs 2 healthy pods and has 2 currently"},
		{"maxUnavailable 50% of 3 rounds up (2)", policyv1.PodDisruptionBudgetSpec{MaxUnavailable: is("50%")},
			[]string{ready, ready, ready}, []string{"w-0", "w-1", "w-2"}, []bool{true, true, false},
			"The disruption budget pdb needs 1 healthy pods and has 1 currently"},
		{"maxUnavailable 10% of 3 rounds up (1)", policyv1.PodDisruptionBudgetSpec{MaxUnavailable: is("10%")},
			[]string{ready, ready, ready}, []string{"w-0", "w-1"}, []bool{true, false},
			"The disruption budget pdb needs 2 healthy pods and has 2 currently"},
		{"minAvailable 0", policyv1.PodDisruptionBudgetSpec{MinAvailable: in(0)},
			[]string{ready, ready}, []string{"w-0", "w-1"}, []bool{true, true}, ""},
		{"maxUnavailable 0 blocks everything", policyv1.PodDisruptionBudgetSpec{MaxUnavailable: in(0)},
			[]string{ready, ready}, []string{"w-0"}, []bool{false},
			"The disruption budget pdb needs 2 healthy pods and has 2 currently"},
		{"minAvailable 100% blocks everything", policyv1.PodDisruptionBudgetSpec{MinAvailable: is("100%")},
			[]string{ready, ready}, []string{"w-1"}, []bool{false},
			"The disruption budget pdb needs 2 healthy pods and has 2 currently"},
		{"evicting a pod already being deleted is allowed", policyv1.PodDisruptionBudgetSpec{MinAvailable: in(2)},
			[]string{ready, ready, ready}, []string{"w-0", "w-0", "w-1"}, []bool{true, true, false},
			"The disruption budget pdb needs 2 healthy pods and has 2 currently"},
		{"pending pods ignore the budget", policyv1.PodDisruptionBudgetSpec{MinAvailable: in(5)},
			[]string{ready, pending}, []string{"w-1", "w-0"}, []bool{true, false},
			"The disruption budget pdb needs 5 healthy pods and has 1 currently"},
		{"unready pod goes while the budget is met (IfHealthyBudget)", policyv1.PodDisruptionBudgetSpec{MinAvailable: in(2)},
			[]string{ready, ready, unready}, []string{"w-2", "w-0"}, []bool{true, false},
			"The disruption budget pdb needs 2 healthy pods and has 2 currently"},
		{"unready pod stays while the budget is not met", policyv1.PodDisruptionBudgetSpec{MinAvailable: in(3)},
			[]string{ready, ready, unready}, []string{"w-2"}, []bool{false},
			"The disruption budget pdb needs 3 healthy pods and has 2 currently"},
		{"unready pod, AlwaysAllow", policyv1.PodDisruptionBudgetSpec{MinAvailable: in(3), UnhealthyPodEvictionPolicy: &always},
			[]string{ready, ready, unready}, []string{"w-2", "w-0"}, []bool{true, false},
			"The disruption budget pdb needs 3 healthy pods and has 2 currently"},
		{"selector not matching", policyv1.PodDisruptionBudgetSpec{MinAvailable: in(3), Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": "db"}}},
			[]string{ready, ready}, []string{"w-0", "w-1"}, []bool{true, true}, ""},
		{"empty selector selects the whole namespace", policyv1.PodDisruptionBudgetSpec{MinAvailable: in(2), Selector: &metav1.LabelSelector{}},
			[]string{ready, ready}, []string{"w-0"}, []bool{false},
			"The disruption budget pdb needs 2 healthy pods and has 2 currently"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, 1)
			f.node("n1")
			for i, st := range tc.pods {
				name := fmt.Sprintf("w-%d", i)
				if st == pending {
					p := newPod(name)
					p.Labels = web
					f.create(p)
					continue
				}
				f.runningPod(name, "n1", web, st == ready)
			}
			spec := tc.spec
			if spec.Selector == nil {
				spec.Selector = &metav1.LabelSelector{MatchLabels: web}
			}
			f.create(&policyv1.PodDisruptionBudget{ObjectMeta: metav1.ObjectMeta{Name: "pdb", Namespace: "default"}, Spec: spec})
			drain := f.Server.Client("kubectl")
			blocked := false
			for i, name := range tc.evict {
				before, _ := f.Store.Get("Pod", "default", name)
				rev := f.Store.Rev()
				err := drain.Evict("default", name)
				if tc.allowed[i] {
					require.NoError(t, err, "eviction %d of %s", i, name)
					if after, ok := f.Store.Get("Pod", "default", name); ok {
						require.NotNil(t, after.GetDeletionTimestamp(), "evicted %s not marked", name)
					}
					continue
				}
				require.True(t, apierrors.IsTooManyRequests(err), "eviction %d of %s: %v", i, name, err)
				require.Equal(t, "Cannot evict pod as it would violate the pod's disruption budget.", err.Error())
				require.Equal(t, rev, f.Store.Rev(), "a refused eviction writes nothing")
				after, _ := f.Store.Get("Pod", "default", name)
				require.Same(t, before, after)
				if !blocked {
					blocked = true
					var se *apierrors.StatusError
					require.ErrorAs(t, err, &se)
					require.Equal(t, int32(429), se.ErrStatus.Code)
					require.Equal(t, metav1.StatusReasonTooManyRequests, se.ErrStatus.Reason)
					require.Equal(t, []metav1.StatusCause{{Type: "DisruptionBudget", Message: tc.blockMsg}}, se.ErrStatus.Details.Causes)
				}
			}
			require.Equal(t, tc.blockMsg != "", blocked)
		})
	}
}

func TestEvictDeletes(t *testing.T) {
	web := map[string]string{"app": "web"}
	f := newFixture(t, 1)
	f.node("n1")
	f.runningPod("a", "n1", web, true)
	f.runningPod("b", "n1", web, true)
	drain := f.Server.Client("kubectl")

	// No budget: a graceful delete with the pod's grace period.
	require.NoError(t, drain.Evict("default", "a"))
	require.Equal(t, int64(30), *f.pod("a").DeletionGracePeriodSeconds)
	require.Equal(t, "delete", f.last().Verb)
	require.Equal(t, "kubectl", f.last().Component)

	// The eviction's own grace period wins; 0 removes at once.
	require.NoError(t, drain.EvictWithOptions("default", "b", apiserver.DeleteOptions{GracePeriodSeconds: ptr.To(int64(0))}))
	_, ok := f.Store.Get("Pod", "default", "b")
	require.False(t, ok)

	err := drain.Evict("default", "nope")
	require.True(t, apierrors.IsNotFound(err))
	require.Equal(t, `pods "nope" not found`, err.Error())
}

func TestEvictTerminalPodIgnoresBudget(t *testing.T) {
	web := map[string]string{"app": "web"}
	f := newFixture(t, 1)
	f.node("n1")
	f.runningPod("a", "n1", web, true)
	p := f.runningPod("done", "n1", web, false).DeepCopy()
	p.Status.Phase = corev1.PodSucceeded
	_, err := f.Admin.UpdateStatus(p)
	require.NoError(t, err)
	in := intstr.FromInt32(1)
	f.create(&policyv1.PodDisruptionBudget{ObjectMeta: metav1.ObjectMeta{Name: "pdb", Namespace: "default"},
		Spec: policyv1.PodDisruptionBudgetSpec{MinAvailable: &in, Selector: &metav1.LabelSelector{MatchLabels: web}}})
	require.NoError(t, f.Admin.Evict("default", "done"))
	_, ok := f.Store.Get("Pod", "default", "done")
	require.False(t, ok, "a finished pod is removed at once")
	require.True(t, apierrors.IsTooManyRequests(f.Admin.Evict("default", "a")))
}

func TestDisruptionsAllowed(t *testing.T) {
	web := map[string]string{"app": "web"}
	is := func(s string) *intstr.IntOrString { v := intstr.FromString(s); return &v }
	in := func(n int32) *intstr.IntOrString { v := intstr.FromInt32(n); return &v }
	f := newFixture(t, 1)
	f.node("n1")
	for i := 0; i < 5; i++ {
		f.runningPod(fmt.Sprintf("w-%d", i), "n1", web, i < 4) // 4 ready, 1 not
	}
	tests := []struct {
		name string
		spec policyv1.PodDisruptionBudgetSpec
		want int32
	}{
		{"minAvailable 2", policyv1.PodDisruptionBudgetSpec{MinAvailable: in(2)}, 2},
		{"minAvailable 4", policyv1.PodDisruptionBudgetSpec{MinAvailable: in(4)}, 0},
		{"minAvailable 5 is clamped at 0", policyv1.PodDisruptionBudgetSpec{MinAvailable: in(5)}, 0},
		{"minAvailable 30% of 5 = 2", policyv1.PodDisruptionBudgetSpec{MinAvailable: is("30%")}, 2},
		{"maxUnavailable 1 → 4 desired", policyv1.PodDisruptionBudgetSpec{MaxUnavailable: in(1)}, 0},
		{"maxUnavailable 2 → 3 desired", policyv1.PodDisruptionBudgetSpec{MaxUnavailable: in(2)}, 1},
		{"maxUnavailable 30% of 5 = 2 → 3 desired", policyv1.PodDisruptionBudgetSpec{MaxUnavailable: is("30%")}, 1},
		{"maxUnavailable above count → 0 desired", policyv1.PodDisruptionBudgetSpec{MaxUnavailable: in(9)}, 4},
	}
	for _, tc := range tests {
		spec := tc.spec
		spec.Selector = &metav1.LabelSelector{MatchLabels: web}
		pdb := &policyv1.PodDisruptionBudget{ObjectMeta: metav1.ObjectMeta{Name: "pdb", Namespace: "default"}, Spec: spec}
		require.Equal(t, tc.want, apiserver.DisruptionsAllowed(f.Store, pdb), tc.name)
	}
}
