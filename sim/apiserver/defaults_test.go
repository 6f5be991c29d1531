package apiserver_test

import (
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"

	"github.com/kubesim/kubesim/sim/apiserver"
)

func TestDefaultPullPolicy(t *testing.T) {
	digest := "@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
	tests := []struct {
		image string
		want  corev1.PullPolicy
	}{
		{"nginx", corev1.PullAlways},
		{"nginx:latest", corev1.PullAlways},
		{"nginx:1.27", corev1.PullIfNotPresent},
		{"repo" + digest, corev1.PullIfNotPresent},
		{"repo:1.0" + digest, corev1.PullIfNotPresent},
		// Upstream parses the tag before the digest: latest stays Always.
		{"repo:latest" + digest, corev1.PullAlways},
		{"public.ecr.aws/eks/coredns", corev1.PullAlways},
		{"public.ecr.aws/eks/coredns:v1.11.1", corev1.PullIfNotPresent},
		// A registry port is not a tag.
		{"localhost:5000/app", corev1.PullAlways},
		{"localhost:5000/app:latest", corev1.PullAlways},
		{"localhost:5000/app:v2", corev1.PullIfNotPresent},
	}
	for _, tc := range tests {
		t.Run(tc.image, func(t *testing.T) {
			require.Equal(t, tc.want, apiserver.DefaultPullPolicy(tc.image))
			// The same value lands in a created pod.
			f := newFixture(t, 1)
			p := newPod("p")
			p.Spec.Containers[0].Image = tc.image
			out := f.create(p).(*corev1.Pod)
			require.Equal(t, tc.want, out.Spec.Containers[0].ImagePullPolicy)
		})
	}
}

func TestDefaultPodSpec(t *testing.T) {
	f := newFixture(t, 1)
	p := newPod("p")
	p.Spec.InitContainers = []corev1.Container{{Name: "init", Image: "busybox"}}
	c := &p.Spec.Containers[0]
	c.Ports = []corev1.ContainerPort{{ContainerPort: 80}, {ContainerPort: 53, Protocol: corev1.ProtocolUDP}}
	c.Resources.Limits = corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("500m"), corev1.ResourceMemory: resource.MustParse("256Mi")}
	c.Resources.Requests = corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("100m")}
	c.LivenessProbe = &corev1.Probe{InitialDelaySeconds: 5}
	c.ReadinessProbe = &corev1.Probe{PeriodSeconds: 2, FailureThreshold: 7}
	c.StartupProbe = &corev1.Probe{TimeoutSeconds: 4, SuccessThreshold: 1}
	out := f.create(p).(*corev1.Pod)

	s := out.Spec
	require.Equal(t, corev1.RestartPolicyAlways, s.RestartPolicy)
	require.Equal(t, ptr.To(int64(30)), s.TerminationGracePeriodSeconds)
	require.Equal(t, corev1.DNSClusterFirst, s.DNSPolicy)
	require.Equal(t, "default-scheduler", s.SchedulerName)
	require.Equal(t, "default", s.ServiceAccountName)
	require.Equal(t, &corev1.PodSecurityContext{}, s.SecurityContext)
	require.Equal(t, ptr.To(true), s.EnableServiceLinks)

	for _, ct := range []corev1.Container{s.InitContainers[0], s.Containers[0]} {
		require.Equal(t, "/dev/termination-log", ct.TerminationMessagePath, ct.Name)
		require.Equal(t, corev1.TerminationMessageReadFile, ct.TerminationMessagePolicy, ct.Name)
	}
	require.Equal(t, corev1.PullAlways, s.InitContainers[0].ImagePullPolicy)

	got := s.Containers[0]
	require.Equal(t, corev1.PullIfNotPresent, got.ImagePullPolicy)
	require.Equal(t, corev1.ProtocolTCP, got.Ports[0].Protocol)
	require.Equal(t, corev1.ProtocolUDP, got.Ports[1].Protocol)
	// Only the missing request (memory) is copied from the limit; cpu keeps 100m.
	require.Len(t, got.Resources.Requests, 2)
	require.Equal(t, "100m", ptr.To(got.Resources.Requests[corev1.ResourceCPU]).String())
	require.Equal(t, "256Mi", ptr.To(got.Resources.Requests[corev1.ResourceMemory]).String())

	probes := []struct {
		name string
		p    *corev1.Probe
		want corev1.Probe
	}{
		{"liveness", got.LivenessProbe, corev1.Probe{InitialDelaySeconds: 5, TimeoutSeconds: 1, PeriodSeconds: 10, SuccessThreshold: 1, FailureThreshold: 3}},
		{"readiness", got.ReadinessProbe, corev1.Probe{TimeoutSeconds: 1, PeriodSeconds: 2, SuccessThreshold: 1, FailureThreshold: 7}},
		{"startup", got.StartupProbe, corev1.Probe{TimeoutSeconds: 4, PeriodSeconds: 10, SuccessThreshold: 1, FailureThreshold: 3}},
	}
	for _, tc := range probes {
		require.Equal(t, tc.want, *tc.p, tc.name)
	}
}

