package podutil

import (
	"fmt"
	"maps"
	"math/rand/v2"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	resourcehelper "k8s.io/component-helpers/resource"
)

// TestRequestsMatchUpstream holds the allocation-free requests to
// component-helpers' PodRequests on generated pods: app containers,
// native sidecars and init containers in any order, container statuses
// with allocated and actuated resources (resized up or down, a resize
// infeasible or not), overhead, missing requests and quantities of odd
// precision. Pods with pod-level requests must be refused (they take
// upstream's own path).
func TestRequestsMatchUpstream(t *testing.T) {
	rng := rand.New(rand.NewPCG(15, 150000))
	nonZero := requestOptions
	nonZero.NonMissingContainerRequests = corev1.ResourceList{
		corev1.ResourceCPU:    *resource.NewMilliQuantity(DefaultMilliCPURequest, resource.DecimalSI),
		corev1.ResourceMemory: *resource.NewQuantity(DefaultMemoryRequest, resource.BinarySI),
	}
	fast, spec := 0, 0
	for i := 0; i < 5000; i++ {
		p := randomPod(rng)
		if !statusResources(p) && !resourcehelper.IsPodResizeInfeasible(p) {
			spec++ // one aggregate per resource
		}
		want := fromList(resourcehelper.PodRequests(p, requestOptions))
		got, ok := requests(p, false)
		if resourcehelper.IsPodLevelRequestsSet(p) {
			if ok {
				t.Fatalf("pod %d has pod-level requests but took the fast path", i)
			}
			continue
		}
		if !ok {
			if p.Status.Resources != nil && p.Status.AllocatedResources != nil {
				continue // pod-level resize status: upstream's path
			}
			t.Fatalf("pod %d refused by the fast path", i)
		}
		fast++
		if !got.Equal(want) {
			t.Fatalf("pod %d: PodRequests = %+v, upstream %+v\n%s", i, got, want, describe(p))
		}
		if got, want := PodRequests(p), want; !got.Equal(want) {
			t.Fatalf("pod %d: exported PodRequests = %+v, upstream %+v", i, got, want)
		}
		wantNZ := fromList(resourcehelper.PodRequests(p, nonZero))
		if gotNZ, _ := requests(p, true); !gotNZ.Equal(wantNZ) {
			t.Fatalf("pod %d: NonZeroRequests = %+v, upstream %+v\n%s", i, gotNZ, wantNZ, describe(p))
		}
	}
	if fast < 4000 {
		t.Fatalf("only %d of 5000 generated pods took the fast path: the generator no longer tests it", fast)
	}
	if spec < 1000 || spec > 4000 {
		t.Fatalf("%d of 5000 generated pods have no status resources: the generator no longer tests both sides", spec)
	}
}

// TestRequestsAllocateNothing: the point of the fast path.
func TestRequestsAllocateNothing(t *testing.T) {
	p := &corev1.Pod{Spec: corev1.PodSpec{Containers: []corev1.Container{
		{Name: "a", Resources: corev1.ResourceRequirements{Requests: corev1.ResourceList{
			corev1.ResourceCPU: resource.MustParse("100m"), corev1.ResourceMemory: resource.MustParse("128Mi")}}},
		{Name: "b"},
	}}}
	p.Status.ContainerStatuses = []corev1.ContainerStatus{{Name: "a", AllocatedResources: p.Spec.Containers[0].Resources.Requests,
		Resources: &corev1.ResourceRequirements{Requests: p.Spec.Containers[0].Resources.Requests}}}
	if n := testing.AllocsPerRun(100, func() { PodRequests(p); NonZeroRequests(p) }); n != 0 {
		t.Fatalf("PodRequests and NonZeroRequests allocate %.0f times per call, want 0", n)
	}
	if got := NonZeroRequests(p); got.MilliCPU != 200 || got.Memory != 128<<20+DefaultMemoryRequest {
		t.Fatalf("NonZeroRequests = %+v, want 200m and 128Mi+200Mi", got)
	}
}

var quantities = []string{"0", "1", "100m", "250m", "1500m", "0.5m", "2", "1.5", "64Mi", "128Mi", "1Gi", "1G", "100M", "123456789", "3.3333", "1e3", "7Ki"}

