package imagelocality

import (
	"fmt"
	"math/bits"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"

	"github.com/kubesim/kubesim/sim/kubelet/images"
	"github.com/kubesim/kubesim/sim/scheduler/cache"
	"github.com/kubesim/kubesim/sim/scheduler/framework"
	st "github.com/kubesim/kubesim/sim/scheduler/internal/schedtest"
)

// spellings lists images under the names nodes and pods may use for them;
// every spelling of one row normalises to the same name.
var spellings = [][]string{
	{"nginx:1.27", "docker.io/library/nginx:1.27", "library/nginx:1.27", "index.docker.io/library/nginx:1.27"},
	{"nginx:1.26", "docker.io/library/nginx:1.26"},
	{"redis:7", "docker.io/library/redis:7"},
	{"busybox", "busybox:latest", "docker.io/library/busybox:latest"},
	{"ghcr.io/x/app:2"},
	{"registry.k8s.io/pause:3.9"},
	{"quay.io/y/big:1"},
}

// refScores is the straightforward string-based score: normalise every
// name, count nodes per normalised name from the node objects themselves.
func refScores(nodes map[string]*corev1.Node, sizes map[string]int64, pod *corev1.Pod) map[string]int64 {
	onNode := map[string]map[string]bool{}
	numNodes := map[string]int{}
	for name, n := range nodes {
		set := map[string]bool{}
		for _, img := range n.Status.Images {
			for _, raw := range img.Names {
				set[images.Normalize(raw)] = true
			}
		}
		for img := range set {
			numNodes[img]++
		}
		onNode[name] = set
	}
	var podImages []string
	for _, c := range append(append([]corev1.Container(nil), pod.Spec.InitContainers...), pod.Spec.Containers...) {
		podImages = append(podImages, images.Normalize(c.Image))
	}
	want := map[string]int64{}
	for name := range nodes {
		var sum int64
		for _, img := range podImages {
			if onNode[name][img] {
				sum += int64(float64(sizes[img]) * float64(numNodes[img]) / float64(len(nodes)))
			}
		}
		want[name] = CalculatePriority(sum, len(podImages))
	}
	return want
}

func randomNode(r *rand.Rand, name string, sizes []int64) *corev1.Node {
	n := st.Node(name, "4", "16Gi", 110).Obj()
	for range r.IntN(5) {
		i := r.IntN(len(spellings))
		img := corev1.ContainerImage{SizeBytes: sizes[i]}
		for range 1 + r.IntN(3) { // several spellings, maybe repeated
			img.Names = append(img.Names, spellings[i][r.IntN(len(spellings[i]))])
		}
		if r.IntN(3) == 0 {
			img.Names = append(img.Names, fmt.Sprintf("sha256:%064x", i))
		}
		n.Status.Images = append(n.Status.Images, img)
	}
	return n
}

func randomPod(r *rand.Rand) *corev1.Pod {
	pick := func() string {
		if r.IntN(6) == 0 {
			return "never-pulled:1"
		}
		i := r.IntN(len(spellings))
		return spellings[i][r.IntN(len(spellings[i]))]
	}
	p := st.Pod("p").Image(pick()).Obj()
	for range r.IntN(3) {
		p.Spec.Containers = append(p.Spec.Containers, corev1.Container{Name: "c", Image: pick()})
	}
	if r.IntN(3) == 0 {
		p.Spec.InitContainers = []corev1.Container{{Name: "init", Image: pick()}}
	}
	return p
}

// TestIDScoresMatchStringReference adds, updates and removes nodes at
// random and checks after every change that both the per-node and the
// batch scores equal the string-based reference, with one plugin kept
// across changes (its cached ids must stay valid).
func TestIDScoresMatchStringReference(t *testing.T) {
	for seed := range uint64(20) {
		r := rand.New(rand.NewPCG(seed, 7))
		sizes := make([]int64, len(spellings))
		bySize := map[string]int64{}
		for i := range spellings {
			sizes[i] = (10 + r.Int64N(1500)) * mb
			bySize[images.Normalize(spellings[i][0])] = sizes[i]
		}
		c := cache.New()
		nodes := map[string]*corev1.Node{}
		pl := New(c)
		for step := range 80 {
			mutate(r, c, nodes, sizes, fmt.Sprint(step))
			pod := randomPod(r)
			want := refScores(nodes, bySize, pod)
			got, status := st.Scores(pl, c, pod)
			require.True(t, status.IsSuccess())
			require.Equal(t, want, got, "seed %d step %d per node", seed, step)
			require.Equal(t, want, batchScores(pl, c, pod), "seed %d step %d batch", seed, step)
			checkImageIDs(t, c)
		}
	}
}

// mutate adds, updates or removes one node, in c and in the model.
func mutate(r *rand.Rand, c *cache.Cache, nodes map[string]*corev1.Node, sizes []int64, suffix string) {
	name := fmt.Sprintf("n%d", r.IntN(12))
	old, ok := nodes[name]
	switch {
	case !ok:
		n := randomNode(r, name, sizes)
		c.AddNode(n)
		nodes[name] = n
	case r.IntN(4) == 0:
		c.RemoveNode(old)
		delete(nodes, name)
	default:
		n := randomNode(r, name, sizes)
		n.ResourceVersion = suffix
		c.UpdateNode(old, n)
		nodes[name] = n
	}
}

func batchScores(pl *ImageLocality, c *cache.Cache, pod *corev1.Pod) map[string]int64 {
	state := framework.NewCycleState()
	nodes := c.NodeInfos()
	pl.PreScore(state, pod, nodes)
	scores := make([]framework.NodeScore, len(nodes))
	pl.ScoreNodes(state, pod, nodes, scores)
	got := map[string]int64{}
	for i, ni := range nodes {
		got[ni.Name()] = scores[i].Score
	}
	return got
}

// checkImageIDs asserts that each node's ids are ascending and name
// exactly its normalised images, whose summaries the cache serves by id.
func checkImageIDs(t *testing.T, c *cache.Cache) {
	for _, ni := range c.NodeInfos() {
		require.Len(t, ni.ImageIDs, len(ni.NormalizedImages))
		for i := 1; i < len(ni.ImageIDs); i++ {
			require.Less(t, ni.ImageIDs[i-1], ni.ImageIDs[i])
		}
		for name, s := range ni.NormalizedImages {
			id, ok := c.ImageID(name)
			require.True(t, ok, name)
			require.True(t, ni.HasImage(id), name)
			require.Same(t, s, c.ImageSummary(id), name)
		}
	}
	// Each image's bitset has exactly its NumNodes bits.
	for id := int32(0); c.ImageNodes(id) != nil || c.ImageSummary(id) != nil; id++ {
		n := 0
		for _, w := range c.ImageNodes(id) {
			n += bits.OnesCount64(w)
		}
		if s := c.ImageSummary(id); s != nil {
			require.Equal(t, s.NumNodes, n, "image %d", id)
		} else {
			require.Zero(t, n, "image %d", id)
		}
	}
}
