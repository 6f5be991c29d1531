package apiserver_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/kubesim/kubesim/sim/store"
	"github.com/kubesim/kubesim/sim/store/storetest"
)

// TestEveryKindFollowsTheKindTable: for every kind of the store's kind
// table the API server sets metadata.generation as the table says, a
// status write through the status subresource ignores everything but the
// status (kinds without one are written whole), and scale works exactly
// for the kinds with a scale subresource.
func TestEveryKindFollowsTheKindTable(t *testing.T) {
	for _, kind := range store.Kinds() {
		info, _ := store.LookupKind(kind)
		t.Run(kind, func(t *testing.T) {
			f := newFixture(t, 1)
			sample, err := storetest.Sample(kind)
			require.NoError(t, err)
			created := f.create(sample)
			ns, name := created.GetNamespace(), created.GetName()
			want := int64(0)
			if info.Generation {
				want = 1
			}
			require.Equal(t, want, created.GetGeneration(), "generation on create")

			labelled := created.DeepCopyObject().(store.Object)
			labelled.SetLabels(map[string]string{"tier": "gold"})
			out, err := f.Admin.Update(labelled)
			require.NoError(t, err)
			require.Equal(t, want, out.GetGeneration(), "a metadata change is not a spec change")
			require.Equal(t, "gold", out.GetLabels()["tier"])

			relabelled := out.DeepCopyObject().(store.Object)
			relabelled.SetLabels(map[string]string{"tier": "silver"})
			out, err = f.Admin.UpdateStatus(relabelled)
			require.NoError(t, err)
			if info.HasSubresource("status") {
				require.Equal(t, "gold", out.GetLabels()["tier"], "the status subresource ignores metadata")
			} else {
				require.Equal(t, "silver", out.GetLabels()["tier"], "without a status subresource the object is written whole")
			}

			err = f.Admin.Scale(kind, ns, name, 2)
			if info.HasSubresource("scale") {
				require.NoError(t, err)
				require.Equal(t, want+1, f.get(kind, ns, name).GetGeneration(), "scaling changes the spec")
			} else {
				require.ErrorContains(t, err, "does not have a scale subresource")
			}
		})
	}
}
