package deployment

import (
	"cmp"
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// Annotations and labels the Deployment controller maintains.
const (
	RevisionAnnotation        = "deployment.kubernetes.io/revision"
	RevisionHistoryAnnotation = "deployment.kubernetes.io/revision-history"
	DesiredReplicasAnnotation = "deployment.kubernetes.io/desired-replicas"
	MaxReplicasAnnotation     = "deployment.kubernetes.io/max-replicas"
	// HashLabel is the pod-template-hash label that keeps the pods of one
	// ReplicaSet apart from another's.
	HashLabel = appsv1.DefaultDeploymentUniqueLabelKey
	// RestartedAtAnnotation is what `kubectl rollout restart` sets on the
	// pod template.
	RestartedAtAnnotation       = "kubectl.kubernetes.io/restartedAt"
	lastAppliedAnnotation       = "kubectl.kubernetes.io/last-applied-configuration"
	deprecatedRollbackAnnoation = "deprecated.deployment.rollback.to"
)

// skipCopy lists the Deployment annotations that are not copied to its
// ReplicaSets (and are kept on the Deployment by a rollback).
var skipCopy = map[string]bool{
	lastAppliedAnnotation: true, RevisionAnnotation: true, RevisionHistoryAnnotation: true,
	DesiredReplicasAnnotation: true, MaxReplicasAnnotation: true, deprecatedRollbackAnnoation: true,
}

func replicas(p *int32) int32 {
	if p == nil {
		return 1
	}
	return *p
}

func isRollingUpdate(d *appsv1.Deployment) bool {
	return d.Spec.Strategy.Type == appsv1.RollingUpdateDeploymentStrategyType && d.Spec.Strategy.RollingUpdate != nil
}

// resolveFenceposts turns maxSurge (rounded up) and maxUnavailable
// (rounded down) into numbers; both zero means one unavailable. A value
// that is neither a number nor a percentage is an error (the API server
// rejects it; upstream's helpers then count 0).
func resolveFenceposts(surge, unavail *intstr.IntOrString, desired int32) (int32, int32, error) {
	zero := intstr.FromInt32(0)
	if surge == nil {
		surge = &zero
	}
	if unavail == nil {
		unavail = &zero
	}
	s, err := intstr.GetScaledValueFromIntOrPercent(surge, int(desired), true)
	if err != nil {
		return 0, 0, err
	}
	u, err := intstr.GetScaledValueFromIntOrPercent(unavail, int(desired), false)
	if err != nil {
		return 0, 0, err
	}
	if s == 0 && u == 0 {
		u = 1
	}
	return int32(s), int32(u), nil
}

// MaxSurge is the number of pods a rolling update may run above
// spec.replicas.
func MaxSurge(d *appsv1.Deployment) int32 {
	if !isRollingUpdate(d) {
		return 0
	}
	s, _, err := resolveFenceposts(d.Spec.Strategy.RollingUpdate.MaxSurge, d.Spec.Strategy.RollingUpdate.MaxUnavailable, replicas(d.Spec.Replicas))
	if err != nil {
		return 0
	}
	return s
}

// MaxUnavailable is the number of pods a rolling update may have
// unavailable, at most spec.replicas.
func MaxUnavailable(d *appsv1.Deployment) int32 {
	r := replicas(d.Spec.Replicas)
	if !isRollingUpdate(d) || r == 0 {
		return 0
	}
	_, u, err := resolveFenceposts(d.Spec.Strategy.RollingUpdate.MaxSurge, d.Spec.Strategy.RollingUpdate.MaxUnavailable, r)
	if err != nil {
		return 0
	}
	return min(u, r)
}

// Revision parses a ReplicaSet's revision annotation.
func Revision(rs *appsv1.ReplicaSet) (int64, error) {
	v, ok := rs.Annotations[RevisionAnnotation]
	if !ok {
		return 0, nil
	}
	return strconv.ParseInt(v, 10, 64)
}

func maxRevision(rss []*appsv1.ReplicaSet) int64 {
	var m int64
	for _, rs := range rss {
		if v, err := Revision(rs); err == nil && v > m {
			m = v
		}
	}
	return m
}

// byCreation orders ReplicaSets oldest first, then by name.
func byCreation(a, b *appsv1.ReplicaSet) int {
	if !a.CreationTimestamp.Equal(&b.CreationTimestamp) {
		if a.CreationTimestamp.Before(&b.CreationTimestamp) {
			return -1
		}
		return 1
	}
	return strings.Compare(a.Name, b.Name)
}

func byRevision(a, b *appsv1.ReplicaSet) int {
	ra, _ := Revision(a)
	rb, _ := Revision(b)
	if ra != rb {
		if ra < rb {
			return -1
		}
		return 1
	}
	return byCreation(a, b)
}

// bySizeNewer orders larger first, then newer first (proportional
// scale-up gives leftovers to the largest, newest).
func bySizeNewer(a, b *appsv1.ReplicaSet) int { return cmp.Or(bySize(a, b), byCreation(b, a)) }

// bySizeOlder orders larger first, then older first.
func bySizeOlder(a, b *appsv1.ReplicaSet) int { return cmp.Or(bySize(a, b), byCreation(a, b)) }

// bySize orders larger first.
func bySize(a, b *appsv1.ReplicaSet) int { return cmp.Compare(*b.Spec.Replicas, *a.Spec.Replicas) }

func sortedRS(rss []*appsv1.ReplicaSet, order func(a, b *appsv1.ReplicaSet) int) []*appsv1.ReplicaSet {
	out := slices.Clone(rss)
	slices.SortStableFunc(out, order)
	return out
}

// EqualIgnoreHash reports whether two pod templates are equal apart from
// the pod-template-hash label (how a Deployment recognises its new
// ReplicaSet). Neither template is copied.
func EqualIgnoreHash(a, b *corev1.PodTemplateSpec) bool {
	if !equalLabelsIgnoreHash(a.Labels, b.Labels) {
		return false
	}
	x, y := *a, *b
	x.Labels, y.Labels = nil, nil
	return equality.Semantic.DeepEqual(x, y)
}

func equalLabelsIgnoreHash(la, lb map[string]string) bool {
	n := 0
	for k, v := range la {
		if k == HashLabel {
			continue
		}
		if w, ok := lb[k]; !ok || w != v {
			return false
		}
		n++
	}
	for k := range lb {
		if k != HashLabel {
			n--
		}
	}
	return n == 0
}

func activeRS(rss []*appsv1.ReplicaSet) []*appsv1.ReplicaSet {
	var out []*appsv1.ReplicaSet
	for _, rs := range rss {
		if rs != nil && *rs.Spec.Replicas > 0 {
			out = append(out, rs)
		}
	}
	return out
}

func sumSpec(rss []*appsv1.ReplicaSet) int32 {
	var n int32
	for _, rs := range rss {
		if rs != nil {
			n += *rs.Spec.Replicas
		}
	}
	return n
}

func sumStatus(rss []*appsv1.ReplicaSet, f func(*appsv1.ReplicaSetStatus) int32) int32 {
	var n int32
	for _, rs := range rss {
		if rs != nil {
			n += f(&rs.Status)
		}
	}
	return n
}

func statusReplicas(s *appsv1.ReplicaSetStatus) int32  { return s.Replicas }
func statusReady(s *appsv1.ReplicaSetStatus) int32     { return s.ReadyReplicas }
func statusAvailable(s *appsv1.ReplicaSetStatus) int32 { return s.AvailableReplicas }

func hasProgressDeadline(d *appsv1.Deployment) bool {
	return d.Spec.ProgressDeadlineSeconds != nil && *d.Spec.ProgressDeadlineSeconds != math.MaxInt32
}

// replicasAnnotationsNeedUpdate reports whether rs lacks the
// desired-replicas / max-replicas annotations for these values.
func replicasAnnotationsNeedUpdate(rs *appsv1.ReplicaSet, desired, maxR int32) bool {
	return rs.Annotations[DesiredReplicasAnnotation] != strconv.Itoa(int(desired)) ||
		rs.Annotations[MaxReplicasAnnotation] != strconv.Itoa(int(maxR))
}

func setReplicasAnnotations(rs *appsv1.ReplicaSet, desired, maxR int32) bool {
	if !replicasAnnotationsNeedUpdate(rs, desired, maxR) {
		return false
	}
	if rs.Annotations == nil {
		rs.Annotations = map[string]string{}
	}
	rs.Annotations[DesiredReplicasAnnotation] = strconv.Itoa(int(desired))
	rs.Annotations[MaxReplicasAnnotation] = strconv.Itoa(int(maxR))
	return true
}

func intAnnotation(rs *appsv1.ReplicaSet, key string) (int32, bool) {
	v, ok := rs.Annotations[key]
	if !ok {
		return 0, false
	}
	n, err := strconv.ParseInt(v, 10, 32)
	if err != nil {
		return 0, false
	}
	return int32(n), true
}

// newRSAnnotations sets the new ReplicaSet's annotations from the
// Deployment: copied user annotations, the revision (and the history of
// revisions it held before), and for a ReplicaSet about to be created the
// replica annotations. It reports whether anything changed. rs's map is
// never written: before the first change it is replaced by a copy, so
// rs may be a shallow copy of a stored ReplicaSet (every sync asks of
// the existing new ReplicaSet, which almost never changes).
func newRSAnnotations(d *appsv1.Deployment, rs *appsv1.ReplicaSet, newRevision int64, exists bool) bool {
	a := cowAnnotations{rs: rs}
	for k, v := range d.Annotations {
		if skipCopy[k] || rs.Annotations[k] == v {
			continue
		}
		a.set(k, v)
	}
	oldRev, had := rs.Annotations[RevisionAnnotation]
	oldN, err := strconv.ParseInt(oldRev, 10, 64)
	if err != nil {
		if oldRev != "" {
			return a.own
		}
		oldN = 0
	}
	if oldN < newRevision {
		a.set(RevisionAnnotation, strconv.FormatInt(newRevision, 10))
		if had {
			if h := rs.Annotations[RevisionHistoryAnnotation]; h == "" {
				a.set(RevisionHistoryAnnotation, oldRev)
			} else {
				a.set(RevisionHistoryAnnotation, h+","+oldRev)
			}
		}
	}
	if !exists && replicasAnnotationsNeedUpdate(rs, replicas(d.Spec.Replicas), replicas(d.Spec.Replicas)+MaxSurge(d)) {
		a.copy()
		setReplicasAnnotations(rs, replicas(d.Spec.Replicas), replicas(d.Spec.Replicas)+MaxSurge(d))
	}
	return a.own
}

// cowAnnotations writes a ReplicaSet's annotations into a copy of its
// map, made at the first write: own reports whether there was one.
type cowAnnotations struct {
	rs  *appsv1.ReplicaSet
	own bool
}

func (a *cowAnnotations) copy() {
	if !a.own {
		m := make(map[string]string, len(a.rs.Annotations)+2)
		maps.Copy(m, a.rs.Annotations)
		a.rs.Annotations, a.own = m, true
	}
}

func (a *cowAnnotations) set(k, v string) {
	a.copy()
	a.rs.Annotations[k] = v
}
