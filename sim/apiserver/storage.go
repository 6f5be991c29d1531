package apiserver

import (
	"fmt"
	"slices"
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	schedulingv1 "k8s.io/api/scheduling/v1"
	storagev1 "k8s.io/api/storage/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"k8s.io/utils/ptr"

	"github.com/kubesim/kubesim/sim/store"
)

// IsDefaultClassAnnotation marks the cluster's default StorageClass.
const IsDefaultClassAnnotation = "storageclass.kubernetes.io/is-default-class"

// defaultStorageKinds applies the API defaults of the storage, quota and
// scheduling kinds (pkg/apis/{core,storage,scheduling}/v1/defaults.go).
func defaultStorageKinds(obj store.Object) {
	switch o := obj.(type) {
	case *storagev1.StorageClass:
		if o.ReclaimPolicy == nil {
			o.ReclaimPolicy = ptr.To(corev1.PersistentVolumeReclaimDelete)
		}
		if o.VolumeBindingMode == nil {
			o.VolumeBindingMode = ptr.To(storagev1.VolumeBindingImmediate)
		}
	case *corev1.PersistentVolume:
		if o.Spec.PersistentVolumeReclaimPolicy == "" {
			o.Spec.PersistentVolumeReclaimPolicy = corev1.PersistentVolumeReclaimRetain
		}
		if o.Spec.VolumeMode == nil {
			o.Spec.VolumeMode = ptr.To(corev1.PersistentVolumeFilesystem)
		}
		if o.Status.Phase == "" {
			o.Status.Phase = corev1.VolumePending
		}
	case *corev1.PersistentVolumeClaim:
		if o.Spec.VolumeMode == nil {
			o.Spec.VolumeMode = ptr.To(corev1.PersistentVolumeFilesystem)
		}
		if o.Status.Phase == "" {
			o.Status.Phase = corev1.ClaimPending
		}
	case *schedulingv1.PriorityClass:
		if o.PreemptionPolicy == nil {
			o.PreemptionPolicy = ptr.To(corev1.PreemptLowerPriority)
		}
	case *corev1.LimitRange:
		defaultLimitRange(o)
	}
}

// admitDefaultStorageClass is the DefaultStorageClass admission plugin: a
// claim that names no class gets the default one (the newest, if several
// are marked default).
func (s *Server) admitDefaultStorageClass(pvc *corev1.PersistentVolumeClaim) {
	if pvc.Spec.StorageClassName != nil {
		return
	}
	if sc := DefaultStorageClass(s.store); sc != nil {
		pvc.Spec.StorageClassName = ptr.To(sc.Name)
	}
}

// DefaultStorageClass is the class annotated as the default (the newest
// if several), or nil.
func DefaultStorageClass(st *store.Store) *storagev1.StorageClass {
	var best *storagev1.StorageClass
	for _, o := range st.List("StorageClass", "") {
		sc := o.(*storagev1.StorageClass)
		if sc.Annotations[IsDefaultClassAnnotation] != "true" {
			continue
		}
		if best == nil || !sc.CreationTimestamp.Before(&best.CreationTimestamp) {
			best = sc
		}
	}
	return best
}

var (
	supportedAccessModes = []string{string(corev1.ReadOnlyMany), string(corev1.ReadWriteMany), string(corev1.ReadWriteOnce), string(corev1.ReadWriteOncePod)}
	supportedReclaim     = []string{string(corev1.PersistentVolumeReclaimDelete), string(corev1.PersistentVolumeReclaimRecycle), string(corev1.PersistentVolumeReclaimRetain)}
)

func validateAccessModes(modes []corev1.PersistentVolumeAccessMode, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	if len(modes) == 0 {
		return field.ErrorList{field.Required(p, "at least 1 access mode is required")}
	}
	for _, m := range modes {
		switch m {
		case corev1.ReadOnlyMany, corev1.ReadWriteMany, corev1.ReadWriteOnce:
		case corev1.ReadWriteOncePod:
			if len(modes) > 1 {
				errs = append(errs, field.Forbidden(p, "may not use ReadWriteOncePod with other access modes"))
			}
		default:
			errs = append(errs, field.NotSupported(p, m, supportedAccessModes))
		}
	}
	return errs
}