func randomList(rng *rand.Rand) corev1.ResourceList {
	if rng.IntN(4) == 0 {
		return nil
	}
	l := corev1.ResourceList{}
	if rng.IntN(4) != 0 {
		l[corev1.ResourceCPU] = resource.MustParse(quantities[rng.IntN(len(quantities))])
	}
	if rng.IntN(4) != 0 {
		l[corev1.ResourceMemory] = resource.MustParse(quantities[rng.IntN(len(quantities))])
	}
	if rng.IntN(8) == 0 {
		l[corev1.ResourceEphemeralStorage] = resource.MustParse("1Gi")
	}
	return l
}

func randomPod(rng *rand.Rand) *corev1.Pod {
	p := &corev1.Pod{}
	always := corev1.ContainerRestartPolicyAlways
	for i, n := 0, rng.IntN(4); i < n; i++ {
		p.Spec.Containers = append(p.Spec.Containers, corev1.Container{Name: fmt.Sprintf("c%d", i),
			Resources: corev1.ResourceRequirements{Requests: randomList(rng)}})
	}
	if rng.IntN(3) == 0 {
		for i, n := 0, 1+rng.IntN(3); i < n; i++ {
			c := corev1.Container{Name: fmt.Sprintf("i%d", i), Resources: corev1.ResourceRequirements{Requests: randomList(rng)}}
			if rng.IntN(2) == 0 {
				c.RestartPolicy = &always
			}
			p.Spec.InitContainers = append(p.Spec.InitContainers, c)
		}
	}
	statuses := func(cs []corev1.Container) []corev1.ContainerStatus {
		var out []corev1.ContainerStatus
		for _, c := range cs {
			if rng.IntN(3) == 0 {
				continue
			}
			s := corev1.ContainerStatus{Name: c.Name}
			switch rng.IntN(3) {
			case 0:
				s.AllocatedResources = c.Resources.Requests
			case 1:
				s.AllocatedResources = randomList(rng)
			}
			if rng.IntN(2) == 0 {
				s.Resources = &corev1.ResourceRequirements{Requests: randomList(rng)}
			}
			out = append(out, s)
		}
		return out
	}
	p.Status.ContainerStatuses = statuses(p.Spec.Containers)
	p.Status.InitContainerStatuses = statuses(p.Spec.InitContainers)
	if rng.IntN(4) == 0 {
		reason := corev1.PodReasonInfeasible
		if rng.IntN(2) == 0 {
			reason = corev1.PodReasonDeferred
		}
		p.Status.Conditions = append(p.Status.Conditions, corev1.PodCondition{Type: corev1.PodResizePending, Status: corev1.ConditionTrue, Reason: reason})
	}
	if rng.IntN(5) == 0 {
		p.Spec.Overhead = randomList(rng)
	}
	if rng.IntN(20) == 0 {
		p.Spec.Resources = &corev1.ResourceRequirements{Requests: randomList(rng)}
	}
	if rng.IntN(20) == 0 {
		p.Status.Resources = &corev1.ResourceRequirements{Requests: randomList(rng)}
		p.Status.AllocatedResources = randomList(rng)
	}
	return p
}

func describe(p *corev1.Pod) string {
	s := ""
	for _, c := range p.Spec.Containers {
		s += fmt.Sprintf("container %s %v\n", c.Name, c.Resources.Requests)
	}
	for _, c := range p.Spec.InitContainers {
		s += fmt.Sprintf("init %s sidecar=%t %v\n", c.Name, c.RestartPolicy != nil, c.Resources.Requests)
	}
	for _, cs := range append(p.Status.ContainerStatuses, p.Status.InitContainerStatuses...) {
		s += fmt.Sprintf("status %s allocated %v resources %v\n", cs.Name, cs.AllocatedResources, cs.Resources)
	}
	return s + fmt.Sprintf("conditions %v overhead %v", p.Status.Conditions, p.Spec.Overhead)
}

