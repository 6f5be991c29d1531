package apiserver

import (
	"slices"
	"strconv"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/utils/ptr"
)

// Parts that many stored pods hold alike are kept once. At 150,000 pods
// of 1,500 templates, the containers' requests and limits and the default
// tolerations were 1.4 KB of every pod's spec (the pods' labels and
// annotations are their template's: controllerutil.SharedPodFromTemplate).
// Sharing is safe because stored objects are immutable: every writer
// replaces a map, slice or pointer of a pod rather than writing through it
// (defaultContainer, mountServiceAccountToken, mergeLimitDefaults), and
// TestSharedPodPartsStayUnchanged runs a cluster and checks that no
// shared part changed.

// maxSharedResourceLists bounds the table of shared resource lists; it is
// emptied when full (pods keep the lists they hold; later pods share new
// ones), so a run with many distinct lists does not grow it without end.
const maxSharedResourceLists = 4096

// resourceTable holds one canonical copy of each distinct resource list
// seen in a pod's containers, keyed by its content.
type resourceTable struct {
	lists map[string]corev1.ResourceList
	key   []byte
}

// shareResources replaces every container's requests and limits with the
// server's canonical list of the same content. The canonical list's
// quantities carry their formatted string, as Quantity.String caches it,
// so that no encoding of the pod formats a quantity again (the generated
// protobuf marshaller reads a map value through a copy, which drops a
// cache made then: at 1k nodes / 30k pods that was 5% of the run's
// allocations). Never on a template: its cached strings would show in
// the pod-template-hash, which hashes the template's Go value.
func (s *Server) shareResources(spec *corev1.PodSpec) {
	for _, cs := range [][]corev1.Container{spec.InitContainers, spec.Containers} {
		for i := range cs {
			r := &cs[i].Resources
			r.Limits = s.resources.share(r.Limits)
			r.Requests = s.resources.share(r.Requests)
		}
	}
}

// share is the canonical list equal to l: equal names, and for each the
// same format and numeric value (what Quantity.String prints), so every
// holder reads the same quantities and the same strings as from l. A
// list of more than eight resources is left as it is.
func (t *resourceTable) share(l corev1.ResourceList) corev1.ResourceList {
	if len(l) == 0 || len(l) > 8 {
		return l
	}
	var names [8]corev1.ResourceName
	n := 0
	for name := range l {
		names[n] = name
		n++
	}
	slices.Sort(names[:n])
	b := t.key[:0]
	for _, name := range names[:n] {
		q := l[name]
		b = append(b, name...)
		b = append(b, 0)
		b = append(b, q.Format...)
		b = append(b, 0)
		var exp int32
		b, exp = q.AsCanonicalBytes(b)
		b = append(b, 'e')
		b = strconv.AppendInt(b, int64(exp), 10)
		b = append(b, 0)
	}
	t.key = b
	if c, ok := t.lists[string(b)]; ok {
		return c
	}
	if len(t.lists) >= maxSharedResourceLists || t.lists == nil {
		t.lists = make(map[string]corev1.ResourceList)
	}
	c := make(corev1.ResourceList, len(l))
	for name, q := range l {
		q = q.DeepCopy()
		_ = q.String() // caches the string in q
		c[name] = q
	}
	t.lists[string(b)] = c
	return c
}

// defaultTolerations are the two tolerations DefaultTolerationSeconds
// gives a pod that has none of its own (addDefaultTolerations): one slice
// for all such pods.
func defaultTolerations() []corev1.Toleration {
	out := make([]corev1.Toleration, 0, 2)
	for _, key := range []string{corev1.TaintNodeNotReady, corev1.TaintNodeUnreachable} {
		out = append(out, corev1.Toleration{
			Key: key, Operator: corev1.TolerationOpExists, Effect: corev1.TaintEffectNoExecute,
			TolerationSeconds: ptr.To(DefaultTolerationSeconds),
		})
	}
	return out
}