func TestDefaultPodSpecKeepsExplicitValues(t *testing.T) {
	p := newPod("p")
	p.Spec.RestartPolicy = corev1.RestartPolicyNever
	p.Spec.TerminationGracePeriodSeconds = ptr.To(int64(5))
	p.Spec.DNSPolicy = corev1.DNSDefault
	p.Spec.SchedulerName = "my-scheduler"
	p.Spec.ServiceAccountName = "robot"
	p.Spec.EnableServiceLinks = ptr.To(false)
	p.Spec.Containers[0].ImagePullPolicy = corev1.PullNever
	p.Spec.Containers[0].Image = "nginx"
	apiserver.Default(p)
	require.Equal(t, corev1.RestartPolicyNever, p.Spec.RestartPolicy)
	require.Equal(t, int64(5), *p.Spec.TerminationGracePeriodSeconds)
	require.Equal(t, corev1.DNSDefault, p.Spec.DNSPolicy)
	require.Equal(t, "my-scheduler", p.Spec.SchedulerName)
	require.Equal(t, "robot", p.Spec.ServiceAccountName)
	require.False(t, *p.Spec.EnableServiceLinks)
	require.Equal(t, corev1.PullNever, p.Spec.Containers[0].ImagePullPolicy)
}

func TestDefaultDeployment(t *testing.T) {
	pct := func(s string) *intstr.IntOrString { v := intstr.FromString(s); return &v }
	num := func(n int32) *intstr.IntOrString { v := intstr.FromInt32(n); return &v }
	tests := []struct {
		name     string
		mutate   func(d *appsv1.Deployment)
		replicas int32
		strategy appsv1.DeploymentStrategy
		history  int32
		deadline int32
	}{
		{
			name:     "empty",
			mutate:   func(*appsv1.Deployment) {},
			replicas: 1,
			strategy: appsv1.DeploymentStrategy{Type: appsv1.RollingUpdateDeploymentStrategyType,
				RollingUpdate: &appsv1.RollingUpdateDeployment{MaxSurge: pct("25%"), MaxUnavailable: pct("25%")}},
			history: 10, deadline: 600,
		},
		{
			name: "partial rolling update keeps the given field",
			mutate: func(d *appsv1.Deployment) {
				d.Spec.Replicas = ptr.To(int32(0))
				d.Spec.Strategy.RollingUpdate = &appsv1.RollingUpdateDeployment{MaxSurge: num(3)}
				d.Spec.RevisionHistoryLimit = ptr.To(int32(2))
				d.Spec.ProgressDeadlineSeconds = ptr.To(int32(60))
			},
			replicas: 0,
			strategy: appsv1.DeploymentStrategy{Type: appsv1.RollingUpdateDeploymentStrategyType,
				RollingUpdate: &appsv1.RollingUpdateDeployment{MaxSurge: num(3), MaxUnavailable: pct("25%")}},
			history: 2, deadline: 60,
		},
		{
			name:     "recreate gets no rolling update",
			mutate:   func(d *appsv1.Deployment) { d.Spec.Strategy.Type = appsv1.RecreateDeploymentStrategyType },
			replicas: 1,
			strategy: appsv1.DeploymentStrategy{Type: appsv1.RecreateDeploymentStrategyType},
			history:  10, deadline: 600,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, 1)
			d := newDeployment("web")
			tc.mutate(d)
			out := f.create(d).(*appsv1.Deployment)
			require.Equal(t, tc.replicas, *out.Spec.Replicas)
			require.Equal(t, tc.strategy, out.Spec.Strategy)
			require.Equal(t, tc.history, *out.Spec.RevisionHistoryLimit)
			require.Equal(t, tc.deadline, *out.Spec.ProgressDeadlineSeconds)
			require.Equal(t, corev1.RestartPolicyAlways, out.Spec.Template.Spec.RestartPolicy)
			require.Equal(t, "default-scheduler", out.Spec.Template.Spec.SchedulerName)
		})
	}
}

