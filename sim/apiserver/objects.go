package apiserver

import (
	"errors"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/kubesim/kubesim/sim/podutil"
	"github.com/kubesim/kubesim/sim/store"
)

var errConflict = errors.New("the object has been modified; please apply your changes to the latest version and try again")

func secondsDuration(s int64) time.Duration { return time.Duration(s) * time.Second }

// nameAlphabet is the alphabet of generated name suffixes (no vowels, so
// no words; no look-alike characters), as upstream uses.
const nameAlphabet = "bcdfghjklmnpqrstvwxz2456789"

func (s *Server) generateName(kind, namespace, base string) string {
	r := s.engine.Rand("apiserver/names")
	for {
		b := make([]byte, 5)
		for i := range b {
			b[i] = nameAlphabet[r.IntN(len(nameAlphabet))]
		}
		name := base + string(b)
		if _, taken := s.store.Get(kind, namespace, name); !taken {
			return name
		}
	}
}

func hasGeneration(kind string) bool {
	switch kind {
	case "Deployment", "ReplicaSet", "DaemonSet", "StatefulSet", "PodDisruptionBudget", "Job", "CronJob", "HorizontalPodAutoscaler":
		return true
	}
	return false
}

func specChanged(obj, old store.Object) bool {
	switch o := obj.(type) {
	case *appsv1.Deployment:
		return !equality.Semantic.DeepEqual(o.Spec, old.(*appsv1.Deployment).Spec)
	case *appsv1.ReplicaSet:
		return !equality.Semantic.DeepEqual(o.Spec, old.(*appsv1.ReplicaSet).Spec)
	case *appsv1.DaemonSet:
		return !equality.Semantic.DeepEqual(o.Spec, old.(*appsv1.DaemonSet).Spec)
	case *appsv1.StatefulSet:
		return !equality.Semantic.DeepEqual(o.Spec, old.(*appsv1.StatefulSet).Spec)
	case *policyv1.PodDisruptionBudget:
		return !equality.Semantic.DeepEqual(o.Spec, old.(*policyv1.PodDisruptionBudget).Spec)
	case *batchv1.Job:
		return !equality.Semantic.DeepEqual(o.Spec, old.(*batchv1.Job).Spec)
	case *batchv1.CronJob:
		return !equality.Semantic.DeepEqual(o.Spec, old.(*batchv1.CronJob).Spec)
	case *autoscalingv2.HorizontalPodAutoscaler:
		return !equality.Semantic.DeepEqual(o.Spec, old.(*autoscalingv2.HorizontalPodAutoscaler).Spec)
	}
	return false
}

// keepStatus copies old's status into obj: a main-resource update never
// changes status.
func keepStatus(obj, old store.Object) {
	switch o := obj.(type) {
	case *corev1.Pod:
		o.Status = old.(*corev1.Pod).Status
	case *corev1.Node:
		o.Status = old.(*corev1.Node).Status
	case *corev1.Namespace:
		o.Status = old.(*corev1.Namespace).Status
	case *corev1.Service:
		o.Status = old.(*corev1.Service).Status
	case *appsv1.Deployment:
		o.Status = old.(*appsv1.Deployment).Status
	case *appsv1.ReplicaSet:
		o.Status = old.(*appsv1.ReplicaSet).Status
	case *appsv1.DaemonSet:
		o.Status = old.(*appsv1.DaemonSet).Status
	case *appsv1.StatefulSet:
		o.Status = old.(*appsv1.StatefulSet).Status
	case *policyv1.PodDisruptionBudget:
		o.Status = old.(*policyv1.PodDisruptionBudget).Status
	case *batchv1.Job:
		o.Status = old.(*batchv1.Job).Status
	case *batchv1.CronJob:
		o.Status = old.(*batchv1.CronJob).Status
	case *autoscalingv2.HorizontalPodAutoscaler:
		o.Status = old.(*autoscalingv2.HorizontalPodAutoscaler).Status
	}
}

// withStatus returns old carrying obj's status (the status subresource
// ignores everything else). The copy is shallow: objects in the store are
// immutable, so the new version shares its spec and metadata maps with the
// old one instead of deep-copying them on every status write — at 150,000
// pods that is most of the API server's CPU and memory. Kinds without a
// status subresource are taken whole.
func withStatus(old, obj store.Object) store.Object {
	switch o := obj.(type) {
	case *corev1.Pod:
		c := *old.(*corev1.Pod)
		c.Status = o.Status
		return &c
	case *corev1.Node:
		c := *old.(*corev1.Node)
		c.Status = o.Status
		return &c
	case *corev1.Namespace:
		c := *old.(*corev1.Namespace)
		c.Status = o.Status
		return &c
	case *corev1.Service:
		c := *old.(*corev1.Service)
		c.Status = o.Status
		return &c
	case *appsv1.Deployment:
		c := *old.(*appsv1.Deployment)
		c.Status = o.Status
		return &c
	case *appsv1.ReplicaSet:
		c := *old.(*appsv1.ReplicaSet)
		c.Status = o.Status
		return &c
	case *appsv1.DaemonSet:
		c := *old.(*appsv1.DaemonSet)
		c.Status = o.Status
		return &c
	case *appsv1.StatefulSet:
		c := *old.(*appsv1.StatefulSet)
		c.Status = o.Status
		return &c
	case *policyv1.PodDisruptionBudget:
		c := *old.(*policyv1.PodDisruptionBudget)
		c.Status = o.Status
		return &c
	case *batchv1.Job:
		c := *old.(*batchv1.Job)
		c.Status = o.Status
		return &c
	case *batchv1.CronJob:
		c := *old.(*batchv1.CronJob)
		c.Status = o.Status
		return &c
	case *autoscalingv2.HorizontalPodAutoscaler:
		c := *old.(*autoscalingv2.HorizontalPodAutoscaler)
		c.Status = o.Status
		return &c
	}
	return obj
}

