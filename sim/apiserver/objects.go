package apiserver

import (
	"errors"
	"reflect"
	"strings"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/kubesim/kubesim/sim/podutil"
	"github.com/kubesim/kubesim/sim/store"
)

var errConflict = errors.New("the object has been modified; please apply your changes to the latest version and try again")

func secondsDuration(s int64) time.Duration { return time.Duration(s) * time.Second }

// nameAlphabet is the alphabet of generated name suffixes (no vowels, so
// no words; no look-alike characters), as upstream uses.
const nameAlphabet = "bcdfghjklmnpqrstvwxz2456789"

func (s *Server) generateName(kind, namespace, base string) string {
	for {
		name := s.randomName(base, "apiserver/names")
		if _, taken := s.store.Get(kind, namespace, name); !taken {
			return name
		}
	}
}

// randomName is prefix and five characters of nameAlphabet from the
// named stream (upstream's utilrand.String(5)), made in one allocation
// (every pod's name and token volume name is one).
func (s *Server) randomName(prefix, stream string) string {
	r := s.engine.Rand(stream)
	var b strings.Builder
	b.Grow(len(prefix) + 5)
	b.WriteString(prefix)
	for range 5 {
		b.WriteByte(nameAlphabet[r.IntN(len(nameAlphabet))])
	}
	return b.String()
}

// The functions below act on an object's spec and status the same way for
// every kind, as the store's kind table describes it: a kind with a status
// subresource keeps its status on a main-resource update, a kind with
// Generation counts spec changes, a kind with a scale subresource has
// spec.replicas. Every such kind has the Spec and Status fields of the
// Kubernetes API's Go types.

// fieldIndex holds, per registered object type, the index of its Spec
// and Status fields (built once: FieldByName on every status write would
// cost more than the write).
var fieldIndex = func() map[reflect.Type]map[string]int {
	m := map[reflect.Type]map[string]int{}
	for _, k := range store.Kinds() {
		info, _ := store.LookupKind(k)
		t := reflect.TypeOf(info.New())
		idx := map[string]int{}
		for _, name := range []string{"Spec", "Status"} {
			if f, ok := t.Elem().FieldByName(name); ok && len(f.Index) == 1 {
				idx[name] = f.Index[0]
			}
		}
		m[t] = idx
	}
	return m
}()

// topField is the named top-level field (Spec, Status) of an object, or
// the zero Value.
func topField(obj store.Object, name string) reflect.Value {
	i, ok := fieldIndex[reflect.TypeOf(obj)][name]
	if !ok {
		return reflect.Value{}
	}
	return reflect.ValueOf(obj).Elem().Field(i)
}

// specChanged reports whether obj's spec differs from old's.
func specChanged(obj, old store.Object) bool {
	a, b := topField(obj, "Spec"), topField(old, "Spec")
	if !a.IsValid() || !b.IsValid() {
		return false
	}
	return !equality.Semantic.DeepEqual(a.Interface(), b.Interface())
}

// keepStatus copies old's status into obj: a main-resource update never
// changes the status of a kind with a status subresource.
func keepStatus(info *store.KindInfo, obj, old store.Object) {
	if !info.HasSubresource("status") {
		return
	}
	if dst, src := topField(obj, "Status"), topField(old, "Status"); dst.IsValid() && src.IsValid() {
		dst.Set(src)
	}
}

// withStatus returns old carrying obj's status (the status subresource
// ignores everything else). The copy is shallow: objects in the store are
// immutable, so the new version shares its spec and metadata maps with the
// old one instead of deep-copying them on every status write — at 150,000
// pods that is most of the API server's CPU and memory. Kinds without a
// status subresource are taken whole. Pods and Nodes, most of the status
// writes, and ReplicaSets and Deployments, the controllers' many, are
// copied by assignment, the others through reflection: the same copy
// (reflect.New and Value.Set were half the cost of a ReplicaSet's).
func withStatus(info *store.KindInfo, old, obj store.Object) store.Object {
	switch o := obj.(type) {
	case *corev1.Pod:
		p := old.(*corev1.Pod)
		return &corev1.Pod{TypeMeta: p.TypeMeta, ObjectMeta: p.ObjectMeta, Spec: p.Spec, Status: o.Status}
	case *corev1.Node:
		n := old.(*corev1.Node)
		return &corev1.Node{TypeMeta: n.TypeMeta, ObjectMeta: n.ObjectMeta, Spec: n.Spec, Status: o.Status}
	case *appsv1.ReplicaSet:
		r := old.(*appsv1.ReplicaSet)
		return &appsv1.ReplicaSet{TypeMeta: r.TypeMeta, ObjectMeta: r.ObjectMeta, Spec: r.Spec, Status: o.Status}
	case *appsv1.Deployment:
		d := old.(*appsv1.Deployment)
		return &appsv1.Deployment{TypeMeta: d.TypeMeta, ObjectMeta: d.ObjectMeta, Spec: d.Spec, Status: o.Status}
	}
	return withStatusReflect(info, old, obj)
}

