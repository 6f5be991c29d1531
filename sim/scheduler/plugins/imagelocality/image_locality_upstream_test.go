package imagelocality

// Ported from upstream, inputs and expected values unchanged, harness
// adapted (nodes go through our scheduler cache, which keeps the image
// states; scores compared by node name):
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
	test40250 := v1.PodSpec{
		Containers: []v1.Container{
			{

				Image: "gcr.io/40",
			},
			{
				Image: "gcr.io/250",
			},
		},
	}

	test40300 := v1.PodSpec{
		Containers: []v1.Container{
			{
				Image: "gcr.io/40",
			},
			{
				Image: "gcr.io/300",
			},
		},
	}

	testMinMax := v1.PodSpec{
		Containers: []v1.Container{
			{
				Image: "gcr.io/10",
			},
			{
				Image: "gcr.io/4000",
			},
		},
	}

	test300600900 := v1.PodSpec{
		Containers: []v1.Container{
			{
				Image: "gcr.io/300",
			},
			{
				Image: "gcr.io/600",
			},
			{
				Image: "gcr.io/900",
			},
		},
	}

	test3040 := v1.PodSpec{
		Containers: []v1.Container{
			{
				Image: "gcr.io/30",
			},
			{
				Image: "gcr.io/40",
			},
		},
	}

	testImageVolume := v1.PodSpec{
		Containers: []v1.Container{
			{
				Image: "gcr.io/30",
			},
		},
		Volumes: []v1.Volume{
			{
				Name: "imageVolume",
				VolumeSource: v1.VolumeSource{
					Image: &v1.ImageVolumeSource{
						Reference: "gcr.io/300",
					},
				},
			},
		},
	}

	test30300AsContainers := v1.PodSpec{
		Containers: []v1.Container{
			{
				Image: "gcr.io/30",
			},
			{
				Image: "gcr.io/300",
			},
		},
	}

	test30Init300 := v1.PodSpec{
		Containers: []v1.Container{
			{
				Image: "gcr.io/30",
			},
		},
		InitContainers: []v1.Container{
			{Image: "gcr.io/300"},
		},
	}

	node403002000 := v1.NodeStatus{
		Images: []v1.ContainerImage{
			{
				Names: []string{
					"gcr.io/40:latest",
					"gcr.io/40:v1",
					"gcr.io/40:v1",
				},
				SizeBytes: int64(40 * mb),
			},
			{
				Names: []string{
					"gcr.io/300:latest",
					"gcr.io/300:v1",
				},
				SizeBytes: int64(300 * mb),
			},
			{
				Names: []string{
					"gcr.io/2000:latest",
				},
				SizeBytes: int64(2000 * mb),
			},
		},
	}

	node25010 := v1.NodeStatus{
		Images: []v1.ContainerImage{
			{
				Names: []string{
					"gcr.io/250:latest",
				},
				SizeBytes: int64(250 * mb),
			},
			{
				Names: []string{
					"gcr.io/10:latest",
					"gcr.io/10:v1",
				},
				SizeBytes: int64(10 * mb),
			},
		},
	}

	node60040900 := v1.NodeStatus{
		Images: []v1.ContainerImage{
			{
				Names: []string{
					"gcr.io/600:latest",
				},
				SizeBytes: int64(600 * mb),
			},
			{
				Names: []string{
					"gcr.io/40:latest",
				},
				SizeBytes: int64(40 * mb),
			},
			{
				Names: []string{
					"gcr.io/900:latest",
				},
				SizeBytes: int64(900 * mb),
			},
		},
	}

	node300600900 := v1.NodeStatus{
		Images: []v1.ContainerImage{
			{
				Names: []string{
					"gcr.io/300:latest",
				},
				SizeBytes: int64(300 * mb),
			},
			{
				Names: []string{
					"gcr.io/600:latest",
				},
				SizeBytes: int64(600 * mb),
			},
			{
				Names: []string{
					"gcr.io/900:latest",
				},
				SizeBytes: int64(900 * mb),
			},
		},
	}

	node400030 := v1.NodeStatus{
		Images: []v1.ContainerImage{
			{
				Names: []string{
					"gcr.io/4000:latest",
				},
				SizeBytes: int64(4000 * mb),
			},
			{
				Names: []string{
					"gcr.io/30:latest",
				},
				SizeBytes: int64(30 * mb),
			},
		},
	}

	node203040 := v1.NodeStatus{
		Images: []v1.ContainerImage{
			{
				Names: []string{
					"gcr.io/20:latest",
				},
				SizeBytes: int64(20 * mb),
			},
			{
				Names: []string{
					"gcr.io/30:latest",
				},
				SizeBytes: int64(30 * mb),
			},
			{
				Names: []string{
					"gcr.io/40:latest",
				},
				SizeBytes: int64(40 * mb),
			},
		},
	}

	nodeWithNoImages := v1.NodeStatus{}

	tests := []struct {
		pod          *v1.Pod
		pods         []*v1.Pod
		nodes        []*v1.Node
		expectedList []nodeScore
		name         string
	}{
		{
			// Pod: gcr.io/40 gcr.io/250

			// Node1
			// Image: gcr.io/40:latest 40MB
			// Score: 0 (40M/2 < 23M, min-threshold)

			// Node2
			// Image: gcr.io/250:latest 250MB
			// Score: 100 * (250M/2 - 23M)/(1000M * 2 - 23M) = 5
			pod:          &v1.Pod{Spec: test40250},
			nodes:        []*v1.Node{makeImageNode("node1", node403002000), makeImageNode("node2", node25010)},
			expectedList: []nodeScore{{Name: "node1", Score: 0}, {Name: "node2", Score: 5}},
			name:         "two images spread on two nodes, prefer the larger image one",
		},
		{
			// Pod: gcr.io/40 gcr.io/300

			// Node1
			// Image: gcr.io/40:latest 40MB, gcr.io/300:latest 300MB
			// Score: 100 * ((40M + 300M)/2 - 23M)/(1000M * 2 - 23M) = 7

			// Node2
			// Image: not present
			// Score: 0
			pod:          &v1.Pod{Spec: test40300},
			nodes:        []*v1.Node{makeImageNode("node1", node403002000), makeImageNode("node2", node25010)},
			expectedList: []nodeScore{{Name: "node1", Score: 7}, {Name: "node2", Score: 0}},
			name:         "two images on one node, prefer this node",
		},
		{
			// Pod: gcr.io/4000 gcr.io/10

			// Node1
			// Image: gcr.io/4000:latest 2000MB
			// Score: 100 (4000 * 1/2 >= 1000M * 2, max-threshold)

			// Node2
			// Image: gcr.io/10:latest 10MB
			// Score: 0 (10M/2 < 23M, min-threshold)
			pod:          &v1.Pod{Spec: testMinMax},
			nodes:        []*v1.Node{makeImageNode("node1", node400030), makeImageNode("node2", node25010)},
			expectedList: []nodeScore{{Name: "node1", Score: fwk.MaxNodeScore}, {Name: "node2", Score: 0}},
			name:         "if exceed limit, use limit",
		},
		{
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
			pod:          &v1.Pod{Spec: testMinMax},
			nodes:        []*v1.Node{makeImageNode("node1", node400030), makeImageNode("node2", node25010), makeImageNode("node3", nodeWithNoImages)},
			expectedList: []nodeScore{{Name: "node1", Score: 66}, {Name: "node2", Score: 0}, {Name: "node3", Score: 0}},
			name:         "if exceed limit, use limit (with node which has no images present)",
		},
		{
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
			pod:          &v1.Pod{Spec: test300600900},
			nodes:        []*v1.Node{makeImageNode("node1", node60040900), makeImageNode("node2", node300600900), makeImageNode("node3", nodeWithNoImages)},
			expectedList: []nodeScore{{Name: "node1", Score: 32}, {Name: "node2", Score: 36}, {Name: "node3", Score: 0}},
			name:         "pod with multiple large images, node2 is preferred",
		},
		{
			// Pod: gcr.io/30 gcr.io/40

			// Node1
			// Image: gcr.io/20:latest 20MB, gcr.io/30:latest 30MB, gcr.io/40:latest 40MB
			// Score: 100 * (30M + 40M * 1/2 - 23M) / (1000M * 2 - 23M) = 1

			// Node2
			// Image: 100 * (30M - 23M) / (1000M * 2 - 23M) = 0
			// Score: 0
			pod:          &v1.Pod{Spec: test3040},
			nodes:        []*v1.Node{makeImageNode("node1", node203040), makeImageNode("node2", node400030)},
			expectedList: []nodeScore{{Name: "node1", Score: 1}, {Name: "node2", Score: 0}},
			name:         "pod with multiple small images",
		},
		{
			// Pod: gcr.io/30  ImageVolume: gcr.io/300

			// Node1
			// Image: gcr.io/300:latest 300MB
			// Score: 100 * (300M * 1/2 - 23M) / (1000M * 2 - 23M) = 6

			// Node2
			// Image: gcr.io/30:latest 30MB
			// Score: 0 (30M * 1/2 < 23M, min-threshold)
			pod:          &v1.Pod{Spec: testImageVolume},
			nodes:        []*v1.Node{makeImageNode("node1", node300600900), makeImageNode("node2", node400030)},
			expectedList: []nodeScore{{Name: "node1", Score: 6}, {Name: "node2", Score: 0}},
			name:         "pod with ImageVolume",
		},
		{
			// Pod: gcr.io/30  gcr.io/300

			// Node1
			// Image: gcr.io/300:latest 300MB
			// Score: 100 * (300M * 1/2 - 23M) / (1000M * 2 - 23M) = 6

			// Node2
			// Image: gcr.io/30:latest 30MB
			// Score: 0 (30M * 1/2 < 23M, min-threshold)
			pod:          &v1.Pod{Spec: test30300AsContainers},
			nodes:        []*v1.Node{makeImageNode("node1", node300600900), makeImageNode("node2", node400030)},
			expectedList: []nodeScore{{Name: "node1", Score: 6}, {Name: "node2", Score: 0}},
			name:         "same images as ImageVolume pod but as regular container images",
		},
		{
			// Pod: gcr.io/30  InitContainers: gcr.io/300

			// Node1
			// Image: gcr.io/40:latest 40MB, gcr.io/300:latest 300MB, gcr.io/2000:latest 2000MB
			// Score: 100 * (300M * 1/2 - 23M) / (1000M * 2 - 23M) = 6

			// Node2
			// Image: gcr.io/20:latest 20MB, gcr.io/30:latest 30MB, gcr.io/40:latest 40MB
			// Score: 100 * (30M * 1/2  - 23M) / (1000M * 2 - 23M) = 0
			pod:          &v1.Pod{Spec: test30Init300},
			nodes:        []*v1.Node{makeImageNode("node1", node403002000), makeImageNode("node2", node203040)},
			expectedList: []nodeScore{{Name: "node1", Score: 6}, {Name: "node2", Score: 0}},
			name:         "include InitContainers: two images spread on two nodes, prefer the larger image one",
		},
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

func makeImageNode(node string, status v1.NodeStatus) *v1.Node {
	return &v1.Node{
		ObjectMeta: metav1.ObjectMeta{Name: node},
		Status:     status,
	}
}
