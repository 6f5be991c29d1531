package gc

import (
	"testing"

	"github.com/stretchr/testify/require"
	coordinationv1 "k8s.io/api/coordination/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kubesim/kubesim/sim/store"
)

// TestOwnersChanged: a new version sharing its owner references' array
// with the old one (a renewal's shallow copy) did not change owners; a
// new array is compared by owner UIDs.
func TestOwnersChanged(t *testing.T) {
	refs := []metav1.OwnerReference{{Kind: "Node", Name: "n1", UID: "u1"}}
	old := &coordinationv1.Lease{ObjectMeta: metav1.ObjectMeta{Name: "n1", OwnerReferences: refs}}
	renewed := old.DeepCopy()
	renewed.OwnerReferences = refs
	require.False(t, ownersChanged(store.Event{Type: store.Modified, Object: renewed, Old: old}))

	same := old.DeepCopy() // a new array, the same owner
	require.False(t, ownersChanged(store.Event{Type: store.Modified, Object: same, Old: old}))

	other := old.DeepCopy()
	other.OwnerReferences[0].UID = "u2"
	require.True(t, ownersChanged(store.Event{Type: store.Modified, Object: other, Old: old}))

	shorter := old.DeepCopy()
	shorter.OwnerReferences = refs[:0]
	require.False(t, ownersChanged(store.Event{Type: store.Modified, Object: shorter, Old: old}), "no owners now")
	require.True(t, ownersChanged(store.Event{Type: store.Modified, Object: old, Old: shorter}), "owners added")
	require.True(t, ownersChanged(store.Event{Type: store.Added, Object: old}))
}
