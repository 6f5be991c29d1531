package cluster

import (
	"reflect"
	"testing"
	"time"
	"unsafe"

	"github.com/stretchr/testify/require"
	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	"github.com/kubesim/kubesim/sim/apiserver/apiservertest"
	"github.com/kubesim/kubesim/sim/cloud"
	"github.com/kubesim/kubesim/sim/store"
)

func sameMap[M ~map[K]V, K comparable, V any](a, b M) bool {
	return reflect.ValueOf(a).UnsafePointer() == reflect.ValueOf(b).UnsafePointer()
}

// TestSharedPodPartsStayUnchanged: the pods of a ReplicaSet share their
// template's labels and spec parts, and pods share their resource lists
// and default tolerations (controllerutil.SharedPodFromTemplate,
// apiserver share.go). That is only right while nothing writes through a
// stored object: every version of every Pod, ReplicaSet and Deployment
// stored during a run — through creation, admission that changes the pod
// (the Fargate webhook's label, LimitRanger's defaults and annotation),
// scheduling, binding, the kubelet's status writes — must still equal the
// deep copy taken when it was stored.
func TestSharedPodPartsStayUnchanged(t *testing.T) {
	c := newFargateCluster(t)
	cl := c.Client("test")
	_, err := cl.Create(&corev1.LimitRange{ObjectMeta: metav1.ObjectMeta{Namespace: "batch", Name: "mem"},
		Spec: corev1.LimitRangeSpec{Limits: []corev1.LimitRangeItem{{Type: corev1.LimitTypeContainer,
			Default:        corev1.ResourceList{corev1.ResourceMemory: resource.MustParse("256Mi")},
			DefaultRequest: corev1.ResourceList{corev1.ResourceMemory: resource.MustParse("128Mi")}}}}})
	require.NoError(t, err)

	type version struct{ obj, copy store.Object }
	var versions []version
	for _, kind := range []string{"Pod", "ReplicaSet", "Deployment", "Job"} {
		c.Store.Watch(kind, 0, func(ev store.Event) {
			if ev.Type != store.Deleted {
				versions = append(versions, version{ev.Object, ev.Object.DeepCopyObject().(store.Object)})
			}
		})
	}
	deploy := func(ns string, labels map[string]string) {
		_, err := cl.Create(&appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "app"},
			Spec: appsv1.DeploymentSpec{Replicas: ptr.To(int32(3)), Selector: &metav1.LabelSelector{MatchLabels: labels},
				Template: corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: labels},
					Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "app", Image: "nginx:1.27",
						Resources: corev1.ResourceRequirements{Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("100m")}},
						Ports:     []corev1.ContainerPort{{ContainerPort: 80}}}}}}}})
		require.NoError(t, err)
	}
	deploy("default", map[string]string{"app": "web"})
	deploy("batch", map[string]string{"tier": "jobs"})
	require.NoError(t, apiservertest.Namespace(cl, "jobs"))
	_, err = cl.Create(&batchv1.Job{ObjectMeta: metav1.ObjectMeta{Namespace: "jobs", Name: "job"},
		Spec: batchv1.JobSpec{Parallelism: ptr.To(int32(2)), Template: corev1.PodTemplateSpec{
			Spec: corev1.PodSpec{RestartPolicy: corev1.RestartPolicyNever, Containers: []corev1.Container{{Name: "app", Image: "nginx:1.27",
				Resources: corev1.ResourceRequirements{Limits: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("50m")}}}}}}}})
	require.NoError(t, err)

	pods := func(ns string) []*corev1.Pod {
		var out []*corev1.Pod
		for _, o := range c.Store.List("Pod", ns) {
			if p := o.(*corev1.Pod); p.Status.Phase == corev1.PodRunning {
				out = append(out, p)
			}
		}
		return out
	}
	require.True(t, c.Engine.RunWhile(5*time.Minute, func() bool {
		return len(pods("default")) < 3 || len(pods("batch")) < 3 || len(pods("jobs")) < 2
	}), "all eight pods run")

	require.Greater(t, len(versions), 30)
	for _, v := range versions {
		require.Equal(t, v.copy, v.obj, "%T %s/%s changed after it was stored", v.obj, v.obj.GetNamespace(), v.obj.GetName())
	}

	// The sharing this guards is in place.
	job := c.Store.List("Job", "jobs")[0].(*batchv1.Job)
	for _, p := range pods("jobs") {
		require.True(t, sameMap(job.Spec.Template.Labels, p.Labels))
	}
	for _, ns := range []string{"default", "batch"} {
		ps := pods(ns)
		rs := c.Store.List("ReplicaSet", ns)[0].(*appsv1.ReplicaSet)
		tmpl := rs.Spec.Template.Spec.Containers[0]
		for _, p := range ps[1:] {
			require.True(t, sameMap(ps[0].Spec.Containers[0].Resources.Requests, p.Spec.Containers[0].Resources.Requests))
		}
		if ns == "default" {
			require.Same(t, &tmpl.Ports[0], &ps[0].Spec.Containers[0].Ports[0])
			require.True(t, sameMap(rs.Spec.Template.Labels, ps[0].Labels))
			for _, p := range ps[1:] {
				require.Same(t, &ps[0].Spec.Tolerations[0], &p.Spec.Tolerations[0])
			}
			continue
		}
		// Admission changed these pods: they got their own labels, resources
		// and annotation (and Fargate's update made deep copies of them).
		require.Equal(t, "jobs", ps[0].Labels[cloud.LabelFargateProfile])
		require.NotContains(t, rs.Spec.Template.Labels, cloud.LabelFargateProfile)
		require.Contains(t, ps[0].Spec.Containers[0].Resources.Requests, corev1.ResourceMemory)
		require.NotContains(t, tmpl.Resources.Requests, corev1.ResourceMemory)
		require.Contains(t, ps[0].Annotations, "kubernetes.io/limit-ranger")
		require.Empty(t, rs.Spec.Template.Annotations)
	}
}

