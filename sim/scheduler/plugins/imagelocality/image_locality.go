// Package imagelocality prefers nodes that already have the pod's
// container images, weighted by image size and by how widely the image is
// spread (an image present everywhere says nothing about a node).
package imagelocality

import (
	corev1 "k8s.io/api/core/v1"

	"github.com/kubesim/kubesim/sim/kubelet/images"
	"github.com/kubesim/kubesim/sim/scheduler/framework"
)

// Name is the plugin name.
const Name = "ImageLocality"

// Upstream's thresholds: below 23 MiB an image is not worth preferring;
// the score saturates at 1000 MiB per container.
const (
	mb                    int64 = 1024 * 1024
	minThreshold                = 23 * mb
	maxContainerThreshold       = 1000 * mb
)

const preScoreKey framework.StateKey = "PreScore" + Name

// ImageLocality is the plugin.
type ImageLocality struct {
	lister framework.SharedLister
	images []string
	// normalized caches images.Normalize per pod image string: a cluster
	// has few distinct images and parsing one costs allocations.
	normalized map[string]string
}

var (
	_ framework.BatchScorer    = &ImageLocality{}
	_ framework.PreScorePlugin = &ImageLocality{}
	_ framework.ScorePlugin    = &ImageLocality{}
)

// New returns the plugin reading node counts from lister.
func New(lister framework.SharedLister) *ImageLocality {
	return &ImageLocality{lister: lister, normalized: map[string]string{}}
}

// Name implements framework.Plugin.
func (*ImageLocality) Name() string { return Name }

// PreScore normalises the pod's image names once.
func (pl *ImageLocality) PreScore(state *framework.CycleState, pod *corev1.Pod, _ []*framework.NodeInfo) *framework.Status {
	pl.images = pl.podImages(pod, pl.images[:0])
	state.Write(preScoreKey, &pl.images)
	return nil
}

// podImages appends the pod's (init) container images in the fully
// qualified form the kubelet reports in node status ("nginx:1.27" ->
// "docker.io/library/nginx:1.27"), which the cache keys images by.
func (pl *ImageLocality) podImages(pod *corev1.Pod, dst []string) []string {
	for i := range pod.Spec.InitContainers {
		dst = append(dst, pl.normalize(pod.Spec.InitContainers[i].Image))
	}
	for i := range pod.Spec.Containers {
		dst = append(dst, pl.normalize(pod.Spec.Containers[i].Image))
	}
	return dst
}

func (pl *ImageLocality) normalize(image string) string {
	if n, ok := pl.normalized[image]; ok {
		return n
	}
	if pl.normalized == nil {
		pl.normalized = map[string]string{}
	}
	n := images.Normalize(image)
	pl.normalized[image] = n
	return n
}

// Score sums size×spread of the pod's images present on the node and
// scales it between the thresholds.
func (pl *ImageLocality) Score(state *framework.CycleState, pod *corev1.Pod, ni *framework.NodeInfo) (int64, *framework.Status) {
	imgs := pl.stateImages(state, pod)
	return nodeScore(imgs, ni, len(pl.lister.NodeInfos())), nil
}

// ScoreNodes implements framework.BatchScorer.
func (pl *ImageLocality) ScoreNodes(state *framework.CycleState, pod *corev1.Pod, nodes []*framework.NodeInfo, scores []framework.NodeScore) *framework.Status {
	imgs := pl.stateImages(state, pod)
	total := len(pl.lister.NodeInfos())
	empty := CalculatePriority(0, len(imgs)) // a node without images
	for j, ni := range nodes {
		if len(ni.NormalizedImages) == 0 {
			scores[j].Score = empty
			continue
		}
		scores[j].Score = nodeScore(imgs, ni, total)
	}
	return nil
}

func (pl *ImageLocality) stateImages(state *framework.CycleState, pod *corev1.Pod) []string {
	if v, err := state.Read(preScoreKey); err == nil {
		return *v.(*[]string)
	}
	return pl.podImages(pod, nil)
}

func nodeScore(imgs []string, ni *framework.NodeInfo, total int) int64 {
	var sum int64
	if len(ni.NormalizedImages) > 0 {
		for _, img := range imgs {
			if st, ok := ni.NormalizedImages[img]; ok {
				sum += ScaledImageScore(st, total)
			}
		}
	}
	return CalculatePriority(sum, len(imgs))
}

// ScaledImageScore is the image size scaled by the fraction of nodes that
// have it.
func ScaledImageScore(st *framework.ImageStateSummary, totalNodes int) int64 {
	if totalNodes == 0 {
		return 0
	}
	spread := float64(st.NumNodes) / float64(totalNodes)
	return int64(float64(st.Size) * spread)
}

// CalculatePriority clamps sum to [23 MiB, 1000 MiB × containers] and maps
// it linearly to [0, 100].
func CalculatePriority(sum int64, numContainers int) int64 {
	maxThreshold := maxContainerThreshold * int64(numContainers)
	if sum < minThreshold {
		sum = minThreshold
	} else if sum > maxThreshold {
		sum = maxThreshold
	}
	if maxThreshold <= minThreshold {
		return 0
	}
	return framework.MaxNodeScore * (sum - minThreshold) / (maxThreshold - minThreshold)
}

// ScoreExtensions implements framework.ScorePlugin.
func (*ImageLocality) ScoreExtensions() framework.ScoreExtensions { return nil }
