package framework

import (
	"testing"

	"github.com/stretchr/testify/require"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
)

// EqualityHint picks, among the requirements with exactly one distinct
// value (Equals, or In with one value however often repeated), the one
// with the smallest key.
func TestEqualityHint(t *testing.T) {
	in := func(key string, values ...string) metav1.LabelSelectorRequirement {
		return metav1.LabelSelectorRequirement{Key: key, Operator: metav1.LabelSelectorOpIn, Values: values}
	}
	for _, tc := range []struct {
		name           string
		sel            *metav1.LabelSelector
		wantKey, wantV string
		wantOK         bool
	}{
		{"match labels: smallest key", &metav1.LabelSelector{MatchLabels: map[string]string{"b": "2", "a": "1"}}, "a", "1", true},
		{"in one value", &metav1.LabelSelector{MatchExpressions: []metav1.LabelSelectorRequirement{in("k", "v")}}, "k", "v", true},
		{"in one value twice", &metav1.LabelSelector{MatchExpressions: []metav1.LabelSelectorRequirement{in("k", "v", "v")}}, "k", "v", true},
		{"in two values", &metav1.LabelSelector{MatchExpressions: []metav1.LabelSelectorRequirement{in("k", "v", "w")}}, "", "", false},
		{"in two values, then an equality", &metav1.LabelSelector{MatchLabels: map[string]string{"z": "1"},
			MatchExpressions: []metav1.LabelSelectorRequirement{in("a", "v", "w")}}, "z", "1", true},
		{"not in", &metav1.LabelSelector{MatchExpressions: []metav1.LabelSelectorRequirement{{Key: "k", Operator: metav1.LabelSelectorOpNotIn, Values: []string{"v"}}}}, "", "", false},
		{"exists", &metav1.LabelSelector{MatchExpressions: []metav1.LabelSelectorRequirement{{Key: "k", Operator: metav1.LabelSelectorOpExists}}}, "", "", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sel, err := metav1.LabelSelectorAsSelector(tc.sel)
			require.NoError(t, err)
			k, v, ok := EqualityHint(sel)
			require.Equal(t, tc.wantOK, ok)
			require.Equal(t, tc.wantKey, k)
			require.Equal(t, tc.wantV, v)
		})
	}
	var nothing labels.Selector
	_, _, ok := EqualityHint(nothing)
	require.False(t, ok)
}