// validateStorageKinds is upstream's validation of the kinds of this file.
func validateStorageKinds(obj store.Object) field.ErrorList {
	var errs field.ErrorList
	switch o := obj.(type) {
	case *corev1.PersistentVolumeClaim:
		p := field.NewPath("spec")
		errs = append(errs, validateAccessModes(o.Spec.AccessModes, p.Child("accessModes"))...)
		q, ok := o.Spec.Resources.Requests[corev1.ResourceStorage]
		switch {
		case !ok:
			errs = append(errs, field.Required(p.Child("resources").Key(string(corev1.ResourceStorage)), ""))
		case q.Sign() <= 0:
			errs = append(errs, field.Invalid(p.Child("resources").Key(string(corev1.ResourceStorage)), q.String(), "must be greater than zero"))
		}
	case *corev1.PersistentVolume:
		p := field.NewPath("spec")
		if q, ok := o.Spec.Capacity[corev1.ResourceStorage]; !ok {
			errs = append(errs, field.Required(p.Child("capacity"), ""))
		} else if q.Sign() <= 0 {
			errs = append(errs, field.Invalid(p.Child("capacity").Key(string(corev1.ResourceStorage)), q.String(), "must be greater than zero"))
		}
		errs = append(errs, validateAccessModes(o.Spec.AccessModes, p.Child("accessModes"))...)
		if !slices.Contains(supportedReclaim, string(o.Spec.PersistentVolumeReclaimPolicy)) {
			errs = append(errs, field.NotSupported(p.Child("persistentVolumeReclaimPolicy"), o.Spec.PersistentVolumeReclaimPolicy, supportedReclaim))
		}
		if volumeSources(&o.Spec.PersistentVolumeSource) == 0 {
			errs = append(errs, field.Required(p, "must specify a volume type"))
		}
		if o.Spec.HostPath != nil && o.Spec.PersistentVolumeReclaimPolicy == corev1.PersistentVolumeReclaimRecycle {
			break
		}
	case *storagev1.StorageClass:
		if o.Provisioner == "" {
			errs = append(errs, field.Required(field.NewPath("provisioner"), ""))
		}
		if rp := o.ReclaimPolicy; rp != nil && *rp != corev1.PersistentVolumeReclaimDelete && *rp != corev1.PersistentVolumeReclaimRetain {
			errs = append(errs, field.NotSupported(field.NewPath("reclaimPolicy"), *rp, []string{"Delete", "Retain"}))
		}
		if m := o.VolumeBindingMode; m != nil && *m != storagev1.VolumeBindingImmediate && *m != storagev1.VolumeBindingWaitForFirstConsumer {
			errs = append(errs, field.NotSupported(field.NewPath("volumeBindingMode"), *m, []string{"Immediate", "WaitForFirstConsumer"}))
		}
	case *schedulingv1.PriorityClass:
		if strings.HasPrefix(o.Name, "system-") {
			known := false
			for _, pc := range SystemPriorityClasses() {
				if pc.Name == o.Name && pc.Value == o.Value {
					known = true
				}
			}
			if !known {
				errs = append(errs, field.Forbidden(field.NewPath("metadata", "name"), "priority class names with 'system-' prefix are reserved for system use only. error: "+o.Name+" is not a known system priority class"))
			}
		} else if o.Value > HighestUserDefinablePriority {
			errs = append(errs, field.Forbidden(field.NewPath("value"), fmt.Sprintf("maximum allowed value of a user defined priority is %v", HighestUserDefinablePriority)))
		}
	case *corev1.ResourceQuota:
		for _, r := range sortedResources(o.Spec.Hard) {
			if q := o.Spec.Hard[r]; q.Sign() < 0 {
				errs = append(errs, field.Invalid(field.NewPath("spec", "hard").Key(string(r)), q.String(), "must be greater than or equal to 0"))
			}
		}
	case *corev1.LimitRange:
		for i, it := range o.Spec.Limits {
			p := field.NewPath("spec", "limits").Index(i)
			if it.Type != corev1.LimitTypeContainer && it.Type != corev1.LimitTypePod && it.Type != corev1.LimitTypePersistentVolumeClaim {
				errs = append(errs, field.NotSupported(p.Child("type"), it.Type, []string{"Container", "Pod", "PersistentVolumeClaim"}))
			}
			for _, r := range sortedResources(it.Min) {
				mn := it.Min[r]
				if mx, ok := it.Max[r]; ok && mn.Cmp(mx) > 0 {
					errs = append(errs, field.Invalid(p.Child("min").Key(string(r)), mn.String(), fmt.Sprintf("min value %s is greater than max value %s", mn.String(), mx.String())))
				}
				if d, ok := it.DefaultRequest[r]; ok && mn.Cmp(d) > 0 {
					errs = append(errs, field.Invalid(p.Child("defaultRequest").Key(string(r)), d.String(), fmt.Sprintf("min value %s is greater than default request value %s", mn.String(), d.String())))
				}
			}
			for _, r := range sortedResources(it.Max) {
				mx := it.Max[r]
				if d, ok := it.Default[r]; ok && d.Cmp(mx) > 0 {
					errs = append(errs, field.Invalid(p.Child("default").Key(string(r)), d.String(), fmt.Sprintf("default value %s is greater than max value %s", d.String(), mx.String())))
				}
			}
			for _, r := range sortedResources(it.DefaultRequest) {
				d := it.DefaultRequest[r]
				if l, ok := it.Default[r]; ok && d.Cmp(l) > 0 {
					errs = append(errs, field.Invalid(p.Child("defaultRequest").Key(string(r)), d.String(), fmt.Sprintf("default request value %s is greater than default limit value %s", d.String(), l.String())))
				}
			}
		}
	}
	return errs
}

