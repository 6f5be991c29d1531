package podutil

import (
	"reflect"
	"slices"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	resourcehelper "k8s.io/component-helpers/resource"
)

// The scheduler, the kubelet, the cost meter and the quota controller ask
// for a pod's requests on nearly every pod event: at 30,000 pods
// component-helpers' PodRequests, which builds a ResourceList map per
// container and per aggregate, made a third of all the bytes the
// simulation allocated. requests computes the same numbers (CPU, memory
// and, for the few pods that request them, the scalar resources) one
// resource at a time with
// resource.Quantity arithmetic, so that nothing is allocated. Every step
// of upstream's aggregation is per resource (sums, maxima, the defaults
// substituted for a missing request), which is what makes this exact;
// TestRequestsMatchUpstream checks it against component-helpers on
// generated pods. Pods with pod-level requests (or pod-level resize
// status) take upstream's own path.

var (
	defaultCPURequest    = *resource.NewMilliQuantity(DefaultMilliCPURequest, resource.DecimalSI)
	defaultMemoryRequest = *resource.NewQuantity(DefaultMemoryRequest, resource.BinarySI)
)

// requests returns PodRequests (nonZero false) or NonZeroRequests
// (nonZero true) of p, and false when p needs upstream's own path.
func requests(p *corev1.Pod, nonZero bool) (Resources, bool) {
	if resourcehelper.IsPodLevelRequestsSet(p) ||
		(p.Status.AllocatedResources != nil && p.Status.Resources != nil && p.Status.Resources.Requests != nil) {
		return Resources{}, false
	}
	infeasible := resourcehelper.IsPodResizeInfeasible(p)
	spec := !infeasible && !statusResources(p)
	cpu := podResource(p, corev1.ResourceCPU, nonZero, defaultCPURequest, infeasible, spec)
	mem := podResource(p, corev1.ResourceMemory, nonZero, defaultMemoryRequest, infeasible, spec)
	if p.Spec.Overhead != nil {
		if q, ok := p.Spec.Overhead[corev1.ResourceCPU]; ok {
			cpu.Add(q)
		}
		if q, ok := p.Spec.Overhead[corev1.ResourceMemory]; ok {
			mem.Add(q)
		}
	}
	return Resources{MilliCPU: cpu.MilliValue(), Memory: mem.Value(), Pods: 1, Scalars: scalarRequests(p, infeasible, spec)}, true
}

// scalarRequests aggregates the pod's scalar resources (ephemeral-storage,
// hugepages, extended resources) the same way, with no default for a
// missing request; nil, allocating nothing, when no list names one.
func scalarRequests(p *corev1.Pod, infeasible, spec bool) []Scalar {
	var names []corev1.ResourceName
	note := func(l corev1.ResourceList) {
		for name := range l {
			if IsScalarResourceName(name) && !slices.Contains(names, name) {
				names = append(names, name)
			}
		}
	}
	for _, cs := range [][]corev1.Container{p.Spec.Containers, p.Spec.InitContainers} {
		for i := range cs {
			note(cs[i].Resources.Requests)
		}
	}
	for _, st := range [][]corev1.ContainerStatus{p.Status.ContainerStatuses, p.Status.InitContainerStatuses} {
		for i := range st {
			note(st[i].AllocatedResources)
			if st[i].Resources != nil {
				note(st[i].Resources.Requests)
			}
		}
	}
	note(p.Spec.Overhead)
	if len(names) == 0 {
		return nil
	}
	l := make(corev1.ResourceList, len(names))
	for _, name := range names {
		q := podResource(p, name, false, resource.Quantity{}, infeasible, spec)
		if o, ok := p.Spec.Overhead[name]; ok {
			q.Add(o)
		}
		l[name] = q
	}
	return scalarsOf(l)
}

// Which list of a container's requests an aggregate reads (upstream's
// containerSpecRequests, containerAllocatedRequests and
// containerActuatedRequests).
const (
	fromSpec = iota
	fromAllocated
	fromActuated
)

// podResource is one resource of AggregateContainerRequests with status
// resources in use: the larger of the aggregates over the spec, the
// allocated and the actuated requests (only the last two while a resize
// is infeasible). spec says that the three are the spec's (see
// statusResources): then only that one is computed.
func podResource(p *corev1.Pod, name corev1.ResourceName, nonZero bool, def resource.Quantity, infeasible, spec bool) resource.Quantity {
	if spec {
		return aggregate(p, name, nonZero, def, infeasible, fromSpec)
	}
	alloc := aggregate(p, name, nonZero, def, infeasible, fromAllocated)
	act := aggregate(p, name, nonZero, def, infeasible, fromActuated)
	out := maxQuantity(act, alloc)
	if !infeasible {
		out = maxQuantity(aggregate(p, name, nonZero, def, infeasible, fromSpec), out)
	}
	return out
}

