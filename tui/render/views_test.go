package render

import (
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/kubesim/kubesim/live"
	"github.com/kubesim/kubesim/sim/store"
)

// TestViewNamesFromTheKindTable: every name kubectl accepts for a kind
// with a view opens it (`:po`, `:statefulsets`, `:deployments.apps`), and
// a kind without a view is refused.
func TestViewNamesFromTheKindTable(t *testing.T) {
	v := &live.View{}
	for kind, mode := range viewModes {
		info, ok := store.LookupKind(kind)
		require.True(t, ok, kind)
		for _, name := range append(info.Names(), info.Kind) {
			n, err := Nav{}.Command(v, name)
			require.NoError(t, err, name)
			require.Equal(t, mode, n.Mode, name)
			if mode == ModeWorkloads {
				require.Equal(t, kind, n.Kind, name)
			}
		}
	}
	_, err := Nav{}.Command(v, "cm")
	require.ErrorContains(t, err, "unknown view")
}

// TestPodOrderIsTheKeysOrder: the pods view sorts without building keys,
// in the order of the keys "namespace/name" (etcd's, kubectl's), also
// when one namespace is a prefix of another ("a" and "a-b": '-' sorts
// before '/').
func TestPodOrderIsTheKeysOrder(t *testing.T) {
	var pods []*live.PodView
	for _, ns := range []string{"a", "a-b", "ab", "b", "default", "kube-system", "a.b", "a0"} {
		for _, name := range []string{"x", "web-1", "a", "web"} {
			pods = append(pods, &live.PodView{Namespace: ns, Name: name})
		}
	}
	byKey := slices.Clone(pods)
	slices.SortFunc(byKey, func(a, b *live.PodView) int {
		return strings.Compare(a.Namespace+"/"+a.Name, b.Namespace+"/"+b.Name)
	})
	for i, a := range pods {
		for _, b := range pods[i:] {
			want := strings.Compare(a.Namespace+"/"+a.Name, b.Namespace+"/"+b.Name)
			require.Equal(t, want, podOrder(a, b), "%s/%s vs %s/%s", a.Namespace, a.Name, b.Namespace, b.Name)
			require.Equal(t, -want, podOrder(b, a))
		}
	}
	got := slices.Clone(pods)
	slices.SortFunc(got, podOrder)
	require.Equal(t, byKey, got)
}
