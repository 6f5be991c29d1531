package live

import (
	"sort"
	"strings"

	corev1 "k8s.io/api/core/v1"
	storagev1 "k8s.io/api/storage/v1"
	"k8s.io/utils/ptr"

	"github.com/kubesim/kubesim/sim/store"
	"github.com/kubesim/kubesim/sim/volumeutil"
)

// generic describes a kind without its own describer as kubectl's
// generic describer does (name, namespace, labels, annotations, events),
// with kubectl's layout for the storage kinds.
func (d *describer) generic(kind string, o store.Object) {
	switch obj := o.(type) {
	case *corev1.PersistentVolumeClaim:
		d.pvc(obj)
	case *corev1.PersistentVolume:
		d.pv(obj)
	case *storagev1.StorageClass:
		d.storageClass(obj)
	default:
		d.line(0, "Name:\t%s", o.GetName())
		if o.GetNamespace() != "" {
			d.line(0, "Namespace:\t%s", o.GetNamespace())
		}
		d.labels("Labels", o.GetLabels())
		d.annotations(o.GetAnnotations())
	}
	d.events(kind, o)
}

func (d *describer) annotations(m map[string]string) {
	keys := make([]string, 0, len(m))
	for k := range m {
		if k != corev1.LastAppliedConfigAnnotation {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	if len(keys) == 0 {
		d.line(0, "Annotations:\t<none>")
		return
	}
	for i, k := range keys {
		title := "Annotations:"
		if i > 0 {
			title = ""
		}
		d.line(0, "%s\t%s: %s", title, k, m[k])
	}
}

func (d *describer) pvc(c *corev1.PersistentVolumeClaim) {
	d.line(0, "Name:\t%s", c.Name)
	d.line(0, "Namespace:\t%s", c.Namespace)
	d.line(0, "StorageClass:\t%s", ptr.Deref(c.Spec.StorageClassName, ""))
	status := string(c.Status.Phase)
	if c.DeletionTimestamp != nil {
		status = "Terminating (lasts " + d.age(*c.DeletionTimestamp) + ")"
	}
	d.line(0, "Status:\t%s", status)
	d.line(0, "Volume:\t%s", c.Spec.VolumeName)
	d.labels("Labels", c.Labels)
	d.annotations(c.Annotations)
	d.line(0, "Finalizers:\t[%s]", strings.Join(c.Finalizers, " "))
	capacity := ""
	if q, ok := c.Status.Capacity[corev1.ResourceStorage]; ok {
		capacity = q.String()
	}
	d.line(0, "Capacity:\t%s", capacity)
	d.line(0, "Access Modes:\t%s", volumeutil.AccessModesString(c.Status.AccessModes))
	d.line(0, "VolumeMode:\t%s", ptr.Deref(c.Spec.VolumeMode, corev1.PersistentVolumeFilesystem))
	var users []string
	for _, po := range d.c.Store.List("Pod", c.Namespace) {
		p := po.(*corev1.Pod)
		for _, v := range p.Spec.Volumes {
			if v.PersistentVolumeClaim != nil && v.PersistentVolumeClaim.ClaimName == c.Name {
				users = append(users, p.Name)
				break
			}
		}
	}
	sort.Strings(users)
	if len(users) == 0 {
		d.line(0, "Used By:\t<none>")
	} else {
		d.line(0, "Used By:\t%s", strings.Join(users, "\n\t"))
	}
}

func (d *describer) pv(v *corev1.PersistentVolume) {
	d.line(0, "Name:\t%s", v.Name)
	d.labels("Labels", v.Labels)
	d.annotations(v.Annotations)
	d.line(0, "Finalizers:\t[%s]", strings.Join(v.Finalizers, " "))
	d.line(0, "StorageClass:\t%s", v.Spec.StorageClassName)
	d.line(0, "Status:\t%s", v.Status.Phase)
	claim := ""
	if r := v.Spec.ClaimRef; r != nil {
		claim = r.Namespace + "/" + r.Name
	}
	d.line(0, "Claim:\t%s", claim)
	d.line(0, "Reclaim Policy:\t%s", v.Spec.PersistentVolumeReclaimPolicy)
	d.line(0, "Access Modes:\t%s", volumeutil.AccessModesString(v.Spec.AccessModes))
	d.line(0, "VolumeMode:\t%s", ptr.Deref(v.Spec.VolumeMode, corev1.PersistentVolumeFilesystem))
	capacity := ""
	if q, ok := v.Spec.Capacity[corev1.ResourceStorage]; ok {
		capacity = q.String()
	}
	d.line(0, "Capacity:\t%s", capacity)
	d.line(0, "Message:\t%s", v.Status.Message)
}

func (d *describer) storageClass(sc *storagev1.StorageClass) {
	d.line(0, "Name:\t%s", sc.Name)
	def := "No"
	if sc.Annotations["storageclass.kubernetes.io/is-default-class"] == "true" {
		def = "Yes"
	}
	d.line(0, "IsDefaultClass:\t%s", def)
	d.annotations(sc.Annotations)
	d.line(0, "Provisioner:\t%s", sc.Provisioner)
	params := make([]string, 0, len(sc.Parameters))
	for k, v := range sc.Parameters {
		params = append(params, k+"="+v)
	}
	sort.Strings(params)
	d.line(0, "Parameters:\t%s", or(strings.Join(params, ","), "<none>"))
	expand := "<unset>"
	if sc.AllowVolumeExpansion != nil {
		expand = "False"
		if *sc.AllowVolumeExpansion {
			expand = "True"
		}
	}
	d.line(0, "AllowVolumeExpansion:\t%s", expand)
	d.line(0, "MountOptions:\t%s", or(strings.Join(sc.MountOptions, ", "), "<none>"))
	d.line(0, "ReclaimPolicy:\t%s", ptr.Deref(sc.ReclaimPolicy, corev1.PersistentVolumeReclaimDelete))
	d.line(0, "VolumeBindingMode:\t%s", ptr.Deref(sc.VolumeBindingMode, storagev1.VolumeBindingImmediate))
}
