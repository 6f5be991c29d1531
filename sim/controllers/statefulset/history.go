package statefulset

import (
	appsv1 "k8s.io/api/apps/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kubesim/kubesim/sim/controllers/controllerutil"
	"github.com/kubesim/kubesim/sim/controllers/history"
)

// RevisionLabel is the pod label naming the ControllerRevision the pod
// was made from (its value is the revision's name, "<set>-<hash>").
const RevisionLabel = appsv1.StatefulSetRevisionLabel

// setHistory is a set's revisions, sorted by revision number.
type setHistory struct {
	revisions []*appsv1.ControllerRevision
	current   *appsv1.ControllerRevision
	update    *appsv1.ControllerRevision
	collision int32
}

// getRevisions lists the set's revisions, finds or creates the update
// revision (the current template), and picks the current revision
// (status.currentRevision, or the update revision on first sync).
func (c *Controller) getRevisions(set *appsv1.StatefulSet) (*setHistory, error) {
	h := &setHistory{}
	if set.Status.CollisionCount != nil {
		h.collision = *set.Status.CollisionCount
	}
	for _, o := range controllerutil.ControlledBy(c.Store, "ControllerRevision", set) {
		h.revisions = append(h.revisions, o.(*appsv1.ControllerRevision))
	}
	history.Sort(h.revisions)
	data, err := history.Data(&set.Spec.Template)
	if err != nil {
		return nil, err
	}
	if err := c.findOrCreateUpdate(set, h, data); err != nil {
		return h, err
	}
	for _, r := range h.revisions {
		if r.Name == set.Status.CurrentRevision {
			h.current = r
		}
	}
	if h.current == nil {
		h.current = h.update
	}
	return h, nil
}

func (c *Controller) findOrCreateUpdate(set *appsv1.StatefulSet, h *setHistory, data []byte) error {
	maxRev := history.MaxRevision(h.revisions)
	var equal *appsv1.ControllerRevision
	for _, r := range h.revisions {
		if history.Equal(r, data) {
			equal = r
		}
	}
	switch {
	case equal != nil && equal.Revision == maxRev:
		h.update = equal
		return nil
	case equal != nil:
		// A rollback to an old template: renumber it as the newest.
		out, err := history.Renumber(c.Client, equal, maxRev+1)
		if err != nil {
			return err
		}
		h.update = out
		return nil
	}
	out, err := c.createRevision(set, h, data, maxRev+1)
	if err != nil {
		return err
	}
	h.update = out
	h.revisions = append(h.revisions, out)
	return nil
}

// createRevision creates "<set>-<hash>"; a name taken by different data
// bumps the collision count and retries with the next hash.
func (c *Controller) createRevision(set *appsv1.StatefulSet, h *setHistory, data []byte, revision int64) (*appsv1.ControllerRevision, error) {
	for {
		cc := h.collision
		cr := history.New(set, "StatefulSet", set.Spec.Template.Labels, history.Hash(data, &cc), data, revision)
		out, err := c.Client.Create(cr)
		if err == nil {
			return out.(*appsv1.ControllerRevision), nil
		}
		if !apierrors.IsAlreadyExists(err) {
			return nil, err
		}
		if o, ok := c.Store.Get("ControllerRevision", set.Namespace, cr.Name); ok {
			if ex := o.(*appsv1.ControllerRevision); history.Equal(ex, data) && isOwnedBy(ex, set) {
				return ex, nil
			}
		}
		h.collision++
	}
}

func isOwnedBy(o metav1.Object, owner metav1.Object) bool {
	for _, r := range o.GetOwnerReferences() {
		if r.UID == owner.GetUID() && r.Controller != nil && *r.Controller {
			return true
		}
	}
	return false
}

// truncateHistory deletes the oldest revisions beyond
// revisionHistoryLimit that are neither current, update, nor still run
// by a pod.
func (c *Controller) truncateHistory(set *appsv1.StatefulSet, h *setHistory, live map[string]bool) error {
	var old []*appsv1.ControllerRevision
	for _, r := range h.revisions {
		if r.Name != h.current.Name && r.Name != h.update.Name && !live[r.Name] {
			old = append(old, r)
		}
	}
	return history.Truncate(c.Client, old, history.Limit(set.Spec.RevisionHistoryLimit), nil)
}
