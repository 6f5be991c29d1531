package apiserver

import (
	"reflect"
	"slices"
	"strings"

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
// for one burst of creates at one instant.
//
// Defaulting and admission, too, are done in full for the batch's first
// pod only (see prepared): the next pods get the spec they made, each
// with its own token volume name, while nothing admission reads has
// changed, and go through ResourceQuota one by one.
type PodBatch struct {
	c     *Client
	proto corev1.Pod
	// shared is proto's metadata as Create validates it (namespace
	// defaulted), and valid whether its shared parts passed.
	shared metav1.ObjectMeta
	valid  bool
	// generated: a name generated from the shared generateName is valid
	// (see generatedName).
	generated bool
	prep      *prepared
	// reused: admit made the pod being created from prep.
	reused bool
}

// prepared is a pod of the batch as defaulting and the admission plugins
// before ResourceQuota left it (LimitRanger may have annotated it). Those
// read only the pod, which is the prototype for every pod of the batch
// but for its name (read only in their error messages, and they made
// none), the server's fixed
// configuration, and the stored objects of admissionKinds, which the
// store versions (KindRev): while no such object changed, they make the
// same pod again, with one difference, the token volume name the
// ServiceAccount plugin draws for each pod (drawn, the first pod's).
// Mutating webhooks are code that may read anything: with any, every pod
// is admitted in full.
type prepared struct {
	revs   [len(admissionKinds)]int64
	meta   metav1.ObjectMeta
	spec   corev1.PodSpec
	status corev1.PodStatus
	drawn  string
	// specValid: the first pod's spec passed validatePodSpec, which
	// reads none of what fromPrepared changes (the token volume's name
	// in a volume and the mounts): a pod made from prep passes it too.
	specValid bool
}

// admissionKinds are the kinds whose stored objects a pod's defaulting
// and admission read before ResourceQuota: NamespaceLifecycle's,
// ServiceAccount's, Priority's and LimitRanger's.
var admissionKinds = [...]string{"Namespace", "ServiceAccount", "PriorityClass", "LimitRange"}

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
	b.generated = b.shared.Name == "" && b.shared.GenerateName != "" &&
		len(podNameFn(b.shared.GenerateName+"xxxxx", false)) == 0
	return b
}

// admit defaults and admits p, the next pod of the batch, as
// Server.defaultAndAdmit does: the first time in full, remembering the
// result, then from that result while it holds (see prepared).
func (b *PodBatch) admit(p *corev1.Pod) error {
	s := b.c.s
	b.reused = b.prep != nil && b.prep.revs == b.revs()
	if b.reused {
		b.fromPrepared(p)
		return s.admitQuota(p)
	}
	b.prep = nil
	Default(p)
	if err := s.admitNamespace(p); err != nil {
		return err
	}
	drawn, err := s.admitPod(p)
	if err != nil {
		return err
	}
	if err := s.admitQuota(p); err != nil {
		return err
	}
	s.shareResources(&p.Spec)
	if len(s.PodWebhooks) == 0 {
		b.prep = &prepared{revs: b.revs(), meta: p.ObjectMeta, spec: p.Spec, status: p.Status, drawn: drawn}
	}
	return nil
}

// revs are the versions of what admission reads (admissionKinds).
func (b *PodBatch) revs() (r [len(admissionKinds)]int64) {
	for i, k := range admissionKinds {
		r[i] = b.c.s.store.KindRev(k)
	}
	return r
}

// fromPrepared gives p the prepared metadata (but its own name), spec and
// status, with container lists
// of its own (as defaulting gives every pod) and, if the first pod drew a
// token volume name, one drawn for p in its mounts and volume: the mounts
// and the volume the plugin added are those the prepared spec has beyond
// the prototype's (nothing else adds any).
func (b *PodBatch) fromPrepared(p *corev1.Pod) {
	prep := b.prep
	name := p.Name
	p.ObjectMeta, p.Spec, p.Status = prep.meta, prep.spec, prep.status
	p.Name = name
	vol := ""
	if prep.drawn != "" {
		vol = b.c.s.randomName(ServiceAccountVolumeName+"-", "apiserver/serviceaccount")
	}
	p.Spec.InitContainers = renameMounts(prep.spec.InitContainers, b.proto.Spec.InitContainers, vol)
	p.Spec.Containers = renameMounts(prep.spec.Containers, b.proto.Spec.Containers, vol)
	p.Spec.EphemeralContainers = slices.Clone(prep.spec.EphemeralContainers)
	if vol != "" && len(prep.spec.Volumes) != len(b.proto.Spec.Volumes) {
		p.Spec.Volumes = slices.Clone(prep.spec.Volumes)
		p.Spec.Volumes[len(p.Spec.Volumes)-1].Name = vol
	}
}

// renameMounts is a copy of cs, the prepared containers, whose mounts
// beyond those of protoCs, the prototype's (the token mount, last), are
// named name instead, unless name is "".
func renameMounts(cs, protoCs []corev1.Container, name string) []corev1.Container {
	out := slices.Clone(cs)
	if name == "" {
		return out
	}
	for i := range out {
		if n := len(out[i].VolumeMounts); n != len(protoCs[i].VolumeMounts) {
			out[i].VolumeMounts = slices.Clone(out[i].VolumeMounts)
			out[i].VolumeMounts[n-1].Name = name
		}
	}
	return out
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
// then the spec's); a spec made from the prepared one is valid if that
// one was (see prepared.specValid). Otherwise (admission gave it other
// labels, say) it is Validate.
func (b *PodBatch) validate(p *corev1.Pod) error {
	if !b.shares(&p.ObjectMeta) || p.Name == "" {
		return Validate(p)
	}
	var errs field.ErrorList
	if !b.generatedName(p.Name) {
		for _, msg := range podNameFn(p.Name, false) {
			errs = append(errs, field.Invalid(field.NewPath("metadata", "name"), p.Name, msg))
		}
	}
	if !b.reused || !b.prep.specValid {
		specErrs := validatePodSpec(&p.Spec, specPath)
		if b.prep != nil && !b.reused && len(specErrs) == 0 {
			b.prep.specValid = true // prep holds this pod's spec (admit)
		}
		errs = append(errs, specErrs...)
	}
	if len(errs) == 0 {
		return nil
	}
	info, _ := store.KindOf(p)
	return apierrors.NewInvalid(info.GVK().GroupKind(), p.Name, errs)
}

// generatedName reports whether name is the batch's generateName and five
// lower-case letters or digits, as the API server generates names, and
// such a name is valid: the rule for a pod's name (a DNS subdomain) takes
// any such character wherever another one is, so if one such name is
// valid, every one is.
func (b *PodBatch) generatedName(name string) bool {
	prefix := b.shared.GenerateName
	if !b.generated || len(name) != len(prefix)+5 || !strings.HasPrefix(name, prefix) {
		return false
	}
	for _, c := range []byte(name[len(prefix):]) {
		if (c < 'a' || c > 'z') && (c < '0' || c > '9') {
			return false
		}
	}
	return true
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
