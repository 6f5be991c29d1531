package controllerutil

import (
	"math"
	"slices"
	"strconv"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kubesim/kubesim/sim/podutil"
)

// PodDeletionCostAnnotation lets users steer scale-down: lower cost goes
// first.
const PodDeletionCostAnnotation = "controller.kubernetes.io/pod-deletion-cost"

// RankedPods is upstream's ActivePodsWithRanks: pods with a rank each (the
// number of related active pods on the same node) and the time used for
// the logarithmic age buckets. Sorting puts the pods to delete first.
type RankedPods struct {
	Pods []*corev1.Pod
	Rank []int
	Now  time.Time
}

var phaseOrdinal = map[corev1.PodPhase]int{corev1.PodPending: 0, corev1.PodUnknown: 1, corev1.PodRunning: 2}

// Less reports whether pod i should be deleted before pod j:
// unscheduled < scheduled; Pending < Unknown < Running; not ready < ready;
// lower deletion cost; more related pods on the node; ready more recently
// (log2 buckets); more restarts (app containers, then sidecars); created
// more recently (log2 buckets); UID as the tie-break within a bucket.
func (s RankedPods) Less(i, j int) bool {
	a, b := s.Pods[i], s.Pods[j]
	if a.Spec.NodeName != b.Spec.NodeName && (a.Spec.NodeName == "" || b.Spec.NodeName == "") {
		return a.Spec.NodeName == ""
	}
	if pa, pb := phaseOrdinal[a.Status.Phase], phaseOrdinal[b.Status.Phase]; pa != pb {
		return pa < pb
	}
	if ra, rb := podutil.IsReady(a), podutil.IsReady(b); ra != rb {
		return !ra
	}
	if ca, cb := DeletionCost(a), DeletionCost(b); ca != cb {
		return ca < cb
	}
	if s.Rank[i] != s.Rank[j] {
		return s.Rank[i] > s.Rank[j]
	}
	if podutil.IsReady(a) && podutil.IsReady(b) {
		ta, tb := podutil.ReadySince(a), podutil.ReadySince(b)
		if !ta.Equal(&tb) {
			return s.newerFirst(a, b, ta, tb)
		}
	}
	if ra, rb := maxRestarts(a), maxRestarts(b); ra != rb {
		return ra > rb
	}
	if ra, rb := maxSidecarRestarts(a), maxSidecarRestarts(b); ra != rb {
		return ra > rb // same app-container restarts: the sidecars' decide
	}
	if !a.CreationTimestamp.Equal(&b.CreationTimestamp) {
		return s.newerFirst(a, b, a.CreationTimestamp, b.CreationTimestamp)
	}
	return false
}

// newerFirst compares two timestamps by log2 bucket of their age, falling
// back to the UID within one bucket (upstream's LogarithmicScaleDown).
func (s RankedPods) newerFirst(a, b *corev1.Pod, ta, tb metav1.Time) bool {
	if ta.IsZero() || tb.IsZero() || s.Now.IsZero() {
		return afterOrZero(ta, tb)
	}
	d := logBucket(s.Now.Sub(ta.Time)) - logBucket(s.Now.Sub(tb.Time))
	if d == 0 {
		return a.UID < b.UID
	}
	return d < 0
}

func logBucket(d time.Duration) int64 {
	if d <= 0 {
		return -1
	}
	return int64(math.Floor(math.Log2(float64(d))))
}

func afterOrZero(a, b metav1.Time) bool {
	if a.IsZero() || b.IsZero() {
		return a.IsZero()
	}
	return a.After(b.Time)
}

func maxRestarts(p *corev1.Pod) int32 {
	var n int32
	for _, cs := range p.Status.ContainerStatuses {
		n = max(n, cs.RestartCount)
	}
	return n
}

// maxSidecarRestarts is the highest restart count of the pod's native
// sidecars (restartable init containers).
func maxSidecarRestarts(p *corev1.Pod) int32 {
	var n int32
	for _, cs := range p.Status.InitContainerStatuses {
		for i := range p.Spec.InitContainers {
			if c := &p.Spec.InitContainers[i]; c.Name == cs.Name && podutil.IsRestartableInitContainer(c) {
				n = max(n, cs.RestartCount)
			}
		}
	}
	return n
}

// DeletionCost is the pod's pod-deletion-cost annotation (0 if absent or
// not an int32).
func DeletionCost(p *corev1.Pod) int32 {
	v, ok := p.Annotations[PodDeletionCostAnnotation]
	if !ok {
		return 0
	}
	n, err := strconv.ParseInt(v, 10, 32)
	if err != nil {
		return 0
	}
	return int32(n)
}

// PodsToDelete picks the n pods a controller scaling down deletes first,
// ranking by the number of active related pods (the pods of every
// ReplicaSet of the same Deployment) on each pod's node. The sort is
// stable over the input order, so equal pods go in key order.
func PodsToDelete(pods, related []*corev1.Pod, n int, now time.Time) []*corev1.Pod {
	if n >= len(pods) {
		return pods
	}
	onNode := map[string]int{}
	for _, p := range related {
		if podutil.IsActive(p) {
			onNode[p.Spec.NodeName]++
		}
	}
	r := RankedPods{Pods: slices.Clone(pods), Rank: make([]int, len(pods)), Now: now}
	for i, p := range r.Pods {
		r.Rank[i] = onNode[p.Spec.NodeName]
	}
	idx := make([]int, len(pods))
	for i := range idx {
		idx[i] = i
	}
	slices.SortStableFunc(idx, func(x, y int) int {
		if r.Less(x, y) {
			return -1
		}
		if r.Less(y, x) {
			return 1
		}
		return 0
	})
	out := make([]*corev1.Pod, n)
	for i := range out {
		out[i] = r.Pods[idx[i]]
	}
	return out
}
