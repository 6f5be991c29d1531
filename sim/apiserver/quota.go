package apiserver

import (
	"fmt"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"

	"github.com/kubesim/kubesim/sim/podutil"
	"github.com/kubesim/kubesim/sim/store"
)

// storageClassQuotaSuffix names per-class PVC quota resources
// ("gp3.storageclass.storage.k8s.io/requests.storage").
const storageClassQuotaSuffix = ".storageclass.storage.k8s.io/"

// QuotaUsage is what an object charges against a ResourceQuota, as
// upstream's quota evaluators count it (pods: pods, cpu and memory
// requests and limits; PVCs: persistentvolumeclaims and requests.storage,
// also per storage class; services, with their load balancers and node
// ports; configmaps and secrets; every kind as count/<resource>.<group>).
// A terminal pod charges nothing.
func QuotaUsage(obj store.Object) corev1.ResourceList {
	info, err := store.KindOf(obj)
	if err != nil {
		return nil
	}
	one := resource.MustParse("1")
	out := corev1.ResourceList{}
	count := "count/" + info.Resource
	if g := info.GroupVersion.Group; g != "" {
		count += "." + g
	}
	out[corev1.ResourceName(count)] = one
	switch o := obj.(type) {
	case *corev1.Pod:
		if podutil.IsTerminal(o) {
			return corev1.ResourceList{}
		}
		req, lim := podTotals(o)
		out[corev1.ResourcePods] = one
		for _, r := range []corev1.ResourceName{corev1.ResourceCPU, corev1.ResourceMemory, corev1.ResourceEphemeralStorage} {
			if q, ok := req[r]; ok {
				out[r] = q
				out["requests."+r] = q
			}
			if q, ok := lim[r]; ok {
				out["limits."+r] = q
			}
		}
	case *corev1.PersistentVolumeClaim:
		out[corev1.ResourcePersistentVolumeClaims] = one
		q := o.Spec.Resources.Requests[corev1.ResourceStorage]
		out[corev1.ResourceRequestsStorage] = q
		if cls := pvcClass(o); cls != "" {
			out[corev1.ResourceName(cls+storageClassQuotaSuffix+"persistentvolumeclaims")] = one
			out[corev1.ResourceName(cls+storageClassQuotaSuffix+"requests.storage")] = q
		}
	case *corev1.Service:
		out[corev1.ResourceServices] = one
		switch o.Spec.Type {
		case corev1.ServiceTypeLoadBalancer:
			out[corev1.ResourceServicesLoadBalancers] = one
			out[corev1.ResourceServicesNodePorts] = *resource.NewQuantity(int64(len(o.Spec.Ports)), resource.DecimalSI)
		case corev1.ServiceTypeNodePort:
			out[corev1.ResourceServicesNodePorts] = *resource.NewQuantity(int64(len(o.Spec.Ports)), resource.DecimalSI)
		}
	case *corev1.ConfigMap:
		out[corev1.ResourceConfigMaps] = one
	case *corev1.Secret:
		out[corev1.ResourceSecrets] = one
	case *corev1.ResourceQuota:
		out[corev1.ResourceQuotas] = one
	}
	return out
}

func pvcClass(pvc *corev1.PersistentVolumeClaim) string {
	if pvc.Spec.StorageClassName != nil {
		return *pvc.Spec.StorageClassName
	}
	return ""
}

// quotaKinds are the kinds whose objects quotas count by name.
var quotaKinds = []string{"Pod", "PersistentVolumeClaim", "Service", "ConfigMap", "Secret", "ResourceQuota"}

// QuotaUsed sums what the namespace's objects charge for the resources
// the quota limits, as the resource quota controller writes status.used.
func QuotaUsed(st *store.Store, q *corev1.ResourceQuota) corev1.ResourceList {
	used := corev1.ResourceList{}
	for r := range q.Spec.Hard {
		used[r] = resource.Quantity{Format: q.Spec.Hard[r].Format}
	}
	kinds := quotaKinds
	for r := range q.Spec.Hard {
		if k := CountKind(string(r)); k != "" && !slices.Contains(kinds, k) {
			kinds = append(slices.Clone(kinds), k)
		}
	}
	for _, kind := range kinds {
		for _, o := range st.List(kind, q.Namespace) {
			if !quotaScopesMatch(q, o) {
				continue
			}
			for r, v := range QuotaUsage(o) {
				if cur, ok := used[r]; ok {
					cur.Add(v)
					used[r] = cur
				}
			}
		}
	}
	return used
}