// volumeSources counts the volume types a PV names (exactly one is valid).
func volumeSources(s *corev1.PersistentVolumeSource) int {
	n := 0
	for _, set := range []bool{s.HostPath != nil, s.AWSElasticBlockStore != nil, s.CSI != nil, s.NFS != nil, s.Local != nil,
		s.GCEPersistentDisk != nil, s.AzureDisk != nil, s.AzureFile != nil, s.ISCSI != nil, s.FC != nil, s.CephFS != nil, s.RBD != nil} {
		if set {
			n++
		}
	}
	return n
}

// validateStorageUpdate: a claim's spec is immutable except a larger
// storage request on a bound claim whose class allows expansion; a
// PriorityClass's value never changes; a StorageClass's parameters and
// provisioner never change.
func (s *Server) validateStorageUpdate(obj, old store.Object) error {
	switch o := obj.(type) {
	case *corev1.PersistentVolumeClaim:
		op := old.(*corev1.PersistentVolumeClaim)
		p := field.NewPath("spec", "resources", "requests", "storage")
		a, b := o.Spec.DeepCopy(), op.Spec.DeepCopy()
		a.Resources.Requests, b.Resources.Requests = nil, nil
		if a.VolumeName == "" || b.VolumeName == "" {
			a.VolumeName, b.VolumeName = "", "" // the PV controller binds it
		}
		if !equality.Semantic.DeepEqual(a, b) {
			return apierrors.NewInvalid(corev1.SchemeGroupVersion.WithKind("PersistentVolumeClaim").GroupKind(), o.Name,
				field.ErrorList{field.Forbidden(field.NewPath("spec"), "spec is immutable after creation except resources.requests and volumeAttributesClassName for bound claims")})
		}
		nq, oq := o.Spec.Resources.Requests[corev1.ResourceStorage], op.Spec.Resources.Requests[corev1.ResourceStorage]
		switch c := nq.Cmp(oq); {
		case c < 0:
			if cp, ok := op.Status.Capacity[corev1.ResourceStorage]; ok && nq.Cmp(cp) < 0 {
				return apierrors.NewInvalid(corev1.SchemeGroupVersion.WithKind("PersistentVolumeClaim").GroupKind(), o.Name,
					field.ErrorList{field.Forbidden(p, "field can not be less than status.capacity")})
			}
		case c > 0:
			// The PersistentVolumeClaimResize admission plugin.
			fail := func(msg string) error {
				return apierrors.NewForbidden(corev1.Resource("persistentvolumeclaims"), o.Name, fmt.Errorf("%s", msg))
			}
			if op.Spec.VolumeName == "" || op.Status.Phase != corev1.ClaimBound {
				return apierrors.NewInvalid(corev1.SchemeGroupVersion.WithKind("PersistentVolumeClaim").GroupKind(), o.Name,
					field.ErrorList{field.Forbidden(field.NewPath("spec"), "spec is immutable after creation except resources.requests and volumeAttributesClassName for bound claims")})
			}
			cls := pvcClass(op)
			sc, ok := s.store.Get("StorageClass", "", cls)
			if !ok || sc.(*storagev1.StorageClass).AllowVolumeExpansion == nil || !*sc.(*storagev1.StorageClass).AllowVolumeExpansion {
				return fail("only dynamically provisioned pvc can be resized and the storageclass that provisions the pvc must support resize")
			}
		}
	case *schedulingv1.PriorityClass:
		if o.Value != old.(*schedulingv1.PriorityClass).Value {
			return apierrors.NewInvalid(schedulingv1.SchemeGroupVersion.WithKind("PriorityClass").GroupKind(), o.Name,
				field.ErrorList{field.Forbidden(field.NewPath("value"), "may not be changed in an update.")})
		}
	case *storagev1.StorageClass:
		os := old.(*storagev1.StorageClass)
		if o.Provisioner != os.Provisioner || !equality.Semantic.DeepEqual(o.Parameters, os.Parameters) ||
			!equality.Semantic.DeepEqual(o.ReclaimPolicy, os.ReclaimPolicy) || !equality.Semantic.DeepEqual(o.VolumeBindingMode, os.VolumeBindingMode) {
			return apierrors.NewInvalid(storagev1.SchemeGroupVersion.WithKind("StorageClass").GroupKind(), o.Name,
				field.ErrorList{field.Forbidden(field.NewPath("parameters"), "updates to parameters are forbidden.")})
		}
	}
	return nil
}

// defaultClaimTemplates: a StatefulSet's PVC retention policy defaults to
// Retain/Retain and its claim templates get the claim defaults.
func defaultClaimTemplates(set *appsv1.StatefulSet) {
	if set.Spec.PersistentVolumeClaimRetentionPolicy == nil {
		set.Spec.PersistentVolumeClaimRetentionPolicy = &appsv1.StatefulSetPersistentVolumeClaimRetentionPolicy{}
	}
	if p := set.Spec.PersistentVolumeClaimRetentionPolicy; p.WhenDeleted == "" {
		p.WhenDeleted = appsv1.RetainPersistentVolumeClaimRetentionPolicyType
	}
	if p := set.Spec.PersistentVolumeClaimRetentionPolicy; p.WhenScaled == "" {
		p.WhenScaled = appsv1.RetainPersistentVolumeClaimRetentionPolicyType
	}
	for i := range set.Spec.VolumeClaimTemplates {
		if t := &set.Spec.VolumeClaimTemplates[i]; t.Spec.VolumeMode == nil {
			t.Spec.VolumeMode = ptr.To(corev1.PersistentVolumeFilesystem)
		}
	}
}
