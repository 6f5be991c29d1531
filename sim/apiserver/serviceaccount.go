package apiserver

import (
	"fmt"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	utilptr "k8s.io/utils/ptr"
)

// The ServiceAccount admission plugin's constants
// (plugin/pkg/admission/serviceaccount).
const (
	// DefaultServiceAccountName is the account of a pod that names none.
	DefaultServiceAccountName = "default"
	// ServiceAccountVolumeName prefixes the projected token volume the
	// plugin adds ("kube-api-access-" and five random characters).
	ServiceAccountVolumeName = "kube-api-access"
	// DefaultAPITokenMountPath is where every container finds the token,
	// the cluster CA and its namespace.
	DefaultAPITokenMountPath = "/var/run/secrets/kubernetes.io/serviceaccount"
	// tokenExpirationSeconds is the bound token's requested lifetime:
	// one hour and seven seconds, the "warn-only" marker upstream's
	// token authenticator recognises (WarnOnlyBoundTokenExpirationSeconds).
	tokenExpirationSeconds = int64(3607)
)

// admitServiceAccount is the ServiceAccount admission plugin on pod
// create: the pod's account defaults to "default" and must exist (the
// default one too: upstream retries its lookup for about a second while
// the service account controller creates it, then refuses, and a
// controller creating the pod retries with backoff); unless the pod or
// the account opts out, every init and app container mounts the
// kube-api-access projected volume; the account's imagePullSecrets are
// copied to a pod that has none. Mirror pods are left alone but may not
// reference an account. It returns the token volume name it drew, if it
// drew one (a PodBatch draws one for each further pod).
func (s *Server) admitServiceAccount(pod *corev1.Pod) (drawn string, err error) {
	if _, mirror := pod.Annotations[corev1.MirrorPodAnnotationKey]; mirror {
		if pod.Spec.ServiceAccountName != "" {
			return "", apierrors.NewForbidden(corev1.Resource("pods"), pod.Name,
				fmt.Errorf("a mirror pod may not reference service accounts"))
		}
		return "", nil
	}
	if pod.Spec.ServiceAccountName == "" {
		pod.Spec.ServiceAccountName = DefaultServiceAccountName
	}
	name := pod.Spec.ServiceAccountName
	o, ok := s.store.Get("ServiceAccount", pod.Namespace, name)
	if !ok {
		return "", apierrors.NewForbidden(corev1.Resource("pods"), pod.Name,
			fmt.Errorf("error looking up service account %s/%s: %w", pod.Namespace, name,
				apierrors.NewNotFound(corev1.Resource("serviceaccount"), name)))
	}
	sa := o.(*corev1.ServiceAccount)
	if automountToken(sa, pod) {
		drawn = s.mountServiceAccountToken(pod)
	}
	if len(pod.Spec.ImagePullSecrets) == 0 && len(sa.ImagePullSecrets) > 0 {
		pod.Spec.ImagePullSecrets = make([]corev1.LocalObjectReference, len(sa.ImagePullSecrets))
		for i, r := range sa.ImagePullSecrets {
			pod.Spec.ImagePullSecrets[i].Name = r.Name
		}
	}
	return drawn, nil
}

// automountToken: the pod's preference wins, then the account's, and
// the token is mounted when neither says.
func automountToken(sa *corev1.ServiceAccount, pod *corev1.Pod) bool {
	if pod.Spec.AutomountServiceAccountToken != nil {
		return *pod.Spec.AutomountServiceAccountToken
	}
	return utilptr.Deref(sa.AutomountServiceAccountToken, true)
}

// mountServiceAccountToken adds the read-only token mount to every init
// and app container that has nothing at the token path already, and the
// kube-api-access volume if any container took it (a pod that already
// has a kube-api-access-* volume keeps it). It returns the volume name it
// drew, "" if the pod had one.
func (s *Server) mountServiceAccountToken(pod *corev1.Pod) (drawn string) {
	volName := ""
	for _, v := range pod.Spec.Volumes {
		if strings.HasPrefix(v.Name, ServiceAccountVolumeName+"-") {
			volName = v.Name
			break
		}
	}
	hasVolume := volName != ""
	if !hasVolume {
		volName = s.randomName(ServiceAccountVolumeName+"-", "apiserver/serviceaccount")
		drawn = volName
	}
	mount := corev1.VolumeMount{Name: volName, ReadOnly: true, MountPath: DefaultAPITokenMountPath}
	needed := false
	for _, cs := range [][]corev1.Container{pod.Spec.InitContainers, pod.Spec.Containers} {
		for i := range cs {
			if !mountsAt(cs[i].VolumeMounts, DefaultAPITokenMountPath) {
				// Clipped: the mounts may be the template's (ownContainers).
				cs[i].VolumeMounts = append(slices.Clip(cs[i].VolumeMounts), mount)
				needed = true
			}
		}
	}
	if needed && !hasVolume {
		// One source for every pod, not nine allocations (about 400 bytes
		// kept) per pod: it is the same for all, and objects in the store
		// are immutable (a writer deep-copies the pod first, which copies
		// the source too).
		pod.Spec.Volumes = append(slices.Clip(pod.Spec.Volumes), corev1.Volume{Name: volName,
			VolumeSource: corev1.VolumeSource{Projected: s.tokenVolume}})
	}
	return drawn
}

func mountsAt(ms []corev1.VolumeMount, path string) bool {
	for _, m := range ms {
		if m.MountPath == path {
			return true
		}
	}
	return false
}

// TokenVolumeSource is the kube-api-access projected volume: a bound
// token, the cluster CA from the namespace's kube-root-ca.crt ConfigMap
// and the pod's namespace from the downward API, files mode 0644.
func TokenVolumeSource() *corev1.ProjectedVolumeSource {
	return &corev1.ProjectedVolumeSource{
		DefaultMode: utilptr.To(corev1.ProjectedVolumeSourceDefaultMode),
		Sources: []corev1.VolumeProjection{
			{ServiceAccountToken: &corev1.ServiceAccountTokenProjection{Path: "token", ExpirationSeconds: utilptr.To(tokenExpirationSeconds)}},
			{ConfigMap: &corev1.ConfigMapProjection{
				LocalObjectReference: corev1.LocalObjectReference{Name: "kube-root-ca.crt"},
				Items:                []corev1.KeyToPath{{Key: "ca.crt", Path: "ca.crt"}},
			}},
			{DownwardAPI: &corev1.DownwardAPIProjection{Items: []corev1.DownwardAPIVolumeFile{{
				Path: "namespace", FieldRef: &corev1.ObjectFieldSelector{APIVersion: "v1", FieldPath: "metadata.namespace"},
			}}}},
		},
	}
}
