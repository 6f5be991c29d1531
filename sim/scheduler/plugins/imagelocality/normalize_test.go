package imagelocality

import (
	"testing"

	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"

	st "github.com/kubesim/kubesim/sim/scheduler/internal/schedtest"
)

// The kubelet reports fully qualified names (plus the image ID); pods use
// short ones. 500MiB on 2 of 4 nodes scales to 250MiB -> score 23.
func TestScoreMatchesQualifiedNodeImages(t *testing.T) {
	const id = "sha256:2d8c2a3e0e0f6b2c7a1f8e5d4c3b2a19080706050403020100f0e0d0c0b0a090"
	nodes := []*corev1.Node{
		st.Node("a", "1", "1Gi", 10).Image("docker.io/library/nginx:1.27", 500*mb).Obj(),
		st.Node("b", "1", "1Gi", 10).Obj(),
		st.Node("c", "1", "1Gi", 10).Image("docker.io/library/nginx:1.26", 500*mb).Obj(),
		st.Node("d", "1", "1Gi", 10).Obj(),
	}
	// b lists the same image under its ID, its short and its qualified
	// name: it counts once.
	nodes[1].Status.Images = []corev1.ContainerImage{{Names: []string{id, "nginx:1.27", "docker.io/library/nginx:1.27"}, SizeBytes: 500 * mb}}
	c := st.Snapshot(nodes, nil)
	require.Equal(t, 2, c.Get("a").NormalizedImages["docker.io/library/nginx:1.27"].NumNodes)
	want := map[string]int64{"a": 23, "b": 23, "c": 0, "d": 0}
	for _, image := range []string{"nginx:1.27", "docker.io/library/nginx:1.27", "library/nginx:1.27", "index.docker.io/library/nginx:1.27"} {
		pl := New(c)
		got, status := st.Scores(pl, c, st.Pod("p").Image(image).Obj())
		require.True(t, status.IsSuccess())
		require.Equal(t, want, got, image)
		// Normalised once per image string, then served from the cache.
		require.Equal(t, map[string]string{image: "docker.io/library/nginx:1.27"}, pl.normalized)
	}
	// Removing b's image releases its single count.
	nb := nodes[1].DeepCopy()
	nb.Status.Images = nil
	c.UpdateNode(nodes[1], nb)
	require.Equal(t, 1, c.Get("a").NormalizedImages["docker.io/library/nginx:1.27"].NumNodes)
	got, _ := st.Scores(New(c), c, st.Pod("p").Image("nginx:1.27").Obj())
	// 500MiB on 1 of 4 nodes: 125MiB -> 100*(125-23)/977 = 10.
	require.Equal(t, map[string]int64{"a": 10, "b": 0, "c": 0, "d": 0}, got)
}
