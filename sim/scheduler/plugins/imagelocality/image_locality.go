// Package imagelocality prefers nodes that already have the pod's
// container images, weighted by image size and by how widely the image is
// spread (an image present everywhere says nothing about a node).
package imagelocality

import (
	corev1 "k8s.io/api/core/v1"

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
}

var (
	_ framework.PreScorePlugin = &ImageLocality{}
	_ framework.ScorePlugin    = &ImageLocality{}
)

// New returns the plugin reading node counts from lister.
func New(lister framework.SharedLister) *ImageLocality { return &ImageLocality{lister: lister} }

// Name implements framework.Plugin.
func (*ImageLocality) Name() string { return Name }

// PreScore normalises the pod's image names once.
func (pl *ImageLocality) PreScore(state *framework.CycleState, pod *corev1.Pod, _ []*framework.NodeInfo) *framework.Status {
	pl.images = podImages(pod, pl.images[:0])
	state.Write(preScoreKey, &pl.images)
	return nil
}

func podImages(pod *corev1.Pod, dst []string) []string {
	for i := range pod.Spec.InitContainers {
		dst = append(dst, framework.NormalizedImageName(pod.Spec.InitContainers[i].Image))
	}
	for i := range pod.Spec.Containers {
		dst = append(dst, framework.NormalizedImageName(pod.Spec.Containers[i].Image))
	}
	return dst
}

// Score sums size×spread of the pod's images present on the node and
// scales it between the thresholds.
func (pl *ImageLocality) Score(state *framework.CycleState, pod *corev1.Pod, ni *framework.NodeInfo) (int64, *framework.Status) {
	var images []string
	if v, err := state.Read(preScoreKey); err == nil {
		images = *v.(*[]string)
	} else {
		images = podImages(pod, nil)
	}
	total := len(pl.lister.NodeInfos())
	var sum int64
	if len(ni.ImageStates) > 0 {
		for _, img := range images {
			if st, ok := ni.ImageStates[img]; ok {
				sum += ScaledImageScore(st, total)
			}
		}
	}
	return CalculatePriority(sum, len(images)), nil
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
