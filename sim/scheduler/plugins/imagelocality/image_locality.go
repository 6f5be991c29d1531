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
	// pre is the current cycle's PreScore result, written to the cycle
	// state: ScoreNodes only reads it (it may run on several node slices
	// at once).
	pre preScore
	// normalized caches images.Normalize per pod image string: a cluster
	// has few distinct images and parsing one costs allocations.
	normalized map[string]string
	// idOf caches the interned id per pod image string. Ids are never
	// reused, so a found one stays valid; misses are not cached (a node
	// may pull the image later).
	idOf map[string]int32
}

// New returns the plugin reading node counts from lister.
func New(lister framework.SharedLister) *ImageLocality {
	return &ImageLocality{lister: lister, normalized: map[string]string{}, idOf: map[string]int32{}}
}

// Name implements framework.Plugin.
func (*ImageLocality) Name() string { return Name }

// PreScore resolves the pod's images to interned ids once, so that the
// per-node work is integer compares.
func (pl *ImageLocality) PreScore(state *framework.CycleState, pod *corev1.Pod, _ []*framework.NodeInfo) *framework.Status {
	pl.pre.ids = pl.podImageIDs(pod, pl.pre.ids[:0])
	pl.pre.held = pl.heldImages(pl.pre.ids, pl.pre.held[:0])
	state.Write(preScoreKey, &pl.pre)
	return nil
}

// preScore is the pod's images as interned ids (-1 for an image no node
// has ever listed), one per (init) container, and those some node holds.
type preScore struct {
	ids  []int32
	held []heldImage
}

// podImageIDs appends the ids of the pod's (init) container and image
// volume images in
// the fully qualified form the kubelet reports in node status
// ("nginx:1.27" -> "docker.io/library/nginx:1.27"), which the cache
// interns.
func (pl *ImageLocality) podImageIDs(pod *corev1.Pod, dst []int32) []int32 {
	for i := range pod.Spec.InitContainers {
		dst = append(dst, pl.imageID(pod.Spec.InitContainers[i].Image))
	}
	for i := range pod.Spec.Containers {
		dst = append(dst, pl.imageID(pod.Spec.Containers[i].Image))
	}
	// Image volumes (ImageVolume, GA since v1.36) count as one more image
	// each, as upstream's sumImageScores does.
	for i := range pod.Spec.Volumes {
		if v := pod.Spec.Volumes[i].Image; v != nil {
			dst = append(dst, pl.imageID(v.Reference))
		}
	}
	return dst
}

func (pl *ImageLocality) imageID(image string) int32 {
	if id, ok := pl.idOf[image]; ok {
		return id
	}
	id, ok := pl.lister.ImageID(pl.normalize(image))
	if !ok {
		return -1
	}
	if pl.idOf == nil {
		pl.idOf = map[string]int32{}
	}
	pl.idOf[image] = id
	return id
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
	ids := pl.stateImageIDs(state, pod)
	total := len(pl.lister.NodeInfos())
	var sum int64
	for _, id := range ids {
		if id >= 0 && ni.HasImage(id) {
			sum += ScaledImageScore(pl.lister.ImageSummary(id), total)
		}
	}
	return CalculatePriority(sum, len(ids)), nil
}

// ScoreNodes implements framework.BatchScorer. An image's summary is
// shared by every node that has it, so its scaled score is computed once;
// each node then only tests its bit in the images' node bitsets.
func (pl *ImageLocality) ScoreNodes(state *framework.CycleState, pod *corev1.Pod, nodes []*framework.NodeInfo, scores []framework.NodeScore) *framework.Status {
	pre := pl.statePreScore(state, pod)
	ids, held := pre.ids, pre.held
	empty := CalculatePriority(0, len(ids)) // a node without the images
	for j, ni := range nodes {
		if len(held) == 0 || len(ni.ImageIDs) == 0 {
			scores[j].Score = empty
			continue
		}
		scores[j].Score = CalculatePriority(heldSum(held, ni.ImageSlot), len(ids))
	}
	return nil
}

// UniformScore implements framework.UniformScorer. Every node scores
// alike when
//   - even a node holding every one of the pod's images that some node
//     holds would score what a node holding none scores (no image held
//     anywhere, or too small or too rare to pass the 23 MiB threshold):
//     a node's sum is a sub-sum of that whole sum, and CalculatePriority
//     does not decrease with the sum;
//   - no node scored holds any image (the union of their row flags);
//   - every node of the cluster holds every held image (each one's node
//     count is the number of nodes), so every node's sum is the whole
//     (the scored nodes are the lister's).
func (pl *ImageLocality) UniformScore(state *framework.CycleState, pod *corev1.Pod, _ []*framework.NodeInfo) (int64, bool) {
	pre := pl.statePreScore(state, pod)
	empty := CalculatePriority(0, len(pre.ids))
	var all int64
	for _, h := range pre.held {
		all += h.scaled
	}
	whole := CalculatePriority(all, len(pre.ids))
	if whole == empty {
		return empty, true
	}
	if union, ok := state.ScoreRowFlags(); ok && union&framework.RowImages == 0 {
		return empty, true
	}
	for _, h := range pre.held {
		if !h.everywhere {
			return 0, false
		}
	}
	return whole, true
}

