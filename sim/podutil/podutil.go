// Package podutil holds the small facts about pods and nodes that several
// components need (requests, readiness, ownership, and the READY, STATUS
// and RESTARTS columns of `kubectl get pods`), computed the way upstream
// computes them. It is the one place for each: the API server's tables,
// the live views (TUI, web page), the reports and the controllers use it.
package podutil

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation"
	resourcehelper "k8s.io/component-helpers/resource"
)

// Resources is an amount of CPU (millicores), memory (bytes) and pods,
// plus the other resources the scheduler fits (Scalars).
type Resources struct {
	MilliCPU int64
	Memory   int64
	Pods     int64
	// Scalars are the resources other than cpu, memory and pods that
	// kube-scheduler fits: ephemeral-storage, hugepages-*, and extended
	// resources such as nvidia.com/gpu (upstream's EphemeralStorage and
	// ScalarResources). Sorted by name, no zero entries, nil for most
	// pods; never modified in place (Add and Sub return new slices).
	Scalars []Scalar
}

// Scalar is one amount of a resource other than cpu, memory and pods.
type Scalar struct {
	Name  corev1.ResourceName
	Value int64
}

// Add returns r + o.
func (r Resources) Add(o Resources) Resources {
	return Resources{r.MilliCPU + o.MilliCPU, r.Memory + o.Memory, r.Pods + o.Pods, mergeScalars(r.Scalars, o.Scalars, 1)}
}

// Sub returns r - o.
func (r Resources) Sub(o Resources) Resources {
	return Resources{r.MilliCPU - o.MilliCPU, r.Memory - o.Memory, r.Pods - o.Pods, mergeScalars(r.Scalars, o.Scalars, -1)}
}

// Scalar returns the amount of resource name (0 when absent).
func (r Resources) Scalar(name corev1.ResourceName) int64 {
	for _, s := range r.Scalars {
		if s.Name == name {
			return s.Value
		}
	}
	return 0
}

