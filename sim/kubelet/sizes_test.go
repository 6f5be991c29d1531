package kubelet

import (
	"runtime"
	"testing"
	"unsafe"

	"github.com/stretchr/testify/require"
)

// TestKubeletStateSizes: a node keeps a podState per pod and a container
// per container for as long as the pod runs (150,000 of each in a
// 150,000-pod run). A new field that overflows the size class the heap
// rounds them to costs every pod the next class (384 -> 416 bytes,
// 320 -> 352; a pod of one container, podWithOne, 704 -> 768): make
// room rather than raising these bounds. An object of pointers over 512
// bytes carries an 8-byte header (podWithOne: 696 bytes fill the
// 704-byte class), which the allocation itself measures.
func TestKubeletStateSizes(t *testing.T) {
	require.LessOrEqual(t, unsafe.Sizeof(podState{}), uintptr(384), "podState")
	require.LessOrEqual(t, unsafe.Sizeof(container{}), uintptr(320), "container")
	require.LessOrEqual(t, unsafe.Sizeof(podWithOne{}), uintptr(704-8), "podWithOne: a podState, a container and a pointer, and the heap's header")
	require.Less(t, allocatedBytes(func() any { return &podWithOne{} }), uint64(768), "podWithOne as allocated")
	// Every status write allocates a podVersion: its room must stay within
	// the 2,304-byte class its pod, conditions and container status take.
	require.LessOrEqual(t, allocatedBytes(func() any { return &podVersion{} }), uint64(2304), "podVersion as allocated")
}

// allocatedBytes is what the heap takes for each object alloc returns.
func allocatedBytes(alloc func() any) uint64 {
	const n = 10_000
	keep := make([]any, n)
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	for i := range keep {
		keep[i] = alloc()
	}
	runtime.ReadMemStats(&after)
	runtime.KeepAlive(keep)
	return (after.TotalAlloc - before.TotalAlloc) / n
}
