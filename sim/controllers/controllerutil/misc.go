package controllerutil

import (
	"encoding/binary"
	"hash/fnv"
	"slices"
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/util/rand"
	"k8s.io/utils/dump"

	"github.com/kubesim/kubesim/sim/store"
)

func apiNotFound(err error) bool { return err != nil && apierrors.IsNotFound(err) }

func sortByKey(objs []store.Object) {
	slices.SortFunc(objs, func(a, b store.Object) int { return strings.Compare(store.KeyOf(a), store.KeyOf(b)) })
}

// ComputeHash is upstream's template hash: FNV-32a over the spew dump of
// the template (k8s.io/utils dump.ForHash, the printer upstream's
// DeepHashObject uses), then the collision count as 8 little-endian bytes,
// rendered with SafeEncodeString (no vowels, so never a word).
//
// The dump prints the string a resource.Quantity caches when it is first
// formatted, and encoding one reached through a pointer (an emptyDir's
// sizeLimit, a resourceFieldRef's divisor) fills that cache. etcd encodes
// stored objects only when something reads their bytes (an etcd status
// query, a snapshot), so the dump is taken of an encoded copy: the hash is
// the one the template has once encoded, whoever read the stored object
// first.
func ComputeHash(t *corev1.PodTemplateSpec, collisionCount *int32) string {
	c := t.DeepCopy()
	_, _ = c.Marshal() // only for its effect on c's quantities; the template's encoding cannot fail
	h := fnv.New32a()
	h.Write([]byte(dump.ForHash(*c)))
	if collisionCount != nil {
		b := make([]byte, 8)
		binary.LittleEndian.PutUint32(b, uint32(*collisionCount))
		h.Write(b)
	}
	return rand.SafeEncodeString(strconv.FormatUint(uint64(h.Sum32()), 10))
}

// CloneAndAddLabel returns a copy of labels with key=value set.
func CloneAndAddLabel(labels map[string]string, key, value string) map[string]string {
	out := make(map[string]string, len(labels)+1)
	for k, v := range labels {
		out[k] = v
	}
	out[key] = value
	return out
}