func setReplicas(obj store.Object, n int32) bool {
	switch o := obj.(type) {
	case *appsv1.Deployment:
		o.Spec.Replicas = &n
	case *appsv1.ReplicaSet:
		o.Spec.Replicas = &n
	case *appsv1.StatefulSet:
		o.Spec.Replicas = &n
	default:
		return false
	}
	return true
}

// allocate assigns server-side resources on create (a Service's cluster
// IP from the EKS default service CIDR 10.100.0.0/16).
func (s *Server) allocate(obj store.Object) {
	if j, ok := obj.(*batchv1.Job); ok {
		generateJobSelector(j) // needs the UID, assigned just before
	}
	svc, ok := obj.(*corev1.Service)
	if !ok || svc.Spec.ClusterIP == corev1.ClusterIPNone || svc.Spec.Type == corev1.ServiceTypeExternalName {
		return
	}
	if svc.Spec.ClusterIP == "" {
		s.serviceIPs++
		n := s.serviceIPs + 10 // .0.1 is the kubernetes service, .0.10 is kube-dns
		if svc.Namespace == metav1.NamespaceDefault && svc.Name == "kubernetes" {
			n = 1
		} else if svc.Namespace == metav1.NamespaceSystem && svc.Name == "kube-dns" {
			n = 10
		}
		svc.Spec.ClusterIP = ipString(10, 100, byte(n>>8), byte(n))
	}
	svc.Spec.ClusterIPs = []string{svc.Spec.ClusterIP}
}

func (s *Server) release(store.Object) {}

func ipString(a, b, c, d byte) string {
	return itoa(a) + "." + itoa(b) + "." + itoa(c) + "." + itoa(d)
}

func itoa(b byte) string {
	const digits = "0123456789"
	if b < 10 {
		return digits[b : b+1]
	}
	if b < 100 {
		return string([]byte{digits[b/10], digits[b%10]})
	}
	return string([]byte{digits[b/100], digits[b/10%10], digits[b%10]})
}

// DisruptionsAllowed computes a PodDisruptionBudget's allowed disruptions
// from the pods it selects, as the disruption controller does (never
// negative, like status.disruptionsAllowed).
func DisruptionsAllowed(st *store.Store, pdb *policyv1.PodDisruptionBudget) int32 {
	return max(currentHealthy(st, pdb)-desiredHealthy(st, pdb), 0)
}

// PDBCounts are the numbers a PodDisruptionBudget's status reports: the
// pods it covers, how many are healthy and how many must stay healthy —
// the same counts eviction decides with.
func PDBCounts(st *store.Store, pdb *policyv1.PodDisruptionBudget) (expected, current, desired int32) {
	return int32(len(pdbPods(st, pdb))), currentHealthy(st, pdb), desiredHealthy(st, pdb)
}

func pdbPods(st *store.Store, pdb *policyv1.PodDisruptionBudget) []*corev1.Pod {
	sel, err := metav1.LabelSelectorAsSelector(pdb.Spec.Selector)
	if err != nil {
		return nil
	}
	var out []*corev1.Pod
	for _, o := range st.Select("Pod", pdb.Namespace, sel) {
		p := o.(*corev1.Pod)
		if p.Status.Phase == corev1.PodSucceeded || p.Status.Phase == corev1.PodFailed {
			continue
		}
		out = append(out, p)
	}
	return out
}

func currentHealthy(st *store.Store, pdb *policyv1.PodDisruptionBudget) int32 {
	var n int32
	for _, p := range pdbPods(st, pdb) {
		if p.DeletionTimestamp == nil && podutil.IsReady(p) {
			n++
		}
	}
	return n
}

func desiredHealthy(st *store.Store, pdb *policyv1.PodDisruptionBudget) int32 {
	expected := int32(len(pdbPods(st, pdb)))
	if pdb.Spec.MinAvailable != nil {
		v, _ := intstr.GetScaledValueFromIntOrPercent(pdb.Spec.MinAvailable, int(expected), true)
		return int32(v)
	}
	if pdb.Spec.MaxUnavailable != nil {
		v, _ := intstr.GetScaledValueFromIntOrPercent(pdb.Spec.MaxUnavailable, int(expected), true)
		d := expected - int32(v)
		if d < 0 {
			d = 0
		}
		return d
	}
	return expected
}
