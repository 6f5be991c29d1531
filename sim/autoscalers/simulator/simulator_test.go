package simulator_test

import (
	"testing"

	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/kubesim/kubesim/sim/apiserver"
	"github.com/kubesim/kubesim/sim/apiserver/apiservertest"
	"github.com/kubesim/kubesim/sim/autoscalers/simulator"
)

// TestMatchingPDBsFollowsPDBChanges: the PDBs a long-lived snapshot
// matches (kept between calls) are those a fresh snapshot finds, after
// each change to the PDBs: created, selector changed,
// another namespace's, deleted.
func TestMatchingPDBsFollowsPDBChanges(t *testing.T) {
	w := apiservertest.NewWorld(1, "default", "other")
	snap := simulator.New(w.Store)
	pods := []*corev1.Pod{
		{ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: "web", Labels: map[string]string{"app": "web"}}},
		{ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: "db", Labels: map[string]string{"app": "db", "tier": "data"}}},
		{ObjectMeta: metav1.ObjectMeta{Namespace: "other", Name: "web", Labels: map[string]string{"app": "web"}}},
	}
	check := func(step string, want ...[]string) {
		t.Helper()
		fresh := simulator.New(w.Store)
		for i, p := range pods {
			require.Equal(t, fresh.MatchingPDBs(p), snap.MatchingPDBs(p), "%s: %s/%s", step, p.Namespace, p.Name)
			require.Equal(t, want[i], snap.MatchingPDBs(p), "%s: %s/%s", step, p.Namespace, p.Name)
		}
	}
	pdb := func(ns, name string, sel map[string]string) *policyv1.PodDisruptionBudget {
		one := intstr.FromInt32(1)
		return &policyv1.PodDisruptionBudget{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
			Spec: policyv1.PodDisruptionBudgetSpec{MinAvailable: &one, Selector: &metav1.LabelSelector{MatchLabels: sel}}}
	}
	update := func(ns, name string, change func(*policyv1.PodDisruptionBudget)) {
		o, ok := w.Store.Get("PodDisruptionBudget", ns, name)
		require.True(t, ok)
		cp := o.(*policyv1.PodDisruptionBudget).DeepCopy()
		change(cp)
		_, err := w.Admin.Update(cp)
		require.NoError(t, err)
	}
	check("no PDB", nil, nil, nil)
	_, err := w.Admin.Create(pdb("default", "web", map[string]string{"app": "web"}))
	require.NoError(t, err)
	check("created", []string{"default/web"}, nil, nil)
	_, err = w.Admin.Create(pdb("default", "all", map[string]string{}))
	require.NoError(t, err)
	check("an empty selector selects nothing", []string{"default/web"}, nil, nil)
	update("default", "all", func(p *policyv1.PodDisruptionBudget) {
		p.Spec.Selector = &metav1.LabelSelector{MatchExpressions: []metav1.LabelSelectorRequirement{
			{Key: "app", Operator: metav1.LabelSelectorOpExists}}}
	})
	check("selector changed", []string{"default/all", "default/web"}, []string{"default/all"}, nil)
	update("default", "web", func(p *policyv1.PodDisruptionBudget) {
		p.Spec.Selector.MatchLabels = map[string]string{"tier": "data"}
	})
	check("selector moved", []string{"default/all"}, []string{"default/all", "default/web"}, nil)
	_, err = w.Admin.Create(pdb("other", "web", map[string]string{"app": "web"}))
	require.NoError(t, err)
	check("other namespace", []string{"default/all"}, []string{"default/all", "default/web"}, []string{"other/web"})
	require.NoError(t, w.Admin.Delete("PodDisruptionBudget", "default", "all", apiserver.DeleteOptions{}))
	check("deleted", nil, []string{"default/web"}, []string{"other/web"})
}
