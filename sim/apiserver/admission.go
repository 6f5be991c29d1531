package apiserver

import (
	"fmt"
	"slices"

	corev1 "k8s.io/api/core/v1"
	schedulingv1 "k8s.io/api/scheduling/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/utils/ptr"

	"github.com/kubesim/kubesim/sim/store"
	"github.com/kubesim/kubesim/sim/volumeutil"
)

// DefaultTolerationSeconds is how long pods tolerate a not-ready or
// unreachable node before eviction (the DefaultTolerationSeconds admission
// plugin's default).
const DefaultTolerationSeconds = int64(300)

// Priorities of the built-in priority classes.
const (
	SystemClusterCritical = int32(2000000000)
	SystemNodeCritical    = int32(2000001000)
)

// admit runs the admission plugins we model, in upstream order:
// NamespaceLifecycle, ServiceAccount, LimitRanger, Priority, DefaultTolerationSeconds,
// DefaultStorageClass, StorageObjectInUseProtection, ResourceQuota (last:
// it charges what the others defaulted).
func (s *Server) admit(obj store.Object) error {
	if err := s.admitNamespace(obj); err != nil {
		return err
	}
	switch o := obj.(type) {
	case *corev1.Pod:
		if _, err := s.admitPod(o); err != nil {
			return err
		}
	case *schedulingv1.PriorityClass:
		if err := s.admitPriorityClass(o); err != nil {
			return err
		}
	case *corev1.PersistentVolumeClaim:
		s.admitDefaultStorageClass(o)
		addFinalizer(o, volumeutil.PVCProtectionFinalizer)
		if err := s.admitClaimLimitRanges(o); err != nil {
			return err
		}
	case *corev1.PersistentVolume:
		addFinalizer(o, volumeutil.PVProtectionFinalizer)
	}
	return s.admitQuota(obj)
}

// admitNamespace is NamespaceLifecycle: no new content in a namespace
// that does not exist or is being terminated.
func (s *Server) admitNamespace(obj store.Object) error {
	info, _ := store.KindOf(obj)
	if !info.Namespaced || info.Kind == "Event" {
		return nil
	}
	o, ok := s.store.Get("Namespace", "", obj.GetNamespace())
	if !ok {
		return apierrors.NewNotFound(corev1.Resource("namespaces"), obj.GetNamespace())
	}
	if o.GetDeletionTimestamp() != nil {
		return apierrors.NewForbidden(info.GroupResource(), obj.GetName(),
			fmt.Errorf("unable to create new content in namespace %s because it is being terminated", obj.GetNamespace()))
	}
	return nil
}

// admitPod runs the plugins that act on a pod between NamespaceLifecycle
// and ResourceQuota, in upstream order. It returns the token volume name
// the ServiceAccount plugin drew, if it drew one.
func (s *Server) admitPod(o *corev1.Pod) (drawn string, err error) {
	if drawn, err = s.admitServiceAccount(o); err != nil {
		return "", err
	}
	if err := s.admitPriority(o); err != nil {
		return "", err
	}
	s.addDefaultTolerations(o)
	if err := s.admitLimitRanges(o); err != nil {
		return "", err
	}
	for _, hook := range s.PodWebhooks {
		hook(o)
	}
	return drawn, nil
}

// addFinalizer is StorageObjectInUseProtection: a new claim or volume
// carries the finalizer its protection controller removes once it is no
// longer in use.
func addFinalizer(o store.Object, fin string) {
	if !slices.Contains(o.GetFinalizers(), fin) {
		o.SetFinalizers(append(o.GetFinalizers(), fin))
	}
}

// addDefaultTolerations is the DefaultTolerationSeconds plugin: a pod
// without its own not-ready and unreachable NoExecute tolerations gets
// them for five minutes. A pod with no tolerations at all gets the
// server's one shared slice of the two; others a new slice (never an
// append into the caller's, which may be its template's).
func (s *Server) addDefaultTolerations(pod *corev1.Pod) {
	if len(pod.Spec.Tolerations) == 0 {
		pod.Spec.Tolerations = s.defaultTolerations
		return
	}
	pod.Spec.Tolerations = slices.Clip(pod.Spec.Tolerations)
	for _, key := range []string{corev1.TaintNodeNotReady, corev1.TaintNodeUnreachable} {
		has := false
		for _, t := range pod.Spec.Tolerations {
			if (t.Key == key || (t.Key == "" && t.Operator == corev1.TolerationOpExists)) &&
				(t.Effect == corev1.TaintEffectNoExecute || t.Effect == "") {
				has = true
				break
			}
		}
		if !has {
			pod.Spec.Tolerations = append(pod.Spec.Tolerations, corev1.Toleration{
				Key: key, Operator: corev1.TolerationOpExists, Effect: corev1.TaintEffectNoExecute,
				TolerationSeconds: ptr.To(DefaultTolerationSeconds),
			})
		}
	}
}
