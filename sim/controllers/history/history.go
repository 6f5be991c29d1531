// Package history is the ControllerRevision bookkeeping the DaemonSet and
// StatefulSet controllers share, as upstream's pkg/controller/history:
// a workload's template stored as revision data, the revision's name and
// hash, ordering by revision number, finding the revision equal to the
// current template, renumbering one brought back by a rollback, and the
// revisionHistoryLimit clean-up.
package history

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
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/rand"
	"k8s.io/utils/ptr"

	"github.com/kubesim/kubesim/sim/apiserver"
	"github.com/kubesim/kubesim/sim/controllers/controllerutil"
)

// HashLabel is the label carrying a revision's hash on the revision and on
// the pods made from it (DaemonSets and StatefulSets use the same key).
const HashLabel = appsv1.ControllerRevisionHashLabelKey

// DefaultLimit is revisionHistoryLimit's default.
const DefaultLimit = 10

// Limit is a workload's revisionHistoryLimit, defaulted.
func Limit(revisionHistoryLimit *int32) int {
	return int(ptr.Deref(revisionHistoryLimit, DefaultLimit))
}

// Data is a pod template as ControllerRevision data: a strategic-merge
// patch that replaces the whole spec.template (what `kubectl rollout undo`
// applies for a DaemonSet or a StatefulSet).
func Data(t *corev1.PodTemplateSpec) ([]byte, error) {
	raw, err := json.Marshal(t)
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

// DataCache remembers each workload's revision data for its generation.
// The API server bumps metadata.generation with every spec change, so a
// workload whose generation did not move has the same template, and a
// sync need not marshal it again (a DaemonSet is synced on every event of
// every one of its pods). The zero value is ready to use; it is not safe
// for concurrent use.
type DataCache struct {
	m map[types.UID]cachedData
}

type cachedData struct {
	generation int64
	data       []byte
}

// Data is Data(t) for workload, t being workload's spec.template. The
// bytes are shared between calls: callers must not modify them.
func (c *DataCache) Data(workload metav1.Object, t *corev1.PodTemplateSpec) ([]byte, error) {
	uid, gen := workload.GetUID(), workload.GetGeneration()
	if e, ok := c.m[uid]; ok && e.generation == gen && uid != "" && gen != 0 {
		return e.data, nil
	}
	data, err := Data(t)
	if err != nil {
		return nil, err
	}
	if c.m == nil {
		c.m = map[types.UID]cachedData{}
	}
	c.m[uid] = cachedData{gen, data}
	return data, nil
}

// Forget drops workload's entry (the workload was deleted).
func (c *DataCache) Forget(uid types.UID) { delete(c.m, uid) }

// Template decodes the pod template stored in a revision's data.
func Template(cr *appsv1.ControllerRevision) (*corev1.PodTemplateSpec, error) {
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

// Hash is upstream's HashControllerRevision: FNV-32a over the data and
// the collision count (8 little-endian bytes), safely encoded.
func Hash(data []byte, collisionCount *int32) string {
	h := fnv.New32a()
	h.Write(data)
	if collisionCount != nil {
		b := make([]byte, 8)
		binary.LittleEndian.PutUint32(b, uint32(*collisionCount))
		h.Write(b)
	}
	return rand.SafeEncodeString(strconv.FormatUint(uint64(h.Sum32()), 10))
}

// Name is a revision's name: the parent's name (cut to leave room for
// the hash within a DNS subdomain) and the hash.
func Name(prefix, hash string) string {
	if len(prefix) > 223 {
		prefix = prefix[:223]
	}
	return prefix + "-" + hash
}

// New is the revision of parent (a kind controller) at number revision:
// named Name(parent, hash), labelled with the template's labels plus
// HashLabel, controlled by parent.
func New(parent metav1.Object, kind string, templateLabels map[string]string, hash string, data []byte, revision int64) *appsv1.ControllerRevision {
	return &appsv1.ControllerRevision{
		ObjectMeta: metav1.ObjectMeta{
			Name: Name(parent.GetName(), hash), Namespace: parent.GetNamespace(),
			Labels:          controllerutil.CloneAndAddLabel(templateLabels, HashLabel, hash),
			OwnerReferences: []metav1.OwnerReference{controllerutil.NewControllerRef(parent, kind)},
		},
		Data:     runtime.RawExtension{Raw: data},
		Revision: revision,
	}
}

// Sort orders revisions by number, oldest first, keeping the order of
// equal numbers.
func Sort(revisions []*appsv1.ControllerRevision) {
	slices.SortStableFunc(revisions, func(a, b *appsv1.ControllerRevision) int {
		return int(a.Revision - b.Revision)
	})
}

// MaxRevision is the highest revision number (0 for none).
func MaxRevision(revisions []*appsv1.ControllerRevision) int64 {
	var n int64
	for _, r := range revisions {
		n = max(n, r.Revision)
	}
	return n
}

// Equal reports whether a revision holds data.
func Equal(r *appsv1.ControllerRevision, data []byte) bool { return bytes.Equal(r.Data.Raw, data) }

// Renumber writes r back as revision number revision (a rollback to an
// old template makes that revision the newest).
func Renumber(client *apiserver.Client, r *appsv1.ControllerRevision, revision int64) (*appsv1.ControllerRevision, error) {
	cp := r.DeepCopy()
	cp.Revision = revision
	out, err := client.Update(cp)
	if err != nil {
		return nil, err
	}
	return out.(*appsv1.ControllerRevision), nil
}

// Truncate deletes the oldest of old (sorted oldest first) beyond limit.
// Revisions keep (if not nil) says are still in use count towards old but
// are skipped, as upstream's DaemonSet does; the StatefulSet controller
// leaves them out of old instead. A revision already gone is not an error.
func Truncate(client *apiserver.Client, old []*appsv1.ControllerRevision, limit int, keep func(*appsv1.ControllerRevision) bool) error {
	toKill := len(old) - limit
	for _, r := range old {
		if toKill <= 0 {
			break
		}
		if keep != nil && keep(r) {
			continue
		}
		if err := client.Delete("ControllerRevision", r.Namespace, r.Name, apiserver.DeleteOptions{}); err != nil && !apierrors.IsNotFound(err) {
			return err
		}
		toKill--
	}
	return nil
}
