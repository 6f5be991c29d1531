package imagelocality

// Ported from upstream, inputs and expected values unchanged, harness
// adapted (nodes go through our scheduler cache, which keeps the image
// states; scores compared by node name; each case one row, scored
// building it, the pod specs and node images from podSpec and image):
//   kubernetes v1.37.2 pkg/scheduler/framework/plugins/imagelocality/image_locality_test.go
//     TestImageLocalityPriority
// Not ported: TestImageSignature (pod signatures for opportunistic
// batching, not modelled) and TestNormalizedImageName (upstream only
// appends ":latest"; the simulator's cache and plugin compare fully
// qualified references on both sides, see normalize_test.go, so the
// helper has no counterpart; the names in the table below resolve the
// same either way).

import (
	"fmt"
	"testing"

	v1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	fwk "github.com/kubesim/kubesim/sim/scheduler/framework"
	"github.com/kubesim/kubesim/sim/scheduler/internal/schedtest"
)

type nodeScore = schedtest.NodeScore

func TestImageLocalityPriorityUpstream(t *testing.T) {
	test40250 := podSpec("gcr.io/40", "gcr.io/250")
	test40300 := podSpec("gcr.io/40", "gcr.io/300")
	testMinMax := podSpec("gcr.io/10", "gcr.io/4000")
	test300600900 := podSpec("gcr.io/300", "gcr.io/600", "gcr.io/900")
	test3040 := podSpec("gcr.io/30", "gcr.io/40")
	testImageVolume := podSpec("gcr.io/30")
	testImageVolume.Volumes = []v1.Volume{{Name: "imageVolume",
		VolumeSource: v1.VolumeSource{Image: &v1.ImageVolumeSource{Reference: "gcr.io/300"}}}}
	test30300AsContainers := podSpec("gcr.io/30", "gcr.io/300")
	test30Init300 := podSpec("gcr.io/30")
	test30Init300.InitContainers = []v1.Container{{Image: "gcr.io/300"}}

	node403002000 := imagesOf(
		image(40, "gcr.io/40:latest", "gcr.io/40:v1", "gcr.io/40:v1"),
		image(300, "gcr.io/300:latest", "gcr.io/300:v1"),
		image(2000, "gcr.io/2000:latest"))
	node25010 := imagesOf(image(250, "gcr.io/250:latest"), image(10, "gcr.io/10:latest", "gcr.io/10:v1"))
	node60040900 := imagesOf(image(600, "gcr.io/600:latest"), image(40, "gcr.io/40:latest"), image(900, "gcr.io/900:latest"))
	node300600900 := imagesOf(image(300, "gcr.io/300:latest"), image(600, "gcr.io/600:latest"), image(900, "gcr.io/900:latest"))
	node400030 := imagesOf(image(4000, "gcr.io/4000:latest"), image(30, "gcr.io/30:latest"))
	node203040 := imagesOf(image(20, "gcr.io/20:latest"), image(30, "gcr.io/30:latest"), image(40, "gcr.io/40:latest"))
	nodeWithNoImages := v1.NodeStatus{}

	// Upstream's nodes are node1, node2, ... in order, and each case
	// expects one score per node in that order.
	nodes := func(statuses ...v1.NodeStatus) []*v1.Node {
		out := make([]*v1.Node, len(statuses))
		for i, s := range statuses {
			out[i] = makeImageNode(fmt.Sprintf("node%d", i+1), s)
		}
		return out
	}
	type imageCase struct {
		pod          *v1.Pod
		nodes        []*v1.Node
		expectedList []nodeScore
		name         string
	}
	scored := func(name string, spec v1.PodSpec, nodes []*v1.Node, scores ...int64) imageCase {
		c := imageCase{pod: &v1.Pod{Spec: spec}, nodes: nodes, name: name}
		for i, n := range nodes {
			c.expectedList = append(c.expectedList, nodeScore{Name: n.Name, Score: scores[i]})
		}
		return c
	}

	tests := []imageCase{
		// Pod: gcr.io/40 gcr.io/250
		// Node1
		// Image: gcr.io/40:latest 40MB
		// Score: 0 (40M/2 < 23M, min-threshold)
		// Node2
		// Image: gcr.io/250:latest 250MB
		// Score: 100 * (250M/2 - 23M)/(1000M * 2 - 23M) = 5
		scored("two images spread on two nodes, prefer the larger image one", test40250,
			nodes(node403002000, node25010), 0, 5),

		// Pod: gcr.io/40 gcr.io/300
		// Node1
		// Image: gcr.io/40:latest 40MB, gcr.io/300:latest 300MB
		// Score: 100 * ((40M + 300M)/2 - 23M)/(1000M * 2 - 23M) = 7
		// Node2
		// Image: not present
		// Score: 0
		scored("two images on one node, prefer this node", test40300,
			nodes(node403002000, node25010), 7, 0),

		// Pod: gcr.io/4000 gcr.io/10
		// Node1
		// Image: gcr.io/4000:latest 2000MB
		// Score: 100 (4000 * 1/2 >= 1000M * 2, max-threshold)
		// Node2
		// Image: gcr.io/10:latest 10MB
		// Score: 0 (10M/2 < 23M, min-threshold)
		scored("if exceed limit, use limit", testMinMax,
			nodes(node400030, node25010), fwk.MaxNodeScore, 0),

		// Pod: gcr.io/4000 gcr.io/10
		// Node1
		// Image: gcr.io/4000:latest 4000MB
		// Score: 100 * (4000M/3 - 23M)/(1000M * 2 - 23M) = 66
		// Node2
		// Image: gcr.io/10:latest 10MB
		// Score: 0 (10M*1/3 < 23M, min-threshold)
		// Node3
		// Image:
		// Score: 0
		scored("if exceed limit, use limit (with node which has no images present)", testMinMax,
			nodes(node400030, node25010, nodeWithNoImages), 66, 0, 0),

		// Pod: gcr.io/300 gcr.io/600 gcr.io/900
		// Node1
		// Image: gcr.io/600:latest 600MB, gcr.io/900:latest 900MB
		// Score: 100 * (600M * 2/3 + 900M * 2/3 - 23M) / (1000M * 3 - 23M) = 32
		// Node2
		// Image: gcr.io/300:latest 300MB, gcr.io/600:latest 600MB, gcr.io/900:latest 900MB
		// Score: 100 * (300M * 1/3 + 600M * 2/3 + 900M * 2/3 - 23M) / (1000M *3 - 23M) = 36
		// Node3
		// Image:
		// Score: 0
		scored("pod with multiple large images, node2 is preferred", test300600900,
			nodes(node60040900, node300600900, nodeWithNoImages), 32, 36, 0),

		// Pod: gcr.io/30 gcr.io/40
		// Node1
		// Image: gcr.io/20:latest 20MB, gcr.io/30:latest 30MB, gcr.io/40:latest 40MB
		// Score: 100 * (30M + 40M * 1/2 - 23M) / (1000M * 2 - 23M) = 1
		// Node2
		// Image: 100 * (30M - 23M) / (1000M * 2 - 23M) = 0
		// Score: 0
		scored("pod with multiple small images", test3040,
			nodes(node203040, node400030), 1, 0),

		// Pod: gcr.io/30  ImageVolume: gcr.io/300
		// Node1
		// Image: gcr.io/300:latest 300MB
		// Score: 100 * (300M * 1/2 - 23M) / (1000M * 2 - 23M) = 6
		// Node2
		// Image: gcr.io/30:latest 30MB
		// Score: 0 (30M * 1/2 < 23M, min-threshold)
		scored("pod with ImageVolume", testImageVolume,
			nodes(node300600900, node400030), 6, 0),

		// Pod: gcr.io/30  gcr.io/300
		// Node1
		// Image: gcr.io/300:latest 300MB
		// Score: 100 * (300M * 1/2 - 23M) / (1000M * 2 - 23M) = 6
		// Node2
		// Image: gcr.io/30:latest 30MB
		// Score: 0 (30M * 1/2 < 23M, min-threshold)
		scored("same images as ImageVolume pod but as regular container images", test30300AsContainers,
			nodes(node300600900, node400030), 6, 0),

		// Pod: gcr.io/30  InitContainers: gcr.io/300
		// Node1
		// Image: gcr.io/40:latest 40MB, gcr.io/300:latest 300MB, gcr.io/2000:latest 2000MB
		// Score: 100 * (300M * 1/2 - 23M) / (1000M * 2 - 23M) = 6
		// Node2
		// Image: gcr.io/20:latest 20MB, gcr.io/30:latest 30MB, gcr.io/40:latest 40MB
		// Score: 100 * (30M * 1/2  - 23M) / (1000M * 2 - 23M) = 0
		scored("include InitContainers: two images spread on two nodes, prefer the larger image one", test30Init300,
			nodes(node403002000, node203040), 6, 0),
	}

	for _, test := range tests {
		t.Run(test.name, func(t *testing.T) {
			c := schedtest.Snapshot(test.nodes, nil)
			p := New(c)
			state := fwk.NewCycleState()
			var gotList []nodeScore
			for _, n := range test.nodes {
				score, status := p.Score(state, test.pod, c.Get(n.Name))
				if !status.IsSuccess() {
					t.Errorf("unexpected error: %v", status)
				}
				gotList = append(gotList, nodeScore{Name: n.Name, Score: score})
			}
			if fmt.Sprint(test.expectedList) != fmt.Sprint(gotList) {
				t.Errorf("scores: want %v, got %v", test.expectedList, gotList)
			}
			// The batch path the scheduler runs gives the same scores.
			if st := p.PreScore(state, test.pod, c.NodeInfos()); !st.IsSuccess() {
				t.Fatalf("PreScore: %v", st)
			}
			scores := make([]fwk.NodeScore, len(test.nodes))
			infos := make([]*fwk.NodeInfo, len(test.nodes))
			for i, n := range test.nodes {
				infos[i] = c.Get(n.Name)
				scores[i].Node = infos[i]
			}
			if st := p.ScoreNodes(state, test.pod, infos, scores); !st.IsSuccess() {
				t.Fatalf("ScoreNodes: %v", st)
			}
			var batch []nodeScore
			for _, s := range scores {
				batch = append(batch, nodeScore{Name: s.Node.Name(), Score: s.Score})
			}
			if fmt.Sprint(test.expectedList) != fmt.Sprint(batch) {
				t.Errorf("batch scores: want %v, got %v", test.expectedList, batch)
			}
		})
	}
}

// podSpec is a pod spec with one container per image.
func podSpec(images ...string) v1.PodSpec {
	var spec v1.PodSpec
	for _, img := range images {
		spec.Containers = append(spec.Containers, v1.Container{Image: img})
	}
	return spec
}

// image is a node's image of sizeMB megabytes known by those names.
func image(sizeMB int64, names ...string) v1.ContainerImage {
	return v1.ContainerImage{Names: names, SizeBytes: sizeMB * mb}
}

// imagesOf is a node status listing those images.
func imagesOf(images ...v1.ContainerImage) v1.NodeStatus { return v1.NodeStatus{Images: images} }

func makeImageNode(node string, status v1.NodeStatus) *v1.Node {
	return &v1.Node{
		ObjectMeta: metav1.ObjectMeta{Name: node},
		Status:     status,
	}
}
