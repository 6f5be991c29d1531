package apiserver

import (
	"reflect"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	apivalidation "k8s.io/apimachinery/pkg/api/validation"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/kubesim/kubesim/sim/store"
)

// PodBatch creates pods alike: those a ReplicaSet controller creates in
// one sync, each a shallow copy of one prototype built from its template
// (controllerutil.SharedPodFromTemplate), so that they share their
// labels, annotations, owner references and finalizers. Every pod goes
// through Create's steps, but the validation of that shared metadata,
// which was most of a pod's validation (the label checks are regular
// expressions), is done once for the batch instead of once per pod.
//
// The batch judges the shared parts once, when it is made, and later
// recognises them by identity (the same map, the same slice array), so
// it is right only while nothing writes into them: they are a stored
// template's, and stored objects are never written in place (admission
// replaces a pod's labels or annotations with a new map, which the batch
// does not recognise: such a pod is validated in full). A batch is meant
// for one burst of creates at one instant, and holds nothing that the
// store's later changes could make stale: it reads no stored object.
type PodBatch struct {
	c     *Client
	proto corev1.Pod
	// shared is proto's metadata as Create validates it (namespace
	// defaulted), and valid whether its shared parts passed.
	shared metav1.ObjectMeta
	valid  bool
}

// NewPodBatch starts a batch of pods like proto, which is neither kept
// nor written: Create copies it (a shallow copy, as it was built).
func (c *Client) NewPodBatch(proto *corev1.Pod) *PodBatch {
	b := &PodBatch{c: c, proto: *proto}
	b.shared = proto.ObjectMeta
	if b.shared.Namespace == "" {
		b.shared.Namespace = metav1.NamespaceDefault // as Create defaults it
	}
	// Any valid name: only what the pods share is judged here (a pod's
	// own name is checked as it is created).
	probe := b.shared
	probe.Name = "x"
	b.valid = len(apivalidation.ValidateObjectMetaAccessor(&probe, true, podNameFn, field.NewPath("metadata"))) == 0
	return b
}

// specPath is the path of a pod's spec: paths are never changed (a child
// is a new path), so one serves every pod.
var specPath = field.NewPath("spec")

// podNameFn checks a pod's name, as Validate does for every kind without
// a rule of its own.
var podNameFn = apivalidation.NameIsDNSSubdomain

// Create creates the batch's next pod: a copy of the prototype, through
// Client.Create (every step but the metadata validation the batch did).
func (b *PodBatch) Create() (*corev1.Pod, error) {
	pod := new(corev1.Pod)
	*pod = b.proto
	out, err := b.c.create(pod, b)
	if err != nil {
		return nil, err
	}
	return out.(*corev1.Pod), nil
}

// validate is Validate for a pod of the batch: when the pod still holds
// the metadata the batch judged valid, only its name and spec can be
// wrong, and the errors are Validate's, in Validate's order (the name's,
// then the spec's). Otherwise (admission gave it other labels, say) it is
// Validate.
func (b *PodBatch) validate(p *corev1.Pod) error {
	if !b.shares(&p.ObjectMeta) || p.Name == "" {
		return Validate(p)
	}
	var errs field.ErrorList
	for _, msg := range podNameFn(p.Name, false) {
		errs = append(errs, field.Invalid(field.NewPath("metadata", "name"), p.Name, msg))
	}
	errs = append(errs, validatePodSpec(&p.Spec, specPath)...)
	if len(errs) == 0 {
		return nil
	}
	info, _ := store.KindOf(p)
	return apierrors.NewInvalid(info.GVK().GroupKind(), p.Name, errs)
}

// shares reports whether m holds the batch's validated metadata: all of
// it but the name, by value or by identity (see PodBatch).
func (b *PodBatch) shares(m *metav1.ObjectMeta) bool {
	s := &b.shared
	return b.valid && m.Namespace == s.Namespace && m.GenerateName == s.GenerateName && m.Generation == s.Generation &&
		sameMap(m.Labels, s.Labels) && sameMap(m.Annotations, s.Annotations) &&
		sameSlice(m.OwnerReferences, s.OwnerReferences) && sameSlice(m.Finalizers, s.Finalizers) &&
		sameSlice(m.ManagedFields, s.ManagedFields)
}

// sameMap: a and b are one map, or both empty.
func sameMap(a, b map[string]string) bool {
	if len(a) == 0 || len(b) == 0 {
		return len(a) == len(b)
	}
	return reflect.ValueOf(a).UnsafePointer() == reflect.ValueOf(b).UnsafePointer()
}

// sameSlice: a and b are the same elements of one array, or both empty.
func sameSlice[T any](a, b []T) bool {
	return len(a) == len(b) && (len(a) == 0 || &a[0] == &b[0])
}