// The two 25% defaults are separate values: changing one in place must
// not change the other.
func TestDefaultDeploymentSurgeAndUnavailableDoNotAlias(t *testing.T) {
	d := newDeployment("web")
	apiserver.Default(d)
	ru := d.Spec.Strategy.RollingUpdate
	require.NotSame(t, ru.MaxSurge, ru.MaxUnavailable)
	ru.MaxSurge.StrVal = "50%"
	require.Equal(t, "25%", ru.MaxUnavailable.StrVal)
}

func TestDefaultDaemonSet(t *testing.T) {
	one, zero := intstr.FromInt32(1), intstr.FromInt32(0)
	tests := []struct {
		name string
		in   appsv1.DaemonSetUpdateStrategy
		want appsv1.DaemonSetUpdateStrategy
	}{
		{"empty", appsv1.DaemonSetUpdateStrategy{},
			appsv1.DaemonSetUpdateStrategy{Type: appsv1.RollingUpdateDaemonSetStrategyType,
				RollingUpdate: &appsv1.RollingUpdateDaemonSet{MaxUnavailable: &one, MaxSurge: &zero}}},
		{"OnDelete untouched", appsv1.DaemonSetUpdateStrategy{Type: appsv1.OnDeleteDaemonSetStrategyType},
			appsv1.DaemonSetUpdateStrategy{Type: appsv1.OnDeleteDaemonSetStrategyType}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ds := &appsv1.DaemonSet{ObjectMeta: metav1.ObjectMeta{Name: "ds"}, Spec: appsv1.DaemonSetSpec{UpdateStrategy: tc.in}}
			apiserver.Default(ds)
			require.Equal(t, tc.want, ds.Spec.UpdateStrategy)
			require.Equal(t, int32(10), *ds.Spec.RevisionHistoryLimit)
		})
	}
}

func TestDefaultStatefulSetAndReplicaSet(t *testing.T) {
	ss := &appsv1.StatefulSet{}
	apiserver.Default(ss)
	require.Equal(t, int32(1), *ss.Spec.Replicas)
	require.Equal(t, appsv1.OrderedReadyPodManagement, ss.Spec.PodManagementPolicy)
	require.Equal(t, appsv1.RollingUpdateStatefulSetStrategyType, ss.Spec.UpdateStrategy.Type)
	require.Equal(t, int32(10), *ss.Spec.RevisionHistoryLimit)

	rs := &appsv1.ReplicaSet{}
	apiserver.Default(rs)
	require.Equal(t, int32(1), *rs.Spec.Replicas)
}

func TestDefaultNamespace(t *testing.T) {
	f := newFixture(t, 1)
	ns := f.create(&corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "team-a"}}).(*corev1.Namespace)
	require.Equal(t, corev1.NamespaceActive, ns.Status.Phase)
	require.Equal(t, map[string]string{"kubernetes.io/metadata.name": "team-a"}, ns.Labels)
	require.Equal(t, "", ns.Namespace)
}

func TestDefaultService(t *testing.T) {
	tests := []struct {
		name  string
		ports []corev1.ServicePort
		want  []corev1.ServicePort
	}{
		{"target port defaults to port, protocol TCP",
			[]corev1.ServicePort{{Port: 80}},
			[]corev1.ServicePort{{Port: 80, TargetPort: intstr.FromInt32(80), Protocol: corev1.ProtocolTCP}}},
		{"named target port and UDP kept",
			[]corev1.ServicePort{{Name: "dns", Port: 53, TargetPort: intstr.FromString("dns"), Protocol: corev1.ProtocolUDP},
				{Name: "web", Port: 443, TargetPort: intstr.FromInt32(8443)}},
			[]corev1.ServicePort{{Name: "dns", Port: 53, TargetPort: intstr.FromString("dns"), Protocol: corev1.ProtocolUDP},
				{Name: "web", Port: 443, TargetPort: intstr.FromInt32(8443), Protocol: corev1.ProtocolTCP}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, 1)
			svc := newService("default", "web")
			svc.Spec.Ports = tc.ports
			out := f.create(svc).(*corev1.Service)
			require.Equal(t, corev1.ServiceTypeClusterIP, out.Spec.Type)
			require.Equal(t, corev1.ServiceAffinityNone, out.Spec.SessionAffinity)
			require.Equal(t, ptr.To(corev1.ServiceInternalTrafficPolicyCluster), out.Spec.InternalTrafficPolicy)
			require.Equal(t, tc.want, out.Spec.Ports)
		})
	}
}

