package statefulset

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"hash/fnv"
	"slices"
	"strconv"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/rand"

	"github.com/kubesim/kubesim/sim/apiserver"
	"github.com/kubesim/kubesim/sim/controllers/controllerutil"
)

// RevisionLabel is the pod label naming the ControllerRevision the pod
// was made from (its value is the revision's name, "<set>-<hash>").
const RevisionLabel = appsv1.StatefulSetRevisionLabel

// revisionData is a StatefulSet's ControllerRevision data: its template
// as a strategic-merge patch replacing the whole template (what `kubectl
// rollout undo statefulset` applies).
func revisionData(set *appsv1.StatefulSet) ([]byte, error) {
	raw, err := json.Marshal(set.Spec.Template)
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

// templateOf decodes the template stored in a revision, so pods below
// the partition keep being made from the current revision.
func templateOf(cr *appsv1.ControllerRevision) (*corev1.PodTemplateSpec, error) {
	var d struct {
		Spec struct {
			Template corev1.PodTemplateSpec `json:"template"`
		} `json:"spec"`
	}
	if err := json.Unmarshal(cr.Data.Raw, &d); err != nil {
		return nil, err
	}
	return &d.Spec.Template, nil
}

// hashRevision is upstream's HashControllerRevision: FNV-32a over the
// data and the collision count, safely encoded.
func hashRevision(data []byte, collisionCount *int32) string {
	h := fnv.New32a()
	h.Write(data)
	if collisionCount != nil {
		b := make([]byte, 8)
		binary.LittleEndian.PutUint32(b, uint32(*collisionCount))
		h.Write(b)
	}
	return rand.SafeEncodeString(strconv.FormatUint(uint64(h.Sum32()), 10))
}

// history is a set's revisions, sorted by revision number.
type history struct {
	revisions []*appsv1.ControllerRevision
	current   *appsv1.ControllerRevision
	update    *appsv1.ControllerRevision
	collision int32
}

// getRevisions lists the set's revisions, finds or creates the update
// revision (the current template), and picks the current revision
// (status.currentRevision, or the update revision on first sync).
func (c *Controller) getRevisions(set *appsv1.StatefulSet) (*history, error) {
	h := &history{}
	if set.Status.CollisionCount != nil {
		h.collision = *set.Status.CollisionCount
	}
	for _, o := range controllerutil.ControlledBy(c.Store, "ControllerRevision", set) {
		h.revisions = append(h.revisions, o.(*appsv1.ControllerRevision))
	}
	slices.SortStableFunc(h.revisions, func(a, b *appsv1.ControllerRevision) int { return int(a.Revision - b.Revision) })
	data, err := revisionData(set)
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

func (c *Controller) findOrCreateUpdate(set *appsv1.StatefulSet, h *history, data []byte) error {
	var maxRev int64
	var equal *appsv1.ControllerRevision
	for _, r := range h.revisions {
		maxRev = max(maxRev, r.Revision)
		if bytes.Equal(r.Data.Raw, data) {
			equal = r
		}
	}
	switch {
	case equal != nil && equal.Revision == maxRev:
		h.update = equal
		return nil
	case equal != nil:
		// A rollback to an old template: renumber it as the newest.
		cp := equal.DeepCopy()
		cp.Revision = maxRev + 1
		out, err := c.Client.Update(cp)
		if err != nil {
			return err
		}
		h.update = out.(*appsv1.ControllerRevision)
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
func (c *Controller) createRevision(set *appsv1.StatefulSet, h *history, data []byte, revision int64) (*appsv1.ControllerRevision, error) {
	for {
		cc := h.collision
		hash := hashRevision(data, &cc)
		cr := &appsv1.ControllerRevision{
			ObjectMeta: metav1.ObjectMeta{
				Name: set.Name + "-" + hash, Namespace: set.Namespace,
				Labels:          controllerutil.CloneAndAddLabel(set.Spec.Template.Labels, appsv1.ControllerRevisionHashLabelKey, hash),
				OwnerReferences: []metav1.OwnerReference{controllerutil.NewControllerRef(set, "StatefulSet")},
			},
			Data:     runtime.RawExtension{Raw: data},
			Revision: revision,
		}
		out, err := c.Client.Create(cr)
		if err == nil {
			return out.(*appsv1.ControllerRevision), nil
		}
		if !apierrors.IsAlreadyExists(err) {
			return nil, err
		}
		if o, ok := c.Store.Get("ControllerRevision", set.Namespace, cr.Name); ok {
			if ex := o.(*appsv1.ControllerRevision); bytes.Equal(ex.Data.Raw, data) && isOwnedBy(ex, set) {
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
func (c *Controller) truncateHistory(set *appsv1.StatefulSet, h *history, live map[string]bool) error {
	limit := 10
	if set.Spec.RevisionHistoryLimit != nil {
		limit = int(*set.Spec.RevisionHistoryLimit)
	}
	var old []*appsv1.ControllerRevision
	for _, r := range h.revisions {
		if r.Name != h.current.Name && r.Name != h.update.Name && !live[r.Name] {
			old = append(old, r)
		}
	}
	for i := 0; i < len(old)-limit; i++ {
		err := c.Client.Delete("ControllerRevision", old[i].Namespace, old[i].Name, apiserver.DeleteOptions{})
		if err != nil && !apierrors.IsNotFound(err) {
			return err
		}
	}
	return nil
}