// statusResources reports whether a container status of p carries
// allocated or actuated resources. Without any, and with no infeasible
// resize, the allocated and the actuated aggregates read every
// container's spec requests (containerRequest falls back to them), so all
// three aggregates of podResource are the spec's: the simulated kubelet
// writes neither field, and a pod's requests cost one aggregate per
// resource instead of three.
func statusResources(p *corev1.Pod) bool {
	for _, st := range [2][]corev1.ContainerStatus{p.Status.ContainerStatuses, p.Status.InitContainerStatuses} {
		for i := range st {
			if st[i].AllocatedResources != nil || st[i].Resources != nil {
				return true
			}
		}
	}
	return false
}

// aggregate is one resource of aggregateContainerResourcesByFn: the app
// containers and native sidecars summed, against the largest need of an
// ordinary init container (with the sidecars started before it).
func aggregate(p *corev1.Pod, name corev1.ResourceName, nonZero bool, def resource.Quantity, infeasible bool, from int) resource.Quantity {
	var sum, sidecars, initMax resource.Quantity
	for i := range p.Spec.Containers {
		sum.Add(containerRequest(p, &p.Spec.Containers[i], name, nonZero, def, infeasible, from))
	}
	for i := range p.Spec.InitContainers {
		c := &p.Spec.InitContainers[i]
		q := containerRequest(p, c, name, nonZero, def, infeasible, from)
		var need resource.Quantity
		if IsRestartableInitContainer(c) {
			sum.Add(q)
			sidecars.Add(q)
			need.Add(sidecars)
		} else {
			need.Add(q)
			need.Add(sidecars)
		}
		initMax = maxQuantity(initMax, need)
	}
	return maxQuantity(sum, initMax)
}

// containerRequest is one resource of one container's list, with the
// default substituted when the list lacks it (applyNonMissing). The
// result never shares its inf.Dec with the pod's.
func containerRequest(p *corev1.Pod, c *corev1.Container, name corev1.ResourceName, nonZero bool, def resource.Quantity, infeasible bool, from int) resource.Quantity {
	list := c.Resources.Requests
	if from != fromSpec {
		cs := findContainerStatus(p, c.Name)
		switch {
		case from == fromActuated && cs != nil && cs.Resources != nil && cs.Resources.Requests != nil:
			list = cs.Resources.Requests
		case cs != nil && cs.AllocatedResources != nil:
			list = cs.AllocatedResources
		case infeasible:
			list = nil
		}
	}
	var out resource.Quantity
	if q, ok := list[name]; ok {
		out.Add(q)
	} else if nonZero {
		out.Add(def)
	}
	return out
}

func findContainerStatus(p *corev1.Pod, name string) *corev1.ContainerStatus {
	for i := range p.Status.ContainerStatuses {
		if p.Status.ContainerStatuses[i].Name == name {
			return &p.Status.ContainerStatuses[i]
		}
	}
	for i := range p.Status.InitContainerStatuses {
		if p.Status.InitContainerStatuses[i].Name == name {
			return &p.Status.InitContainerStatuses[i]
		}
	}
	return nil
}

// maxQuantity is the larger of a and b, as a copy of its own.
func maxQuantity(a, b resource.Quantity) resource.Quantity {
	if b.Cmp(a) > 0 {
		return b.DeepCopy()
	}
	return a.DeepCopy()
}

// RequestsMemo answers PodRequests for a pod of one container and
// nothing else that counts (no init container, overhead, pod-level
// resources in spec or status, container status resources or infeasible
// resize) from the requests of
// the last such pod it was asked about, when the container's list is
// the same map: its requests are then a function of that map alone. The
// API server shares one map among the pods of equal requests
// (apiserver.shareResources) and stored maps are never written in place,
// so a node admitting pods of the same requests computes them once. The
// memo holds the map, so its address cannot be reused by another. Not
// safe for concurrent use: a component keeps its own.
type RequestsMemo struct {
	list corev1.ResourceList
	res  Resources
}

// PodRequests is PodRequests(p), remembered for the next pod (see
// RequestsMemo).
func (m *RequestsMemo) PodRequests(p *corev1.Pod) Resources {
	if !requestsOfOneList(p) {
		return PodRequests(p)
	}
	l := p.Spec.Containers[0].Resources.Requests
	if l == nil || !SameMap(l, m.list) {
		m.list, m.res = l, PodRequests(p)
	}
	return m.res
}

// SameMap reports whether a and b are one map (not merely equal ones):
// then, stored maps (labels, resource lists) never being written in
// place, what is computed from one holds for the other, as long as a
// memo holds the map (and so its address).
func SameMap[M ~map[K]V, K comparable, V any](a, b M) bool {
	return reflect.ValueOf(a).UnsafePointer() == reflect.ValueOf(b).UnsafePointer()
}

// requestsOfOneList: p's requests are its one container's requests
// list and nothing else (see RequestsMemo).
func requestsOfOneList(p *corev1.Pod) bool {
	return len(p.Spec.Containers) == 1 && len(p.Spec.InitContainers) == 0 && p.Spec.Overhead == nil &&
		p.Spec.Resources == nil && p.Status.Resources == nil && !statusResources(p) && !resourcehelper.IsPodResizeInfeasible(p)
}