// withStatusReflect is withStatus for any kind.
func withStatusReflect(info *store.KindInfo, old, obj store.Object) store.Object {
	status := topField(obj, "Status")
	if !info.HasSubresource("status") || !status.IsValid() {
		return obj
	}
	c := reflect.New(reflect.TypeOf(old).Elem())
	c.Elem().Set(reflect.ValueOf(old).Elem())
	c.Elem().Field(fieldIndex[reflect.TypeOf(old)]["Status"]).Set(status)
	return c.Interface().(store.Object)
}

// setReplicas sets spec.replicas of a kind with a scale subresource.
func setReplicas(info *store.KindInfo, obj store.Object, n int32) bool {
	if !info.HasSubresource("scale") {
		return false
	}
	r := topField(obj, "Spec").FieldByName("Replicas")
	if !r.IsValid() || r.Type() != reflect.TypeFor[*int32]() {
		return false
	}
	r.Set(reflect.ValueOf(&n))
	return true
}

// allocate assigns server-side resources on create (a Service's cluster
// IP and node ports, services.go).
func (s *Server) allocate(obj store.Object) error {
	if j, ok := obj.(*batchv1.Job); ok {
		generateJobSelector(j) // needs the UID, assigned just before
	}
	if svc, ok := obj.(*corev1.Service); ok {
		return s.allocateService(svc, nil)
	}
	return nil
}

func (s *Server) release(store.Object) {}

// DisruptionsAllowed computes a PodDisruptionBudget's allowed disruptions
// from the pods it selects, as the disruption controller does (never
// negative, like status.disruptionsAllowed).
func DisruptionsAllowed(st *store.Store, pdb *policyv1.PodDisruptionBudget) int32 {
	return max(currentHealthy(st, pdb)-desiredHealthy(st, pdb), 0)
}

// PDBCounts are the numbers a PodDisruptionBudget's status reports: the
// pods it covers, how many are healthy and how many must stay healthy —
// the same counts eviction decides with.
func PDBCounts(st *store.Store, pdb *policyv1.PodDisruptionBudget) (expected, current, desired int32) {
	return int32(len(pdbPods(st, pdb))), currentHealthy(st, pdb), desiredHealthy(st, pdb)
}

func pdbPods(st *store.Store, pdb *policyv1.PodDisruptionBudget) []*corev1.Pod {
	sel, err := metav1.LabelSelectorAsSelector(pdb.Spec.Selector)
	if err != nil {
		return nil
	}
	var out []*corev1.Pod
	for _, o := range st.Select("Pod", pdb.Namespace, sel) {
		p := o.(*corev1.Pod)
		if p.Status.Phase == corev1.PodSucceeded || p.Status.Phase == corev1.PodFailed {
			continue
		}
		out = append(out, p)
	}
	return out
}

func currentHealthy(st *store.Store, pdb *policyv1.PodDisruptionBudget) int32 {
	var n int32
	for _, p := range pdbPods(st, pdb) {
		if p.DeletionTimestamp == nil && podutil.IsReady(p) {
			n++
		}
	}
	return n
}

func desiredHealthy(st *store.Store, pdb *policyv1.PodDisruptionBudget) int32 {
	expected := int32(len(pdbPods(st, pdb)))
	if pdb.Spec.MinAvailable != nil {
		v, _ := intstr.GetScaledValueFromIntOrPercent(pdb.Spec.MinAvailable, int(expected), true)
		return int32(v)
	}
	if pdb.Spec.MaxUnavailable != nil {
		v, _ := intstr.GetScaledValueFromIntOrPercent(pdb.Spec.MaxUnavailable, int(expected), true)
		d := expected - int32(v)
		if d < 0 {
			d = 0
		}
		return d
	}
	return expected
}
