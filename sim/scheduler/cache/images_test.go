package cache_test

import (
	"testing"

	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"

	st "github.com/kubesim/kubesim/sim/scheduler/internal/schedtest"
)

// Ids follow first appearance in event order; spellings of one image
// share an id; an image no node has keeps its id but loses its summary.
func TestImageIDs(t *testing.T) {
	a := st.Node("a", "1", "1Gi", 10).Image("redis:7", 30*mb).Image("nginx:1.27", 50*mb).Obj()
	b := st.Node("b", "1", "1Gi", 10).Image("docker.io/library/nginx:1.27", 50*mb).Image("busybox", 5*mb).Obj()
	c := st.Snapshot([]*corev1.Node{a, b}, nil)
	for want, name := range []string{"docker.io/library/redis:7", "docker.io/library/nginx:1.27", "docker.io/library/busybox:latest"} {
		id, ok := c.ImageID(name)
		require.True(t, ok, name)
		require.Equal(t, int32(want), id, name)
	}
	_, ok := c.ImageID("nginx:1.27") // only normalised names are interned
	require.False(t, ok)
	require.Equal(t, []int32{0, 1}, c.Get("a").ImageIDs)
	require.Equal(t, []int32{1, 2}, c.Get("b").ImageIDs)
	require.Equal(t, 2, c.ImageSummary(1).NumNodes)

	c.RemoveNode(a)
	require.Nil(t, c.ImageSummary(0))
	require.Equal(t, 1, c.ImageSummary(1).NumNodes)
	require.Nil(t, c.ImageSummary(7))
	c.AddNode(a)
	require.Equal(t, []int32{0, 1}, c.Get("a").ImageIDs)
	require.Equal(t, int64(30*mb), c.ImageSummary(0).Size)
}

// Nodes holding images get bitset slots; a freed slot is reused.
func TestImageNodeSlots(t *testing.T) {
	a := st.Node("a", "1", "1Gi", 10).Image("nginx:1.27", 50*mb).Obj()
	b := st.Node("b", "1", "1Gi", 10).Obj()
	d := st.Node("d", "1", "1Gi", 10).Image("nginx:1.27", 50*mb).Image("redis:7", 30*mb).Obj()
	c := st.Snapshot([]*corev1.Node{a, b, d}, nil)
	require.Equal(t, int32(0), c.Get("a").ImageSlot)
	require.Equal(t, int32(1), c.Get("d").ImageSlot)
	require.Equal(t, []uint64{0b11}, c.ImageNodes(0))
	require.Equal(t, []uint64{0b10}, c.ImageNodes(1))

	c.RemoveNode(a)
	require.Equal(t, []uint64{0b10}, c.ImageNodes(0))
	nb := b.DeepCopy()
	nb.Status.Images = []corev1.ContainerImage{{Names: []string{"redis:7"}, SizeBytes: 30 * mb}}
	c.UpdateNode(b, nb)
	require.Equal(t, int32(0), c.Get("b").ImageSlot)
	require.Equal(t, []uint64{0b11}, c.ImageNodes(1))
	require.Nil(t, c.ImageNodes(9))
}

const mb = 1024 * 1024
