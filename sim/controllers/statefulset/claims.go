package statefulset

import (
	"fmt"
	"maps"
	"slices"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kubesim/kubesim/sim/controllers/controllerutil"
)

// ClaimName is the name of the claim of template tmpl for pod
// ("data-web-0").
func ClaimName(tmpl, pod string) string { return tmpl + "-" + pod }

// claimVolumes points the pod's volumes named after the set's
// volumeClaimTemplates at the pod's own claims (adding the volume when the
// template does not mention it), as upstream's updateStorage does.
func claimVolumes(set *appsv1.StatefulSet, pod *corev1.Pod) {
	for _, t := range set.Spec.VolumeClaimTemplates {
		v := corev1.Volume{Name: t.Name, VolumeSource: corev1.VolumeSource{PersistentVolumeClaim: &corev1.PersistentVolumeClaimVolumeSource{ClaimName: ClaimName(t.Name, pod.Name)}}}
		replaced := false
		for i := range pod.Spec.Volumes {
			if pod.Spec.Volumes[i].Name == t.Name {
				pod.Spec.Volumes[i] = v
				replaced = true
			}
		}
		if !replaced {
			pod.Spec.Volumes = append(pod.Spec.Volumes, v)
		}
	}
}

func retention(set *appsv1.StatefulSet) appsv1.StatefulSetPersistentVolumeClaimRetentionPolicy {
	p := appsv1.StatefulSetPersistentVolumeClaimRetentionPolicy{
		WhenDeleted: appsv1.RetainPersistentVolumeClaimRetentionPolicyType,
		WhenScaled:  appsv1.RetainPersistentVolumeClaimRetentionPolicyType,
	}
	if r := set.Spec.PersistentVolumeClaimRetentionPolicy; r != nil {
		if r.WhenDeleted != "" {
			p.WhenDeleted = r.WhenDeleted
		}
		if r.WhenScaled != "" {
			p.WhenScaled = r.WhenScaled
		}
	}
	return p
}

// createClaims creates the pod's missing claims from the set's templates
// before the pod itself (events "create Claim data-web-0 Pod web-0 in
// StatefulSet web success"). WhenDeleted: Delete makes the set their
// owner, so the garbage collector deletes them with it.
func (c *Controller) createClaims(set *appsv1.StatefulSet, pod *corev1.Pod) error {
	for _, t := range set.Spec.VolumeClaimTemplates {
		name := ClaimName(t.Name, pod.Name)
		if _, ok := c.Store.Get("PersistentVolumeClaim", set.Namespace, name); ok {
			continue
		}
		pvc := &corev1.PersistentVolumeClaim{
			ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: set.Namespace, Labels: maps.Clone(t.Labels), Annotations: maps.Clone(t.Annotations)},
			Spec:       *t.Spec.DeepCopy(),
		}
		if set.Spec.Selector != nil && len(set.Spec.Selector.MatchLabels) > 0 {
			if pvc.Labels == nil {
				pvc.Labels = map[string]string{}
			}
			maps.Copy(pvc.Labels, set.Spec.Selector.MatchLabels)
		}
		if retention(set).WhenDeleted == appsv1.DeletePersistentVolumeClaimRetentionPolicyType {
			ref := controllerutil.NewControllerRef(set, "StatefulSet")
			ref.Controller = nil
			pvc.OwnerReferences = []metav1.OwnerReference{ref}
		}
		_, err := c.Client.Create(pvc)
		if err != nil && !apierrors.IsAlreadyExists(err) {
			c.Client.Event(set, corev1.EventTypeWarning, "FailedCreate",
				fmt.Sprintf("create Claim %s for Pod %s in StatefulSet %s failed error: %s", name, pod.Name, set.Name, err))
			return err
		}
		c.Client.Event(set, corev1.EventTypeNormal, "SuccessfulCreate",
			fmt.Sprintf("create Claim %s Pod %s in StatefulSet %s success", name, pod.Name, set.Name))
	}
	return nil
}

// condemnClaims: with WhenScaled: Delete, a pod removed by a scale-down
// becomes the only owner of its claims, which go with it.
func (c *Controller) condemnClaims(set *appsv1.StatefulSet, pod *corev1.Pod) {
	if retention(set).WhenScaled != appsv1.DeletePersistentVolumeClaimRetentionPolicyType {
		return
	}
	for _, t := range set.Spec.VolumeClaimTemplates {
		o, ok := c.Store.Get("PersistentVolumeClaim", set.Namespace, ClaimName(t.Name, pod.Name))
		if !ok {
			continue
		}
		pvc := o.(*corev1.PersistentVolumeClaim).DeepCopy()
		owned := false
		for _, r := range pvc.OwnerReferences {
			if r.UID == pod.UID {
				owned = true
			}
		}
		if owned {
			continue
		}
		ref := controllerutil.NewControllerRef(pod, "Pod")
		ref.APIVersion, ref.Controller = "v1", nil
		// The set lets go (whenDeleted: Delete made it an owner too): the
		// garbage collector deletes a dependent only once every owner is
		// gone.
		pvc.OwnerReferences = slices.DeleteFunc(pvc.OwnerReferences, func(r metav1.OwnerReference) bool { return r.UID == set.UID })
		pvc.OwnerReferences = append(pvc.OwnerReferences, ref)
		_, _ = c.Client.Update(pvc) // retried on the next sync of the set if it failed
	}
}