// CountKind is the kind a count/<resource>.<group> quota names, or "".
func CountKind(r string) string {
	res, ok := strings.CutPrefix(r, "count/")
	if !ok {
		return ""
	}
	res, group, _ := strings.Cut(res, ".")
	for _, k := range store.Kinds() {
		info, _ := store.LookupKind(k)
		if info.Resource == res && info.GroupVersion.Group == group {
			return k
		}
	}
	return ""
}

// quotaScopesMatch: the quota's scopes (Terminating, NotTerminating,
// BestEffort, NotBestEffort, PriorityClass) select the pod; other kinds
// match only an unscoped quota.
func quotaScopesMatch(q *corev1.ResourceQuota, o store.Object) bool {
	scopes := slices.Clone(q.Spec.Scopes)
	var sel []corev1.ScopedResourceSelectorRequirement
	if q.Spec.ScopeSelector != nil {
		sel = q.Spec.ScopeSelector.MatchExpressions
	}
	if len(scopes)+len(sel) == 0 {
		return true
	}
	pod, ok := o.(*corev1.Pod)
	if !ok {
		return false
	}
	for _, s := range scopes {
		if !podInScope(pod, s, corev1.ScopedResourceSelectorRequirement{}) {
			return false
		}
	}
	for _, r := range sel {
		if !podInScope(pod, r.ScopeName, r) {
			return false
		}
	}
	return true
}

func podInScope(pod *corev1.Pod, scope corev1.ResourceQuotaScope, r corev1.ScopedResourceSelectorRequirement) bool {
	terminating := pod.Spec.ActiveDeadlineSeconds != nil && *pod.Spec.ActiveDeadlineSeconds >= 0
	switch scope {
	case corev1.ResourceQuotaScopeTerminating:
		return terminating
	case corev1.ResourceQuotaScopeNotTerminating:
		return !terminating
	case corev1.ResourceQuotaScopeBestEffort:
		return qosOf(pod) == corev1.PodQOSBestEffort
	case corev1.ResourceQuotaScopeNotBestEffort:
		return qosOf(pod) != corev1.PodQOSBestEffort
	case corev1.ResourceQuotaScopePriorityClass:
		switch r.Operator {
		case corev1.ScopeSelectorOpIn:
			return slices.Contains(r.Values, pod.Spec.PriorityClassName)
		case corev1.ScopeSelectorOpNotIn:
			return !slices.Contains(r.Values, pod.Spec.PriorityClassName)
		case corev1.ScopeSelectorOpExists:
			return pod.Spec.PriorityClassName != ""
		case corev1.ScopeSelectorOpDoesNotExist:
			return pod.Spec.PriorityClassName == ""
		}
	}
	return false
}

func qosOf(pod *corev1.Pod) corev1.PodQOSClass {
	for _, cs := range [][]corev1.Container{pod.Spec.Containers, pod.Spec.InitContainers} {
		for _, c := range cs {
			for _, l := range []corev1.ResourceList{c.Resources.Requests, c.Resources.Limits} {
				for _, r := range []corev1.ResourceName{corev1.ResourceCPU, corev1.ResourceMemory} {
					if q, ok := l[r]; ok && !q.IsZero() {
						return corev1.PodQOSBurstable // not best effort is all scopes ask
					}
				}
			}
		}
	}
	return corev1.PodQOSBestEffort
}

