package deployment

import (
	"math"

	appsv1 "k8s.io/api/apps/v1"
)

// syncScale handles a paused Deployment or a change of spec.replicas:
// resize the ReplicaSets (proportionally during a rollout) without
// rolling, then write status.
func (c *Controller) syncScale(d *appsv1.Deployment, rsList []*appsv1.ReplicaSet) error {
	newRS, oldRSs, d, err := c.getAllReplicaSetsAndSyncRevision(d, rsList, false)
	if err != nil {
		return err
	}
	if err := c.scale(d, newRS, oldRSs); err != nil {
		return err
	}
	if d.Spec.Paused {
		if err := c.cleanupDeployment(oldRSs, d); err != nil {
			return err
		}
	}
	// Re-read the ReplicaSets the scale may have changed.
	all := append(append([]*appsv1.ReplicaSet(nil), oldRSs...), newRS)
	for i, rs := range all {
		if rs == nil {
			continue
		}
		if o, ok := c.Store.Get("ReplicaSet", rs.Namespace, rs.Name); ok {
			all[i] = o.(*appsv1.ReplicaSet)
		}
	}
	return c.syncDeploymentStatus(all, all[len(all)-1], d)
}

// scale resizes the ReplicaSets for spec.replicas: a single active (or
// the newest) ReplicaSet takes it all; a saturated new ReplicaSet means
// the old ones go to zero; otherwise, in a rolling update, the change is
// shared in proportion to each ReplicaSet's size.
func (c *Controller) scale(d *appsv1.Deployment, newRS *appsv1.ReplicaSet, oldRSs []*appsv1.ReplicaSet) error {
	want := replicas(d.Spec.Replicas)
	if rs := activeOrLatest(newRS, oldRSs); rs != nil {
		if *rs.Spec.Replicas == want {
			return nil
		}
		_, _, err := c.scaleAndRecord(rs, want, d)
		return err
	}
	if isSaturated(d, newRS) {
		for _, old := range activeRS(oldRSs) {
			if _, _, err := c.scaleAndRecord(old, 0, d); err != nil {
				return err
			}
		}
		return nil
	}
	if !isRollingUpdate(d) {
		return nil
	}
	return c.scaleProportionally(d, activeRS(append(append([]*appsv1.ReplicaSet(nil), oldRSs...), newRS)))
}

func (c *Controller) scaleProportionally(d *appsv1.Deployment, all []*appsv1.ReplicaSet) error {
	want := replicas(d.Spec.Replicas)
	allowed := int32(0)
	if want > 0 {
		allowed = want + MaxSurge(d)
	}
	toAdd := allowed - sumSpec(all)
	op := ""
	switch {
	case toAdd > 0:
		all = sortedRS(all, bySizeNewer)
		op = "up"
	case toAdd < 0:
		all = sortedRS(all, bySizeOlder)
		op = "down"
	}
	sizes := make([]int32, len(all))
	var added int32
	for i, rs := range all {
		sizes[i] = *rs.Spec.Replicas
		if toAdd != 0 {
			p := proportion(rs, d, toAdd, added)
			sizes[i] += p
			added += p
		}
	}
	for i, rs := range all {
		if i == 0 && toAdd != 0 {
			sizes[0] = max(sizes[0]+toAdd-added, 0)
		}
		if _, _, err := c.scaleReplicaSet(rs, sizes[i], d, op); err != nil {
			return err
		}
	}
	return nil
}

// proportion is rs's share of toAdd, bounded by what is left to add.
func proportion(rs *appsv1.ReplicaSet, d *appsv1.Deployment, toAdd, added int32) int32 {
	if rs == nil || *rs.Spec.Replicas == 0 || toAdd == 0 || toAdd == added {
		return 0
	}
	f := fraction(rs, d)
	left := toAdd - added
	if toAdd > 0 {
		return min(f, left)
	}
	return max(f, left)
}

// fraction is how much rs grows or shrinks when the Deployment goes from
// the size rs was annotated for (max-replicas) to its current maximum.
func fraction(rs *appsv1.ReplicaSet, d *appsv1.Deployment) int32 {
	want := replicas(d.Spec.Replicas)
	if want == 0 {
		return -*rs.Spec.Replicas
	}
	total := want + MaxSurge(d)
	// A missing or zero max-replicas annotation (a third party removed or
	// broke it) falls back to the Deployment's current size, as upstream.
	annotated, ok := intAnnotation(rs, MaxReplicasAnnotation)
	if !ok || annotated == 0 {
		annotated = d.Status.Replicas
	}
	if annotated == 0 {
		return 0
	}
	size := float64(*rs.Spec.Replicas*total) / float64(annotated)
	return roundToInt32(size) - *rs.Spec.Replicas
}

func roundToInt32(x float64) int32 {
	if x < 0 {
		return int32(x - 0.5)
	}
	return int32(math.Floor(x + 0.5))
}

// activeOrLatest is the only active ReplicaSet, or the newest one when
// none is active; nil when several are active.
func activeOrLatest(newRS *appsv1.ReplicaSet, oldRSs []*appsv1.ReplicaSet) *appsv1.ReplicaSet {
	if newRS == nil && len(oldRSs) == 0 {
		return nil
	}
	all := append(append([]*appsv1.ReplicaSet(nil), oldRSs...), newRS)
	var nonNil []*appsv1.ReplicaSet
	for _, rs := range all {
		if rs != nil {
			nonNil = append(nonNil, rs)
		}
	}
	active := activeRS(nonNil)
	switch len(active) {
	case 0:
		if newRS != nil {
			return newRS
		}
		return sortedRS(nonNil, byCreation)[len(nonNil)-1]
	case 1:
		return active[0]
	}
	return nil
}

// isSaturated reports whether the new ReplicaSet has all replicas and
// they are all available.
func isSaturated(d *appsv1.Deployment, rs *appsv1.ReplicaSet) bool {
	if rs == nil {
		return false
	}
	desired, ok := intAnnotation(rs, DesiredReplicasAnnotation)
	return ok && *rs.Spec.Replicas == replicas(d.Spec.Replicas) && desired == replicas(d.Spec.Replicas) &&
		rs.Status.AvailableReplicas == replicas(d.Spec.Replicas)
}