// AddRows implements framework.RowAdder: ScoreNodes reading whether a
// node holds images and its slot from its row, adding weight × score
// into totals (CalculatePriority is in [0, MaxNodeScore]). With a few
// held images, the score of each subset of them is computed once: a
// node's score is then a lookup by the set it holds, not a division.
func (pl *ImageLocality) AddRows(state *framework.CycleState, pod *corev1.Pod, _ []*framework.NodeInfo, rows []framework.NodeRow, rowOf []int32, weight int64, totals []int64) *framework.Status {
	pre := pl.statePreScore(state, pod)
	ids, held := pre.ids, pre.held
	empty := CalculatePriority(0, len(ids)) // a node without the images
	totals = totals[:len(rowOf)]
	if len(held) == 0 {
		for j := range totals {
			totals[j] += weight * empty
		}
		return nil
	}
	if len(held) > maxSubsetImages {
		for j, i := range rowOf {
			r := &rows[i]
			score := empty
			if r.Flags&framework.RowImages != 0 {
				score = CalculatePriority(heldSum(held, r.ImageSlot), len(ids))
			}
			totals[j] += weight * score
		}
		return nil
	}
	// bySubset[m] is weight × the score of a node holding the held images
	// of bitmask m (bit k: held[k]).
	var bySubset [1 << maxSubsetImages]int64
	for m := 0; m < 1<<len(held); m++ {
		var sum int64
		for k := range held {
			if m&(1<<k) != 0 {
				sum += held[k].scaled
			}
		}
		bySubset[m] = weight * CalculatePriority(sum, len(ids))
	}
	for j, i := range rowOf {
		r := &rows[i]
		if r.Flags&framework.RowImages == 0 {
			totals[j] += bySubset[0]
			continue
		}
		totals[j] += bySubset[heldMask(held, r.ImageSlot)]
	}
	return nil
}

// maxSubsetImages is the most held images whose subsets' scores AddRows
// tabulates (2^4 sums of at most 4 terms, against a division per node).
const maxSubsetImages = 4

// heldMask is the set of held images (bit k: held[k]) whose bitset has
// the node of image slot slot.
func heldMask(held []heldImage, slot int32) int {
	w, bit := int(slot>>6), uint64(1)<<(slot&63)
	m := 0
	for k, h := range held {
		if w < len(h.nodes) && h.nodes[w]&bit != 0 {
			m |= 1 << k
		}
	}
	return m
}

// heldImage is one pod image some node holds: its ScaledImageScore and
// the bitset of nodes holding it.
type heldImage struct {
	scaled int64
	nodes  []uint64
	// everywhere: every node of the lister holds it (its node count is
	// their number; the cache counts only the nodes it lists, a removed
	// node releasing its images).
	everywhere bool
}

// heldSum is the sum of the scaled scores of the held images whose
// bitset has the node of image slot slot.
func heldSum(held []heldImage, slot int32) int64 {
	w, bit := int(slot>>6), uint64(1)<<(slot&63)
	var sum int64
	for _, h := range held {
		if w < len(h.nodes) && h.nodes[w]&bit != 0 {
			sum += h.scaled
		}
	}
	return sum
}

// heldImages lists the pod images (duplicates included: each container
// counts) that some node holds, appended to dst.
func (pl *ImageLocality) heldImages(ids []int32, dst []heldImage) []heldImage {
	total := len(pl.lister.NodeInfos())
	for _, id := range ids {
		if st := pl.lister.ImageSummary(id); st != nil {
			dst = append(dst, heldImage{ScaledImageScore(st, total), pl.lister.ImageNodes(id), st.NumNodes == total})
		}
	}
	return dst
}

func (pl *ImageLocality) stateImageIDs(state *framework.CycleState, pod *corev1.Pod) []int32 {
	return pl.statePreScore(state, pod).ids
}

// statePreScore is PreScore's result, or (PreScore did not run: a direct
// Score call) the same computed afresh.
func (pl *ImageLocality) statePreScore(state *framework.CycleState, pod *corev1.Pod) *preScore {
	if v, ok := state.Lookup(preScoreKey); ok {
		return v.(*preScore)
	}
	ids := pl.podImageIDs(pod, nil)
	return &preScore{ids: ids, held: pl.heldImages(ids, nil)}
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
