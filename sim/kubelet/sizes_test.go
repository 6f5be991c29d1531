package kubelet

import (
	"testing"
	"unsafe"

	"github.com/stretchr/testify/require"
)

// TestKubeletStateSizes: a node keeps a podState per pod and a container
// per container for as long as the pod runs (150,000 of each in a
// 150,000-pod run). A new field that overflows the size class the heap
// rounds them to costs every pod the next class (384 -> 416 bytes,
// 320 -> 352; a pod of one container, podWithOne, 704 -> 768): make
// room rather than raising these bounds.
func TestKubeletStateSizes(t *testing.T) {
	require.LessOrEqual(t, unsafe.Sizeof(podState{}), uintptr(384), "podState")
	require.LessOrEqual(t, unsafe.Sizeof(container{}), uintptr(320), "container")
	require.LessOrEqual(t, unsafe.Sizeof(podWithOne{}), uintptr(704), "podWithOne: a podState, a container and a pointer")
}