func TestServiceClusterIPAllocation(t *testing.T) {
	f := newFixture(t, 1)
	f.create(&corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "kube-system"}})
	ip := func(ns, name string, mutate func(*corev1.Service)) *corev1.Service {
		s := newService(ns, name)
		if mutate != nil {
			mutate(s)
		}
		return f.create(s).(*corev1.Service)
	}
	tests := []struct {
		ns, name string
		mutate   func(*corev1.Service)
		want     string
		wantIPs  []string
	}{
		{"default", "web", nil, "10.100.0.11", []string{"10.100.0.11"}},
		{"kube-system", "kube-dns", nil, "10.100.0.10", []string{"10.100.0.10"}},
		{"default", "kubernetes", nil, "10.100.0.1", []string{"10.100.0.1"}},
		// The counter still moved for the two well-known services.
		{"default", "api", nil, "10.100.0.14", []string{"10.100.0.14"}},
		{"default", "fixed", func(s *corev1.Service) { s.Spec.ClusterIP = "10.100.9.9" }, "10.100.9.9", []string{"10.100.9.9"}},
		{"default", "headless", func(s *corev1.Service) { s.Spec.ClusterIP = corev1.ClusterIPNone }, "None", []string{"None"}},
		{"default", "ext", func(s *corev1.Service) {
			s.Spec.Type = corev1.ServiceTypeExternalName
			s.Spec.ExternalName = "example.com"
			s.Spec.Ports = nil
		}, "", nil},
		{"default", "next", nil, "10.100.0.15", []string{"10.100.0.15"}},
	}
	for _, tc := range tests {
		out := ip(tc.ns, tc.name, tc.mutate)
		require.Equal(t, tc.want, out.Spec.ClusterIP, tc.name)
		require.Equal(t, tc.wantIPs, out.Spec.ClusterIPs, tc.name)
	}
}

func TestServiceClusterIPAllocationCrossesOctet(t *testing.T) {
	f := newFixture(t, 1)
	var last *corev1.Service
	for i := 0; i < 246; i++ {
		s := newService("default", "")
		s.GenerateName = "svc-"
		last = f.create(s).(*corev1.Service)
	}
	// 246th service: n = 246 + 10 = 256 → 10.100.1.0.
	require.Equal(t, "10.100.1.0", last.Spec.ClusterIP)
}

// A created pod's quantities carry their canonical string, so that
// encoding the pod (etcd does it at every write) formats none of them
// again; the values and their string forms stay what they were.
func TestCreatedPodCachesQuantityStrings(t *testing.T) {
	pod := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "p", Namespace: "default"}, Spec: corev1.PodSpec{Containers: []corev1.Container{{
		Name: "app", Image: "nginx:1.27",
		Resources: corev1.ResourceRequirements{
			Requests: corev1.ResourceList{
				corev1.ResourceCPU:    resource.MustParse("0.5"),
				corev1.ResourceMemory: resource.MustParse("128Mi"),
			},
			Limits: corev1.ResourceList{corev1.ResourceMemory: *resource.NewQuantity(256<<20, resource.BinarySI)},
		},
	}}}}
	pod = newFixture(t, 1).create(pod).(*corev1.Pod)
	require.Zero(t, testing.AllocsPerRun(10, func() { pod.Size() }))

	// The same pod with its quantities' caches dropped (Add clears it)
	// allocates, and encodes to the same bytes.
	uncached := pod.DeepCopy()
	for _, l := range []corev1.ResourceList{uncached.Spec.Containers[0].Resources.Requests, uncached.Spec.Containers[0].Resources.Limits} {
		for name, q := range l {
			q.Add(resource.Quantity{})
			l[name] = q
		}
	}
	require.NotZero(t, testing.AllocsPerRun(10, func() { uncached.Size() }), "an uncached quantity is formatted at each Size")
	want, err := uncached.Marshal()
	require.NoError(t, err)
	got, err := pod.Marshal()
	require.NoError(t, err)
	require.Equal(t, want, got)
	c := pod.Spec.Containers[0].Resources
	require.Equal(t, "500m", ptr.To(c.Requests[corev1.ResourceCPU]).String())
	require.Equal(t, "128Mi", ptr.To(c.Requests[corev1.ResourceMemory]).String())
	require.Equal(t, "256Mi", ptr.To(c.Limits[corev1.ResourceMemory]).String())
	require.Zero(t, ptr.To(c.Requests[corev1.ResourceMemory]).Cmp(resource.MustParse("128Mi")))
}