// keptBytes adds up the bytes reachable from v that are not in seen, and
// marks them seen: pointees, slices' backing arrays, strings' bytes and
// maps (estimated as a Go map of that many entries: a 48-byte header and
// groups of eight slots with a control byte each). Walking one object
// after others tells what it keeps that they do not share.
func keptBytes(v reflect.Value, seen map[uintptr]bool) int {
	switch v.Kind() {
	case reflect.Pointer:
		if v.IsNil() || seen[v.Pointer()] {
			return 0
		}
		seen[v.Pointer()] = true
		return int(v.Type().Elem().Size()) + keptBytes(v.Elem(), seen)
	case reflect.Slice:
		if v.IsNil() || v.Cap() == 0 || seen[v.Pointer()] {
			return 0
		}
		seen[v.Pointer()] = true
		n := v.Cap() * int(v.Type().Elem().Size())
		for i := range v.Len() {
			n += keptBytes(v.Index(i), seen)
		}
		return n
	case reflect.String:
		if v.Len() == 0 || seen[uintptr(unsafe.Pointer(unsafe.StringData(v.String())))] {
			return 0
		}
		seen[uintptr(unsafe.Pointer(unsafe.StringData(v.String())))] = true
		return v.Len()
	case reflect.Map:
		if v.IsNil() || seen[v.Pointer()] {
			return 0
		}
		seen[v.Pointer()] = true
		slots := (v.Len() + 6) / 7 * 8
		n := 48 + slots*(1+int(v.Type().Key().Size()+v.Type().Elem().Size()))
		for it := v.MapRange(); it.Next(); {
			n += keptBytes(it.Key(), seen) + keptBytes(it.Value(), seen)
		}
		return n
	case reflect.Struct:
		n := 0
		for i := range v.NumField() {
			n += keptBytes(v.Field(i), seen)
		}
		return n
	case reflect.Interface:
		if v.IsNil() {
			return 0
		}
		return keptBytes(v.Elem(), seen)
	}
	return 0
}

// TestBytesKeptPerPod counts what one more pod of a Deployment keeps in
// the store (its latest version, everything it reaches that neither its
// ReplicaSet nor a sibling pod already holds), against what a pod keeps
// with nothing shared. Logged with -v; it fails if the sharing is lost.
func TestBytesKeptPerPod(t *testing.T) {
	c := newFargateCluster(t)
	labels := map[string]string{"app": "web", "tier": "frontend"}
	_, err := c.Client("test").Create(&appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: "web"},
		Spec: appsv1.DeploymentSpec{Replicas: ptr.To(int32(3)), Selector: &metav1.LabelSelector{MatchLabels: labels},
			Template: corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: labels},
				Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "app", Image: "nginx:1.27",
					Resources: requests("250m", "256Mi")}}}}}})
	require.NoError(t, err)
	require.True(t, c.Engine.RunWhile(5*time.Minute, func() bool {
		n := 0
		for _, o := range c.Store.List("Pod", "default") {
			if o.(*corev1.Pod).Status.Phase == corev1.PodRunning {
				n++
			}
		}
		return n < 3
	}))
	pods := c.Store.List("Pod", "default")
	seen := map[uintptr]bool{}
	keptBytes(reflect.ValueOf(c.Store.List("ReplicaSet", "default")[0]), seen)
	keptBytes(reflect.ValueOf(pods[0]), seen)
	kept := keptBytes(reflect.ValueOf(pods[1]), seen)
	alone := keptBytes(reflect.ValueOf(pods[1]), map[uintptr]bool{})
	t.Logf("bytes a pod keeps: %d shared with its siblings and template, %d alone (of which the Pod struct %d)",
		kept, alone, reflect.TypeFor[corev1.Pod]().Size())
	require.Less(t, kept, alone*3/4, "a pod shares its template's parts")
}

