// Package volumeutil holds the facts about volumes that the API server,
// the scheduler's volume plugins, the PersistentVolume controller and the
// kubelet share: the binding protocol's annotations, which volume can
// serve which claim, which node a volume can be used from, and the EBS
// attachment limit of a node.
package volumeutil

import (
	"maps"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
)

// Annotations and labels of the binding protocol (upstream's names).
const (
	AnnSelectedNode          = "volume.kubernetes.io/selected-node"
	AnnStorageProvisioner    = "volume.kubernetes.io/storage-provisioner"
	AnnBetaStorageProvisoner = "volume.beta.kubernetes.io/storage-provisioner"
	AnnBindCompleted         = "pv.kubernetes.io/bind-completed"
	AnnBoundByController     = "pv.kubernetes.io/bound-by-controller"
	AnnProvisionedBy         = "pv.kubernetes.io/provisioned-by"
	NoProvisioner            = "kubernetes.io/no-provisioner"
	// The StorageObjectInUseProtection finalizers.
	PVCProtectionFinalizer = "kubernetes.io/pvc-protection"
	PVProtectionFinalizer  = "kubernetes.io/pv-protection"
	// ZoneKey is the topology key EBS volumes are pinned to.
	ZoneKey = corev1.LabelTopologyZone
)

// ClassOf is a claim's class name ("" for none).
func ClassOf(pvc *corev1.PersistentVolumeClaim) string {
	if pvc.Spec.StorageClassName != nil {
		return *pvc.Spec.StorageClassName
	}
	return ""
}

func capacity(pv *corev1.PersistentVolume) resource.Quantity {
	if pv == nil {
		return resource.Quantity{}
	}
	return pv.Spec.Capacity[corev1.ResourceStorage]
}

// VolumeMatches: an unclaimed Available volume that can serve the claim.
func VolumeMatches(pvc *corev1.PersistentVolumeClaim, pv *corev1.PersistentVolume) bool {
	if pv.Spec.ClaimRef != nil || pv.Status.Phase != corev1.VolumeAvailable || pv.DeletionTimestamp != nil {
		return false
	}
	if pv.Spec.StorageClassName != ClassOf(pvc) {
		return false
	}
	want := pvc.Spec.Resources.Requests[corev1.ResourceStorage]
	if c := capacity(pv); c.Cmp(want) < 0 {
		return false
	}
	for _, m := range pvc.Spec.AccessModes {
		if !slices.Contains(pv.Spec.AccessModes, m) {
			return false
		}
	}
	if pvc.Spec.VolumeMode != nil && pv.Spec.VolumeMode != nil && *pvc.Spec.VolumeMode != *pv.Spec.VolumeMode {
		return false
	}
	if pvc.Spec.Selector != nil {
		sel, err := metav1.LabelSelectorAsSelector(pvc.Spec.Selector)
		if err != nil || !sel.Matches(labels.Set(pv.Labels)) {
			return false
		}
	}
	return true
}

// NodeMatchesVolume: the node satisfies the volume's required node
// affinity (no affinity: any node).
func NodeMatchesVolume(node *corev1.Node, pv *corev1.PersistentVolume) bool {
	if pv.Spec.NodeAffinity == nil || pv.Spec.NodeAffinity.Required == nil {
		return true
	}
	for _, term := range pv.Spec.NodeAffinity.Required.NodeSelectorTerms {
		if termMatches(node, term) {
			return true
		}
	}
	return false
}

func termMatches(node *corev1.Node, term corev1.NodeSelectorTerm) bool {
	for _, r := range term.MatchExpressions {
		v, has := node.Labels[r.Key]
		switch r.Operator {
		case corev1.NodeSelectorOpIn:
			if !has || !slices.Contains(r.Values, v) {
				return false
			}
		case corev1.NodeSelectorOpNotIn:
			if has && slices.Contains(r.Values, v) {
				return false
			}
		case corev1.NodeSelectorOpExists:
			if !has {
				return false
			}
		case corev1.NodeSelectorOpDoesNotExist:
			if has {
				return false
			}
		default:
			return false
		}
	}
	for _, r := range term.MatchFields {
		if r.Key == "metadata.name" && r.Operator == corev1.NodeSelectorOpIn && !slices.Contains(r.Values, node.Name) {
			return false
		}
	}
	return true
}

// PodClaims are the claim names a pod's volumes use, in spec order
// (persistentVolumeClaim volumes and generic ephemeral volumes, whose
// claim is <pod>-<volume>).
func PodClaims(pod *corev1.Pod) []string {
	var out []string
	for _, v := range pod.Spec.Volumes {
		switch {
		case v.PersistentVolumeClaim != nil:
			out = append(out, v.PersistentVolumeClaim.ClaimName)
		case v.Ephemeral != nil:
			out = append(out, pod.Name+"-"+v.Name)
		}
	}
	return out
}

// EBSAttachLimit is how many EBS volumes the EBS CSI driver reports a
// Nitro node can attach (its CSINode allocatable count): 28 attachment
// slots shared with the root volume and the instance type's network
// interfaces. enis <= 0 (unknown type) gives the driver's default of 25.
func EBSAttachLimit(enis int) int {
	if enis <= 0 {
		return 25
	}
	return max(28-1-enis, 1)
}

// Payload is what a configMap or secret volume projects, by key: a
// ConfigMap's data and binaryData, a Secret's data and stringData (which
// the API server folds into data, stringData winning); nil for any other
// object.
func Payload(o runtime.Object) map[string]string {
	out := map[string]string{}
	switch o := o.(type) {
	case *corev1.ConfigMap:
		maps.Copy(out, o.Data)
		for k, b := range o.BinaryData {
			out[k] = string(b)
		}
	case *corev1.Secret:
		for k, b := range o.Data {
			out[k] = string(b)
		}
		maps.Copy(out, o.StringData)
	default:
		return nil
	}
	return out
}

// AccessModesString is the short form kubectl prints access modes in
// ("RWO,ROX"), for the API server's tables and the live session's
// describe.
func AccessModesString(modes []corev1.PersistentVolumeAccessMode) string {
	var out []string
	for _, m := range modes {
		switch m {
		case corev1.ReadWriteOnce:
			out = append(out, "RWO")
		case corev1.ReadOnlyMany:
			out = append(out, "ROX")
		case corev1.ReadWriteMany:
			out = append(out, "RWX")
		case corev1.ReadWriteOncePod:
			out = append(out, "RWOP")
		}
	}
	return strings.Join(out, ",")
}