// TestAdmittedPodsShareTheTokenVolume: every admitted pod's
// kube-api-access volume is the upstream projected source, one value for
// all pods (store objects are immutable); a deep copy, a writer's, gets
// its own.
func TestAdmittedPodsShareTheTokenVolume(t *testing.T) {
	f := newFixture(t, 1)
	token := func(p *corev1.Pod) *corev1.ProjectedVolumeSource {
		for _, v := range p.Spec.Volumes {
			if strings.HasPrefix(v.Name, apiserver.ServiceAccountVolumeName+"-") {
				return v.Projected
			}
		}
		t.Fatalf("pod %s has no kube-api-access volume", p.Name)
		return nil
	}
	a := f.create(newPod("a")).(*corev1.Pod)
	b := f.create(newPod("b")).(*corev1.Pod)
	require.Equal(t, apiserver.TokenVolumeSource(), token(a))
	require.Same(t, token(a), token(b))
	require.NotSame(t, token(a), token(a.DeepCopy()))
	require.Equal(t, token(a), token(a.DeepCopy()))
}

// Pods share one canonical copy of each distinct resource list
// (share.go): lists of equal names, formats and values — however the
// quantities were written — are one map, whose values and strings are
// the pod's own; a list that differs in any of those is another. The
// caller's maps, and a template's a pod shares, are never written.
func TestPodsShareResourceLists(t *testing.T) {
	f := newFixture(t, 1)
	list := func(kv ...string) corev1.ResourceList {
		l := corev1.ResourceList{}
		for i := 0; i < len(kv); i += 2 {
			l[corev1.ResourceName(kv[i])] = resource.MustParse(kv[i+1])
		}
		return l
	}
	create := func(name string, req, lim corev1.ResourceList) corev1.ResourceRequirements {
		p := newPod(name)
		p.Spec.Containers[0].Resources = corev1.ResourceRequirements{Requests: req, Limits: lim}
		before := p.Spec.Containers[0].Resources.DeepCopy()
		out := f.create(p).(*corev1.Pod).Spec.Containers[0].Resources
		require.Equal(t, *before, corev1.ResourceRequirements{Requests: req, Limits: lim}, "the caller's lists are unchanged")
		for name, q := range req {
			require.Zero(t, q.Cmp(out.Requests[name]), "%s", name)
		}
		for name, q := range lim {
			require.Zero(t, q.Cmp(out.Limits[name]), "%s", name)
		}
		return out
	}
	same := func(a, b corev1.ResourceList) bool {
		return reflect.ValueOf(a).UnsafePointer() == reflect.ValueOf(b).UnsafePointer()
	}
	a := create("a", list("cpu", "500m", "memory", "128Mi"), nil)
	b := create("b", list("memory", "128Mi", "cpu", "0.5"), nil)
	require.True(t, same(a.Requests, b.Requests), "0.5 and 500m are one value and one format")
	require.Equal(t, "500m", ptr.To(b.Requests[corev1.ResourceCPU]).String())
	for i, other := range []corev1.ResourceList{
		list("cpu", "501m", "memory", "128Mi"),
		list("cpu", "500m", "memory", "134217728"), // the same value in another format
		list("cpu", "500m"),
		list("cpu", "500m", "memory", "128Mi", "ephemeral-storage", "1Gi"),
	} {
		c := create(fmt.Sprintf("c%d", i), other, nil)
		require.False(t, same(a.Requests, c.Requests), "%v", other)
		require.Equal(t, len(other), len(c.Requests))
		for name, q := range other {
			require.Equal(t, q.String(), ptr.To(c.Requests[name]).String())
		}
	}

	// Limits alone: the requests default to them in a new list; the
	// caller's (a template's) limits are left as they were.
	lim := list("memory", "256Mi")
	d := create("d", nil, lim)
	require.Equal(t, "256Mi", ptr.To(d.Requests[corev1.ResourceMemory]).String())
	require.Equal(t, "256Mi", ptr.To(d.Limits[corev1.ResourceMemory]).String())
	require.True(t, same(d.Requests, d.Limits), "equal lists are one")
}