// holderBytes walks the cluster's holders in a fixed order, each byte
// counted once, by the first holder that reaches it: the pod objects
// first, then each component's own state, the store's (entries, indexes,
// watch queues, Events) and the engine's last. The shared services a
// component points to (store, engine, API server, etcd, EC2) are not
// walked through it. What a component reaches only through a closure (a
// watch handler, a timer) is not seen; etcd is walked after Close, when
// its goroutines have stopped.
func holderBytes(c *Cluster) map[string]int {
	seen := map[uintptr]bool{}
	for _, p := range []any{c, c.Store, c.Engine, c.API, c.Etcd, c.EC2, c.Metrics, c.Cost, c.PKI} {
		seen[reflect.ValueOf(p).Pointer()] = true
	}
	out := map[string]int{}
	walk := func(name string, v reflect.Value) { out[name] += keptBytes(v, seen) }
	for _, o := range c.Store.List("Pod", "") {
		walk("pod objects", reflect.ValueOf(o))
	}
	walk("scheduler", reflect.ValueOf(&c.sched).Elem())
	for _, n := range c.nodes {
		walk("kubelets", reflect.ValueOf(n.Kubelet))
	}
	walk("controllers", reflect.ValueOf(c.starters))
	walk("metrics", reflect.ValueOf(c.Metrics).Elem())
	walk("cost", reflect.ValueOf(c.Cost).Elem())
	walk("apiserver", reflect.ValueOf(c.API).Elem())
	walk("etcd", reflect.ValueOf(c.Etcd).Elem())
	walk("store", reflect.ValueOf(c.Store).Elem())
	walk("engine", reflect.ValueOf(c.Engine).Elem())
	return out
}

// TestBytesPerPodByHolder prints what each holder keeps per Running pod
// of a Deployment (issue 15 item 3): the growth of each holder's bytes
// from 100 to 200 pods, divided by 100 (an estimate: maps are sized as Go
// builds them, and a slice's doubling can fall on either side). It checks
// that the pod objects stay within 4 KB a pod.
func TestBytesPerPodByHolder(t *testing.T) {
	measure := func(pods int32) map[string]int {
		c, err := New(Config{Seed: 1, EtcdMembers: 1,
			NodeGroups: []NodeGroup{{Name: "ng", InstanceType: "m5.4xlarge", Count: 1}}})
		require.NoError(t, err)
		labels := map[string]string{"app": "web"}
		_, err = c.Client("test").Create(&appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: "web"},
			Spec: appsv1.DeploymentSpec{Replicas: ptr.To(pods), Selector: &metav1.LabelSelector{MatchLabels: labels},
				Template: corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: labels},
					Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "app", Image: "nginx:1.27",
						Resources: requests("10m", "16Mi")}}}}}})
		require.NoError(t, err)
		require.True(t, c.Engine.RunWhile(10*time.Minute, func() bool {
			n := int32(0)
			for _, o := range c.Store.List("Pod", "default") {
				if o.(*corev1.Pod).Status.Phase == corev1.PodRunning {
					n++
				}
			}
			return n < pods
		}))
		c.Engine.RunUntil(c.Engine.Elapsed() + 5*time.Minute) // past the first metrics scrapes
		c.Etcd.Close()
		return holderBytes(c)
	}
	small, large := measure(100), measure(200)
	total := 0
	for _, h := range []string{"pod objects", "scheduler", "kubelets", "controllers", "metrics", "cost", "apiserver", "etcd", "store", "engine"} {
		per := (large[h] - small[h]) / 100
		total += per
		t.Logf("%-20s %6d bytes per pod", h, per)
	}
	t.Logf("%-20s %6d bytes per pod", "total", total)
	require.Less(t, (large["pod objects"]-small["pod objects"])/100, 4096)
}