// BenchmarkPodRequests is the requests of a pod as the simulation makes
// them: one container with CPU and memory requests, a running status that
// carries no resources.
func BenchmarkPodRequests(b *testing.B) {
	p := &corev1.Pod{Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "app", Resources: corev1.ResourceRequirements{
		Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("250m"), corev1.ResourceMemory: resource.MustParse("256Mi")}}}}}}
	p.Status.ContainerStatuses = []corev1.ContainerStatus{{Name: "app", Ready: true}}
	for b.Loop() {
		PodRequests(p)
	}
}

// TestRequestsMemo: the memo answers PodRequests for every pod, whether
// its one container's list is the map the memo holds or not, and
// whatever else the pod has beside that same map (an init container,
// overhead, pod-level or status resources, an infeasible resize); and
// it computes a pod's requests again only for a new map.
func TestRequestsMemo(t *testing.T) {
	shared := corev1.ResourceList{
		corev1.ResourceCPU:    resource.MustParse("100m"),
		corev1.ResourceMemory: resource.MustParse("128Mi"),
	}
	other := corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("2"), "nvidia.com/gpu": resource.MustParse("1")}
	one := func(l corev1.ResourceList) *corev1.Pod {
		return &corev1.Pod{Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "app", Resources: corev1.ResourceRequirements{Requests: l}}}}}
	}
	with := func(l corev1.ResourceList, edit func(*corev1.Pod)) *corev1.Pod {
		p := one(l)
		edit(p)
		return p
	}
	tests := []struct {
		name string
		pod  *corev1.Pod
		hit  bool // answered from the memo, as left by the row before
	}{
		{"first", one(shared), false},
		{"same map", one(shared), true},
		{"same map, init container", with(shared, func(p *corev1.Pod) {
			p.Spec.InitContainers = []corev1.Container{{Name: "init", Resources: corev1.ResourceRequirements{Requests: other}}}
		}), false},
		{"same map after another pod", one(shared), true},
		{"same map, overhead", with(shared, func(p *corev1.Pod) { p.Spec.Overhead = other }), false},
		{"same map, pod-level requests", with(shared, func(p *corev1.Pod) {
			p.Spec.Resources = &corev1.ResourceRequirements{Requests: other}
		}), false},
		{"same map, pod-level status resources", with(shared, func(p *corev1.Pod) {
			p.Status.Resources = &corev1.ResourceRequirements{Requests: other}
			p.Status.AllocatedResources = other
		}), false},
		{"same map, allocated resources", with(shared, func(p *corev1.Pod) {
			p.Status.ContainerStatuses = []corev1.ContainerStatus{{Name: "app", AllocatedResources: other}}
		}), false},
		{"same map, infeasible resize", with(shared, func(p *corev1.Pod) {
			p.Status.Conditions = []corev1.PodCondition{{Type: corev1.PodResizePending, Reason: corev1.PodReasonInfeasible}}
			p.Status.ContainerStatuses = []corev1.ContainerStatus{{Name: "app"}}
		}), false},
		{"equal map, not the same", one(maps.Clone(shared)), false},
		{"scalar resources", one(other), false},
		{"scalar resources again", one(other), true},
		{"two containers", with(other, func(p *corev1.Pod) {
			p.Spec.Containers = append(p.Spec.Containers, corev1.Container{Name: "b", Resources: corev1.ResourceRequirements{Requests: shared}})
		}), false},
		{"no requests", one(nil), false},
		{"no requests again", one(nil), false},
	}
	var m RequestsMemo
	for _, tt := range tests {
		// A copy of the memo whose answer is marked: a pod answered from
		// it gets the mark, one computed does not.
		marked := m
		marked.res.Pods = -1
		if got := marked.PodRequests(tt.pod); (got.Pods == -1) != tt.hit {
			t.Fatalf("%s: answered from the memo %v, want %v", tt.name, got.Pods == -1, tt.hit)
		}
		got, want := m.PodRequests(tt.pod), fromList(resourcehelper.PodRequests(tt.pod, requestOptions))
		if !got.Equal(want) {
			t.Fatalf("%s: memo PodRequests = %+v, upstream %+v", tt.name, got, want)
		}
	}
}