// admitQuota is the ResourceQuota admission plugin on create: every quota
// of the namespace that limits something the object charges must have
// room for it, and a pod must state the cpu/memory requests and limits a
// quota limits. The usage is recomputed from the store, so it is what the
// quota controller's status.used says once it catches up.
func (s *Server) admitQuota(obj store.Object) error {
	if !slices.Contains(quotaKinds, store.MustKind(obj)) && !s.countQuotaExists(obj) {
		return nil
	}
	quotas := s.store.List("ResourceQuota", obj.GetNamespace())
	if len(quotas) == 0 {
		return nil
	}
	info, _ := store.KindOf(obj)
	delta := QuotaUsage(obj)
	for _, o := range quotas {
		q := o.(*corev1.ResourceQuota)
		if !quotaScopesMatch(q, obj) {
			continue
		}
		if pod, ok := obj.(*corev1.Pod); ok {
			if err := podQuotaConstraints(q, pod); err != nil {
				return apierrors.NewForbidden(info.GroupResource(), obj.GetName(), fmt.Errorf("failed quota: %s: %v", q.Name, err))
			}
		}
		used := QuotaUsed(s.store, q)
		var names []corev1.ResourceName
		for _, r := range sortedResources(q.Spec.Hard) {
			v, ok := delta[r]
			if !ok || v.IsZero() {
				continue
			}
			total := used[r].DeepCopy()
			total.Add(v)
			if total.Cmp(q.Spec.Hard[r]) > 0 {
				names = append(names, r)
			}
		}
		if len(names) > 0 {
			return apierrors.NewForbidden(info.GroupResource(), obj.GetName(), fmt.Errorf("exceeded quota: %s, requested: %s, used: %s, limited: %s",
				q.Name, quotaList(names, delta), quotaList(names, used), quotaList(names, q.Spec.Hard)))
		}
	}
	return nil
}

func (s *Server) countQuotaExists(obj store.Object) bool {
	kind := store.MustKind(obj)
	for _, o := range s.store.List("ResourceQuota", obj.GetNamespace()) {
		for r := range o.(*corev1.ResourceQuota).Spec.Hard {
			if CountKind(string(r)) == kind {
				return true
			}
		}
	}
	return false
}

func quotaList(names []corev1.ResourceName, l corev1.ResourceList) string {
	parts := make([]string, len(names))
	for i, n := range names {
		q := l[n]
		parts[i] = string(n) + "=" + q.String()
	}
	return strings.Join(parts, ",")
}

// podQuotaConstraints: a quota on cpu or memory requests or limits needs
// every container to state that request or limit (upstream's backward
// compatible rule).
func podQuotaConstraints(q *corev1.ResourceQuota, pod *corev1.Pod) error {
	need := map[corev1.ResourceName][]string{}
	for r := range q.Spec.Hard {
		var res corev1.ResourceName
		var limits bool
		switch r {
		case corev1.ResourceCPU, corev1.ResourceRequestsCPU:
			res = corev1.ResourceCPU
		case corev1.ResourceMemory, corev1.ResourceRequestsMemory:
			res = corev1.ResourceMemory
		case corev1.ResourceLimitsCPU:
			res, limits = corev1.ResourceCPU, true
		case corev1.ResourceLimitsMemory:
			res, limits = corev1.ResourceMemory, true
		default:
			continue
		}
		for _, cs := range [][]corev1.Container{pod.Spec.Containers, pod.Spec.InitContainers} {
			for _, c := range cs {
				l := c.Resources.Requests
				if limits {
					l = c.Resources.Limits
				}
				if _, ok := l[res]; !ok {
					need[r] = append(need[r], c.Name)
				}
			}
		}
	}
	if len(need) == 0 {
		return nil
	}
	var msgs []string
	for _, r := range sortedResources(resourceKeys(need)) {
		names := slices.Compact(slices.Sorted(slices.Values(need[r])))
		msgs = append(msgs, string(r)+" for: "+strings.Join(names, ","))
	}
	return fmt.Errorf("must specify %s", strings.Join(msgs, "; "))
}

func resourceKeys(m map[corev1.ResourceName][]string) corev1.ResourceList {
	out := corev1.ResourceList{}
	for k := range m {
		out[k] = resource.Quantity{}
	}
	return out
}
