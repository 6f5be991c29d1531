package framework

import (
	corev1 "k8s.io/api/core/v1"
	"k8s.io/klog/v2"
)

// Tolerates reports whether toleration t tolerates taint: same effect (or
// any), same key (or any), and Equal on the value or Exists. The alpha
// numeric Lt/Gt operators are off, as in a default cluster.
func Tolerates(t *corev1.Toleration, taint *corev1.Taint) bool {
	// k8s.io/api's own matcher; the alpha numeric Lt/Gt operators are off,
	// as in a default cluster.
	return t.ToleratesTaint(klog.Background(), taint, false)
}

// TolerationsTolerateTaint reports whether any of tolerations tolerates
// taint.
func TolerationsTolerateTaint(tolerations []corev1.Toleration, taint *corev1.Taint) bool {
	for i := range tolerations {
		if Tolerates(&tolerations[i], taint) {
			return true
		}
	}
	return false
}

// FindUntoleratedTaint returns the first taint (in node order) for which
// include is true and no toleration matches.
func FindUntoleratedTaint(taints []corev1.Taint, tolerations []corev1.Toleration, include func(*corev1.Taint) bool) (*corev1.Taint, bool) {
	for i := range taints {
		t := &taints[i]
		if include != nil && !include(t) {
			continue
		}
		if !TolerationsTolerateTaint(tolerations, t) {
			return t, true
		}
	}
	return nil, false
}
