package daemonset

import (
	"bytes"
	"encoding/json"
	"slices"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/kubesim/kubesim/sim/apiserver"
	"github.com/kubesim/kubesim/sim/controllers/controllerutil"
)

// HashLabel is the label carrying the revision hash on pods and
// ControllerRevisions.
const HashLabel = appsv1.DefaultDaemonSetUniqueLabelKey

// patch is the ControllerRevision data of a DaemonSet: its template as a
// strategic-merge patch that replaces the whole template (what `kubectl
// rollout undo daemonset` applies).
func patch(ds *appsv1.DaemonSet) ([]byte, error) {
	raw, err := json.Marshal(ds.Spec.Template)
	if err != nil {
		return nil, err
	}
	var tmpl map[string]any
	if err := json.Unmarshal(raw, &tmpl); err != nil {
		return nil, err
	}
	tmpl["$patch"] = "replace"
	return json.Marshal(map[string]any{"spec": map[string]any{"template": tmpl}})
}

// constructHistory finds (or creates) the ControllerRevision of the
// current template, bumping its revision above the old ones, and returns
// it with the old revisions.
func (c *Controller) constructHistory(ds *appsv1.DaemonSet) (*appsv1.ControllerRevision, []*appsv1.ControllerRevision, error) {
	data, err := patch(ds)
	if err != nil {
		return nil, nil, err
	}
	var cur *appsv1.ControllerRevision
	var old []*appsv1.ControllerRevision
	for _, o := range controllerutil.ControlledBy(c.Store, "ControllerRevision", ds) {
		h := o.(*appsv1.ControllerRevision)
		if cur == nil && bytes.Equal(h.Data.Raw, data) {
			cur = h
			continue
		}
		old = append(old, h)
	}
	var maxOld int64
	for _, h := range old {
		maxOld = max(maxOld, h.Revision)
	}
	if cur == nil {
		cur, err = c.snapshot(ds, data, maxOld+1)
		return cur, old, err
	}
	if cur.Revision <= maxOld {
		cp := cur.DeepCopy()
		cp.Revision = maxOld + 1
		out, err := c.Client.Update(cp)
		if err != nil {
			return nil, nil, err
		}
		cur = out.(*appsv1.ControllerRevision)
	}
	return cur, old, nil
}

func (c *Controller) snapshot(ds *appsv1.DaemonSet, data []byte, revision int64) (*appsv1.ControllerRevision, error) {
	hash := controllerutil.ComputeHash(&ds.Spec.Template, ds.Status.CollisionCount)
	ref := controllerutil.NewControllerRef(ds, "DaemonSet")
	h := &appsv1.ControllerRevision{
		ObjectMeta: metav1.ObjectMeta{
			Name: ds.Name + "-" + hash, Namespace: ds.Namespace,
			Labels:          controllerutil.CloneAndAddLabel(ds.Spec.Template.Labels, HashLabel, hash),
			Annotations:     ds.Annotations,
			OwnerReferences: []metav1.OwnerReference{ref},
		},
		Data:     runtime.RawExtension{Raw: data},
		Revision: revision,
	}
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
	limit := 10
	if ds.Spec.RevisionHistoryLimit != nil {
		limit = int(*ds.Spec.RevisionHistoryLimit)
	}
	toKill := len(old) - limit
	if toKill <= 0 {
		return nil
	}
	live := map[string]bool{}
	for _, ps := range pods {
		for _, p := range ps {
			live[p.Labels[HashLabel]] = true
		}
	}
	old = slices.Clone(old)
	slices.SortStableFunc(old, func(a, b *appsv1.ControllerRevision) int { return int(a.Revision - b.Revision) })
	for _, h := range old {
		if toKill <= 0 {
			break
		}
		if live[h.Labels[HashLabel]] {
			continue
		}
		if err := c.Client.Delete("ControllerRevision", h.Namespace, h.Name, apiserver.DeleteOptions{}); err != nil && !apierrors.IsNotFound(err) {
			return err
		}
		toKill--
	}
	return nil
}
