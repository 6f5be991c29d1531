package kubeapi

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	schedulingv1 "k8s.io/api/scheduling/v1"
	storagev1 "k8s.io/api/storage/v1"

	"github.com/kubesim/kubesim/sim/apiserver"
	"github.com/kubesim/kubesim/sim/store"
	"github.com/kubesim/kubesim/sim/volumeutil"
)

// kubectl's columns for the storage, quota and priority kinds (upstream's
// table printers).
func init() {
	printers["StorageClass"] = &printer{cols("Name", "Provisioner", "ReclaimPolicy", "VolumeBindingMode", "AllowVolumeExpansion", "Age"), storageClassCells}
	printers["PersistentVolume"] = &printer{cols("Name", "Capacity", "Access Modes", "Reclaim Policy", "Status", "Claim", "StorageClass", "VolumeAttributesClass", "Reason", "Age", "+VolumeMode"), pvCells}
	printers["PersistentVolumeClaim"] = &printer{cols("Name", "Status", "Volume", "Capacity", "Access Modes", "StorageClass", "VolumeAttributesClass", "Age", "+VolumeMode"), pvcCells}
	printers["PriorityClass"] = &printer{cols("Name", "Value", "Global-Default", "Age", "PreemptionPolicy"), func(o store.Object, now time.Time) []any {
		pc := o.(*schedulingv1.PriorityClass)
		policy := "<none>"
		if pc.PreemptionPolicy != nil {
			policy = string(*pc.PreemptionPolicy)
		}
		return []any{pc.Name, int64(pc.Value), pc.GlobalDefault, age(pc.CreationTimestamp, now), policy}
	}}
	printers["ResourceQuota"] = &printer{cols("Name", "Age", "Request", "Limit"), quotaCells}
	printers["LimitRange"] = &printer{cols("Name", "Created At"), func(o store.Object, now time.Time) []any {
		return []any{o.GetName(), o.GetCreationTimestamp().UTC().Format(time.RFC3339)}
	}}
}

func storageClassCells(o store.Object, now time.Time) []any {
	sc := o.(*storagev1.StorageClass)
	name := sc.Name
	if sc.Annotations[apiserver.IsDefaultClassAnnotation] == "true" {
		name += " (default)"
	}
	reclaim, mode := "Delete", "Immediate"
	if sc.ReclaimPolicy != nil {
		reclaim = string(*sc.ReclaimPolicy)
	}
	if sc.VolumeBindingMode != nil {
		mode = string(*sc.VolumeBindingMode)
	}
	expand := sc.AllowVolumeExpansion != nil && *sc.AllowVolumeExpansion
	return []any{name, sc.Provisioner, reclaim, mode, expand, age(sc.CreationTimestamp, now)}
}

func volumeMode(m *corev1.PersistentVolumeMode) string {
	if m == nil {
		return "<unset>"
	}
	return string(*m)
}

func orUnset(s *string) string {
	if s == nil || *s == "" {
		return "<unset>"
	}
	return *s
}

func pvCells(o store.Object, now time.Time) []any {
	pv := o.(*corev1.PersistentVolume)
	claim := ""
	if r := pv.Spec.ClaimRef; r != nil {
		claim = r.Namespace + "/" + r.Name
	}
	capacity := pv.Spec.Capacity[corev1.ResourceStorage]
	return []any{pv.Name, capacity.String(), volumeutil.AccessModesString(pv.Spec.AccessModes), string(pv.Spec.PersistentVolumeReclaimPolicy),
		string(pv.Status.Phase), claim, pv.Spec.StorageClassName, orUnset(pv.Spec.VolumeAttributesClassName), pv.Status.Reason,
		age(pv.CreationTimestamp, now), volumeMode(pv.Spec.VolumeMode)}
}

func pvcCells(o store.Object, now time.Time) []any {
	pvc := o.(*corev1.PersistentVolumeClaim)
	phase := string(pvc.Status.Phase)
	if pvc.DeletionTimestamp != nil {
		phase = "Terminating"
	}
	capacity, modes := "", ""
	if pvc.Spec.VolumeName != "" {
		if q, ok := pvc.Status.Capacity[corev1.ResourceStorage]; ok {
			capacity = q.String()
		}
		modes = volumeutil.AccessModesString(pvc.Status.AccessModes)
	}
	class := ""
	if pvc.Spec.StorageClassName != nil {
		class = *pvc.Spec.StorageClassName
	}
	return []any{pvc.Name, phase, pvc.Spec.VolumeName, capacity, modes, class, orUnset(pvc.Spec.VolumeAttributesClassName),
		age(pvc.CreationTimestamp, now), volumeMode(pvc.Spec.VolumeMode)}
}

func quotaCells(o store.Object, now time.Time) []any {
	q := o.(*corev1.ResourceQuota)
	var req, lim []string
	for _, r := range slices.Sorted(maps.Keys(q.Status.Hard)) {
		hard := q.Status.Hard[r]
		used := q.Status.Used[r]
		s := fmt.Sprintf("%s: %s/%s", r, used.String(), hard.String())
		if strings.HasPrefix(string(r), "limits.") {
			lim = append(lim, s)
		} else {
			req = append(req, s)
		}
	}
	return []any{q.Name, age(q.CreationTimestamp, now), strings.Join(req, ", "), strings.Join(lim, ", ")}
}
