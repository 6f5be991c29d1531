package daemonset

import (
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"

	"github.com/kubesim/kubesim/sim/controllers/controllerutil"
	"github.com/kubesim/kubesim/sim/controllers/history"
)

// HashLabel is the label carrying the revision hash on pods and
// ControllerRevisions.
const HashLabel = appsv1.DefaultDaemonSetUniqueLabelKey

// constructHistory finds (or creates) the ControllerRevision of the
// current template, bumping its revision above the old ones, and returns
// it with the old revisions.
func (c *Controller) constructHistory(ds *appsv1.DaemonSet) (*appsv1.ControllerRevision, []*appsv1.ControllerRevision, error) {
	data, err := c.revData.Data(ds, &ds.Spec.Template)
	if err != nil {
		return nil, nil, err
	}
	var cur *appsv1.ControllerRevision
	var old []*appsv1.ControllerRevision
	for _, o := range controllerutil.ControlledBy(c.Store, "ControllerRevision", ds) {
		h := o.(*appsv1.ControllerRevision)
		if cur == nil && history.Equal(h, data) {
			cur = h
			continue
		}
		old = append(old, h)
	}
	maxOld := history.MaxRevision(old)
	if cur == nil {
		cur, err = c.snapshot(ds, data, maxOld+1)
		return cur, old, err
	}
	if cur.Revision <= maxOld {
		if cur, err = history.Renumber(c.Client, cur, maxOld+1); err != nil {
			return nil, nil, err
		}
	}
	return cur, old, nil
}

// snapshot creates the revision of the current template. Upstream's
// DaemonSet names it after the template hash (ComputeHash), not the data
// hash the StatefulSet uses.
func (c *Controller) snapshot(ds *appsv1.DaemonSet, data []byte, revision int64) (*appsv1.ControllerRevision, error) {
	hash := controllerutil.ComputeHash(&ds.Spec.Template, ds.Status.CollisionCount)
	h := history.New(ds, "DaemonSet", ds.Spec.Template.Labels, hash, data, revision)
	h.Annotations = ds.Annotations
	out, err := c.Client.Create(h)
	if apierrors.IsAlreadyExists(err) {
		// A hash collision: count it so the next hash differs.
		st := ds.Status
		n := int32(1)
		if st.CollisionCount != nil {
			n = *st.CollisionCount + 1
		}
		st.CollisionCount = &n
		cp := *ds
		cp.Status = st
		if _, uerr := c.Client.UpdateStatus(&cp); uerr != nil {
			return nil, uerr
		}
		return nil, err
	}
	if err != nil {
		return nil, err
	}
	return out.(*appsv1.ControllerRevision), nil
}

// cleanupHistory deletes the oldest old revisions beyond
// revisionHistoryLimit that no pod still runs.
func (c *Controller) cleanupHistory(ds *appsv1.DaemonSet, old []*appsv1.ControllerRevision, pods map[string][]*corev1.Pod) error {
	if len(old) <= history.Limit(ds.Spec.RevisionHistoryLimit) {
		return nil
	}
	live := map[string]bool{}
	for _, ps := range pods {
		for _, p := range ps {
			live[p.Labels[HashLabel]] = true
		}
	}
	old = append([]*appsv1.ControllerRevision(nil), old...)
	history.Sort(old)
	return history.Truncate(c.Client, old, history.Limit(ds.Spec.RevisionHistoryLimit),
		func(h *appsv1.ControllerRevision) bool { return live[h.Labels[HashLabel]] })
}