// mergeScalars returns a + sign*b, sorted, without zero entries. It
// allocates only when b has entries.
func mergeScalars(a, b []Scalar, sign int64) []Scalar {
	if len(b) == 0 {
		return a
	}
	out := make([]Scalar, 0, len(a)+len(b))
	i, j := 0, 0
	for i < len(a) || j < len(b) {
		var s Scalar
		switch {
		case j == len(b) || (i < len(a) && a[i].Name < b[j].Name):
			s = a[i]
			i++
		case i == len(a) || b[j].Name < a[i].Name:
			s = Scalar{b[j].Name, sign * b[j].Value}
			j++
		default:
			s = Scalar{a[i].Name, a[i].Value + sign*b[j].Value}
			i++
			j++
		}
		if s.Value != 0 {
			out = append(out, s)
		}
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

// IsScalarResourceName reports whether kube-scheduler fits resource name
// beside cpu, memory and pods: ephemeral-storage, hugepages-*,
// attachable-volumes-*, resources in the kubernetes.io namespace
// (prefixed native resources) and extended resources (a domain-prefixed
// name outside kubernetes.io, not a quota "requests." name).
func IsScalarResourceName(name corev1.ResourceName) bool {
	n := string(name)
	switch {
	case name == corev1.ResourceEphemeralStorage,
		strings.HasPrefix(n, corev1.ResourceHugePagesPrefix),
		strings.HasPrefix(n, "attachable-volumes-"):
		return true
	case !strings.Contains(n, "/"):
		return false
	case strings.Contains(n, "kubernetes.io/"):
		return true
	}
	return !strings.HasPrefix(n, corev1.DefaultResourceRequestsPrefix) && len(validation.IsQualifiedName(n)) == 0
}

// scalarsOf collects the scalar resources of l, sorted by name.
func scalarsOf(l corev1.ResourceList) []Scalar {
	var out []Scalar
	for name, q := range l {
		if IsScalarResourceName(name) {
			if v := q.Value(); v != 0 {
				out = append(out, Scalar{name, v})
			}
		}
	}
	slices.SortFunc(out, func(a, b Scalar) int { return strings.Compare(string(a.Name), string(b.Name)) })
	return out
}

// Equal reports whether r and o are the same amounts.
func (r Resources) Equal(o Resources) bool {
	return r.MilliCPU == o.MilliCPU && r.Memory == o.Memory && r.Pods == o.Pods && slices.Equal(r.Scalars, o.Scalars)
}

// Fits reports whether r is within capacity c in every dimension,
// the scalar resources included.
func (r Resources) Fits(c Resources) bool {
	if r.MilliCPU > c.MilliCPU || r.Memory > c.Memory || r.Pods > c.Pods {
		return false
	}
	for _, s := range r.Scalars {
		if s.Value > c.Scalar(s.Name) {
			return false
		}
	}
	return true
}

// requestOptions are the options the v1.37 scheduler (NodeInfo and the
// NodeResourcesFit plugin) and the kubelet's admission pass to
// component-helpers' PodRequests: InPlacePodVerticalScaling is GA (status
// resources count while a resize is in flight), PodLevelResources and
// InPlacePodLevelResourcesVerticalScaling are beta and on by default.
var requestOptions = resourcehelper.PodResourcesOptions{
	UseStatusResources: true,
	InPlacePodLevelResourcesVerticalScalingEnabled: true,
}

// PodRequests is what a pod asks of a node, as the scheduler and the
// kubelet count it (k8s.io/component-helpers resource.PodRequests): the
// app containers summed, each native sidecar (restartable init container)
// added, each ordinary init container counted together with the sidecars
// started before it and the pod taking the larger of that and the sum;
// pod-level requests where set; plus the pod overhead. Pods is 1.
func PodRequests(p *corev1.Pod) Resources {
	if r, ok := requests(p, false); ok {
		return r
	}
	return fromList(resourcehelper.PodRequests(p, requestOptions))
}

// PodLimits is the pod's limits aggregated the same way
// (resource.PodLimits).
func PodLimits(p *corev1.Pod) Resources {
	return fromList(resourcehelper.PodLimits(p, requestOptions))
}

func fromList(l corev1.ResourceList) Resources {
	r := Resources{Pods: 1}
	if q, ok := l[corev1.ResourceCPU]; ok {
		r.MilliCPU = q.MilliValue()
	}
	if q, ok := l[corev1.ResourceMemory]; ok {
		r.Memory = q.Value()
	}
	r.Scalars = scalarsOf(l)
	return r
}

// Default requests the scheduler's scoring assumes for a container that
// requests nothing (100m CPU, 200 MiB memory).
const (
	DefaultMilliCPURequest = 100
	DefaultMemoryRequest   = 200 * 1024 * 1024
)

// NonZeroRequests is PodRequests with the scoring defaults substituted for
// every container (init containers and sidecars included) that does not
// set a CPU or memory request, as the scheduler's NodeInfo and its
// resource scorers compute it. When pod-level requests are set, a default
// applies only to a resource missing at both levels.
func NonZeroRequests(p *corev1.Pod) Resources {
	if r, ok := requests(p, true); ok {
		return r
	}
	opts := requestOptions
	opts.NonMissingContainerRequests = corev1.ResourceList{
		corev1.ResourceCPU:    *resource.NewMilliQuantity(DefaultMilliCPURequest, resource.DecimalSI),
		corev1.ResourceMemory: *resource.NewQuantity(DefaultMemoryRequest, resource.BinarySI),
	}
	if resourcehelper.IsPodLevelRequestsSet(p) {
		reqs := resourcehelper.PodRequests(p, requestOptions)
		for name := range opts.NonMissingContainerRequests {
			if _, ok := reqs[name]; ok {
				delete(opts.NonMissingContainerRequests, name)
			}
		}
		if len(opts.NonMissingContainerRequests) == 0 {
			return fromList(reqs)
		}
	}
	return fromList(resourcehelper.PodRequests(p, opts))
}

// IsRestartableInitContainer reports whether c is a native sidecar: an
// init container with restartPolicy Always, which keeps running beside
// the app containers.
func IsRestartableInitContainer(c *corev1.Container) bool {
	return c.RestartPolicy != nil && *c.RestartPolicy == corev1.ContainerRestartPolicyAlways
}

// ContainerRequestSum is the request the HPA divides usage by (upstream's
// podautoscaler calculateRequests): the pod-level request when one is set
// and no container is named; otherwise the sum over the app containers
// and the native sidecars, or only the named container. Every counted
// container must set the request.
func ContainerRequestSum(p *corev1.Pod, container string, name corev1.ResourceName) (int64, error) {
	if container == "" && resourcehelper.IsPodLevelRequestsSet(p) {
		q, ok := resourcehelper.PodRequests(p, resourcehelper.PodResourcesOptions{})[name]
		if !ok {
			return 0, fmt.Errorf("missing pod-level request for %s in Pod %s", name, p.Name)
		}
		return q.MilliValue(), nil
	}
	var sum int64
	found := false
	count := func(c *corev1.Container) error {
		if container != "" && c.Name != container {
			return nil
		}
		found = true
		q, ok := c.Resources.Requests[name]
		if !ok {
			return fmt.Errorf("missing request for %s in container %s of Pod %s", name, c.Name, p.Name)
		}
		sum += q.MilliValue()
		return nil
	}
	for i := range p.Spec.Containers {
		if err := count(&p.Spec.Containers[i]); err != nil {
			return 0, err
		}
	}
	for i := range p.Spec.InitContainers {
		if c := &p.Spec.InitContainers[i]; IsRestartableInitContainer(c) {
			if err := count(c); err != nil {
				return 0, err
			}
		}
	}
	if container != "" && !found {
		return 0, fmt.Errorf("container %s not found in Pod %s", container, p.Name)
	}
	return sum, nil
}

// NodeAllocatable is a node's allocatable CPU, memory, pods and scalar
// resources.
func NodeAllocatable(n *corev1.Node) Resources { return AllocatableOf(n.Status.Allocatable) }

// AllocatableOf is an allocatable list (a node's, an instance type's) as
// Resources.
func AllocatableOf(a corev1.ResourceList) Resources {
	return Resources{a.Cpu().MilliValue(), a.Memory().Value(), a.Pods().Value(), scalarsOf(a)}
}

// IsTerminal reports whether the pod has finished (Succeeded or Failed).
func IsTerminal(p *corev1.Pod) bool {
	return p.Status.Phase == corev1.PodSucceeded || p.Status.Phase == corev1.PodFailed
}

// IsActive reports whether the pod counts toward its controller's replicas:
// not terminal and not being deleted.
func IsActive(p *corev1.Pod) bool { return !IsTerminal(p) && p.DeletionTimestamp == nil }

// IsReady reports whether the pod's Ready condition is True.
func IsReady(p *corev1.Pod) bool { return conditionTrue(p, corev1.PodReady) }

// ReadySince is when the pod last became Ready (zero if not ready).
func ReadySince(p *corev1.Pod) metav1.Time {
	cs := p.Status.Conditions
	for i := range cs {
		if cs[i].Type == corev1.PodReady && cs[i].Status == corev1.ConditionTrue {
			return cs[i].LastTransitionTime
		}
	}
	return metav1.Time{}
}

// IsAvailable reports whether the pod has been Ready for minReadySeconds
// at now.
func IsAvailable(p *corev1.Pod, minReadySeconds int32, now metav1.Time) bool {
	if !IsReady(p) {
		return false
	}
	if minReadySeconds == 0 {
		return true
	}
	since := ReadySince(p)
	return !since.IsZero() && !since.Add(secondsOf(minReadySeconds)).After(now.Time)
}

// NodeReady is the status of the node's Ready condition (Unknown if absent).
func NodeReady(n *corev1.Node) corev1.ConditionStatus {
	cs := n.Status.Conditions
	for i := range cs {
		if cs[i].Type == corev1.NodeReady {
			return cs[i].Status
		}
	}
	return corev1.ConditionUnknown
}

// ControllerOf returns the owner reference with controller=true, or nil.
// The references are fetched once and not copied while looked at: every
// watch handler of a controller asks it of every pod version.
func ControllerOf(o metav1.Object) *metav1.OwnerReference {
	refs := o.GetOwnerReferences()
	for i := range refs {
		if c := refs[i].Controller; c != nil && *c {
			return &refs[i]
		}
	}
	return nil
}

// EqualMaps is maps.Equal (labels.Equals) for two versions' labels or
// annotations, answered at once when both are one map: a write that did
// not touch them (a status write) keeps the previous version's map, and
// stored maps are never written in place. Watch handlers compare them on
// every write.
func EqualMaps(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	if len(a) == 0 || SameMap(a, b) {
		return true
	}
	return maps.Equal(a, b)
}

func secondsOf(s int32) time.Duration { return time.Duration(s) * time.Second }
