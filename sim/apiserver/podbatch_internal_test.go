package apiserver

import (
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	schedulingv1 "k8s.io/api/scheduling/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	"github.com/kubesim/kubesim/sim"
	"github.com/kubesim/kubesim/sim/store"
)

func batchProto() *corev1.Pod {
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Namespace: "default", GenerateName: "web-7d9f-",
			Labels:          map[string]string{"app": "web", "pod-template-hash": "7d9f"},
			Annotations:     map[string]string{"team": "a"},
			OwnerReferences: []metav1.OwnerReference{{APIVersion: "apps/v1", Kind: "ReplicaSet", Name: "web-7d9f", UID: "u1", Controller: ptr.To(true)}},
			Finalizers:      []string{"example.com/keep"}},
		Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "app", Image: "nginx:1.27"}}},
	}
}

// TestPodBatchValidatesAsValidate: a pod of a batch gets Validate's
// answer, the same error text or none, whether it still holds the
// metadata the batch judged (then only its name and spec are checked) or
// has had some of it replaced (then it is validated in full); and a
// batch whose shared metadata is invalid validates every pod in full.
func TestPodBatchValidatesAsValidate(t *testing.T) {
	changes := []struct {
		name   string
		shared bool // the pod keeps the batch's metadata
		change func(*corev1.Pod)
	}{
		{"valid", true, func(p *corev1.Pod) {}},
		{"upper-case name", true, func(p *corev1.Pod) { p.Name = "Web-abcde" }},
		{"long name", true, func(p *corev1.Pod) { p.Name = strings.Repeat("a", 254) }},
		{"no name", true, func(p *corev1.Pod) { p.Name = "" }},
		{"no containers", true, func(p *corev1.Pod) { p.Spec.Containers = nil }},
		{"bad name and spec", true, func(p *corev1.Pod) { p.Name = "-x"; p.Spec.RestartPolicy = "Sometimes" }},
		{"labels replaced, valid", false, func(p *corev1.Pod) { p.Labels = map[string]string{"app": "web", "x": "y"} }},
		{"labels replaced, invalid", false, func(p *corev1.Pod) { p.Labels = map[string]string{"app": "not valid!"} }},
		{"annotations replaced", false, func(p *corev1.Pod) { p.Annotations = map[string]string{"-bad": "x"} }},
		{"owner references replaced", false, func(p *corev1.Pod) {
			p.OwnerReferences = []metav1.OwnerReference{{APIVersion: "apps/v1", Kind: "ReplicaSet", Name: "", UID: ""}}
		}},
		{"finalizers replaced", false, func(p *corev1.Pod) { p.Finalizers = []string{"no slash"} }},
		{"other namespace", false, func(p *corev1.Pod) { p.Namespace = "Bad_NS" }},
		{"other generateName", false, func(p *corev1.Pod) { p.GenerateName = "-" }},
	}
	protos := map[string]func(*corev1.Pod){
		"valid proto":             func(*corev1.Pod) {},
		"proto with a bad label":  func(p *corev1.Pod) { p.Labels = map[string]string{"app": "web", "bad key!": "x"} },
		"proto with a bad prefix": func(p *corev1.Pod) { p.GenerateName = "Web-" },
	}
	for pname, pchange := range protos {
		proto := batchProto()
		pchange(proto)
		b := (&Client{}).NewPodBatch(proto)
		require.Equal(t, pname == "valid proto", b.valid, pname)
		for i, tc := range changes {
			p := new(corev1.Pod)
			*p = b.proto
			p.Name = fmt.Sprintf("%sabc%02d", p.GenerateName, i)
			tc.change(p)
			require.Equal(t, tc.shared && b.valid, b.shares(&p.ObjectMeta), "%s: %s", pname, tc.name)
			want, got := Validate(p), b.validate(p)
			if want == nil {
				require.NoError(t, got, "%s: %s", pname, tc.name)
				continue
			}
			require.EqualError(t, got, want.Error(), "%s: %s", pname, tc.name)
		}
	}
}

// TestPodBatchRecognisesOnlyItsOwnParts: an equal copy of the batch's
// labels is not the batch's labels (it could have been changed after the
// batch judged its original), while empty maps and slices of any kind
// are alike.
func TestPodBatchRecognisesOnlyItsOwnParts(t *testing.T) {
	b := (&Client{}).NewPodBatch(batchProto())
	p := b.proto
	require.True(t, b.shares(&p.ObjectMeta))
	p.Labels = map[string]string{"app": "web", "pod-template-hash": "7d9f"}
	require.False(t, b.shares(&p.ObjectMeta))
	p = b.proto
	p.OwnerReferences = append([]metav1.OwnerReference(nil), p.OwnerReferences...)
	require.False(t, b.shares(&p.ObjectMeta))

	q := batchProto()
	q.Annotations, q.Finalizers = nil, nil
	b = (&Client{}).NewPodBatch(q)
	p = b.proto
	p.Annotations, p.Finalizers = map[string]string{}, []string{}
	require.True(t, b.shares(&p.ObjectMeta))
}

// TestPodBatchCreatesAsCreate: pods created through a batch are the
// pods Create makes of the same copies, to the byte of the trace: names,
// token volumes, UIDs, admission's changes and errors - in a namespace
// whose admission changes pods in every way it can (a default priority
// class, LimitRanger's defaults and annotation, an account's pull
// secrets or its opting out of the token, a quota that refuses the
// fourth pod, a webhook), with a template that mounts the token itself or
// has the volume, and when what admission reads changes in the middle of
// the batch (the batch admits in full again).
func TestPodBatchCreatesAsCreate(t *testing.T) {
	limits := func(w batchWorld) {
		w.create(t, &corev1.LimitRange{ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: "mem"},
			Spec: corev1.LimitRangeSpec{Limits: []corev1.LimitRangeItem{{Type: corev1.LimitTypeContainer,
				Default:        corev1.ResourceList{corev1.ResourceMemory: resource.MustParse("256Mi")},
				DefaultRequest: corev1.ResourceList{corev1.ResourceMemory: resource.MustParse("128Mi")}}}}})
	}
	account := func(f func(*corev1.ServiceAccount)) func(batchWorld) {
		return func(w batchWorld) {
			o, _ := w.s.store.Get("ServiceAccount", "default", DefaultServiceAccountName)
			sa := o.(*corev1.ServiceAccount).DeepCopy()
			f(sa)
			_, err := w.c.Update(sa)
			require.NoError(t, err)
		}
	}
	tokenMount := corev1.VolumeMount{Name: "own", MountPath: DefaultAPITokenMountPath}
	for _, tc := range []struct {
		name   string
		proto  func(*corev1.Pod)
		world  func(batchWorld)
		before func(i int, w batchWorld) // before the i-th create
	}{
		{name: "valid"},
		{name: "invalid label", proto: func(p *corev1.Pod) { p.Labels = map[string]string{"bad key!": "x"} }},
		{name: "no containers", proto: func(p *corev1.Pod) { p.Spec.Containers = nil }},
		{name: "invalid restart policy", proto: func(p *corev1.Pod) { p.Spec.RestartPolicy = "Sometimes" }},
		{name: "invalid prefix", proto: func(p *corev1.Pod) { p.GenerateName = "Web-" }},
		{name: "two containers, one mounting the token", proto: func(p *corev1.Pod) {
			p.Spec.InitContainers = []corev1.Container{{Name: "init", Image: "busybox:1", VolumeMounts: []corev1.VolumeMount{tokenMount}}}
			p.Spec.Containers = append(p.Spec.Containers, corev1.Container{Name: "side", Image: "envoy:1",
				VolumeMounts: []corev1.VolumeMount{{Name: "data", MountPath: "/data"}}})
			p.Spec.Volumes = []corev1.Volume{{Name: "data", VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{}}}}
		}},
		{name: "every container mounts the token", proto: func(p *corev1.Pod) {
			p.Spec.Containers = []corev1.Container{{Name: "app", Image: "nginx:1.27", VolumeMounts: []corev1.VolumeMount{tokenMount}}}
		}},
		{name: "template has the volume", proto: func(p *corev1.Pod) {
			p.Spec.Volumes = []corev1.Volume{{Name: ServiceAccountVolumeName + "-fixed", VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{}}}}
		}},
		{name: "no token", proto: func(p *corev1.Pod) { p.Spec.AutomountServiceAccountToken = ptr.To(false) }},
		{name: "account without token and with pull secrets", world: account(func(sa *corev1.ServiceAccount) {
			sa.AutomountServiceAccountToken = ptr.To(false)
			sa.ImagePullSecrets = []corev1.LocalObjectReference{{Name: "regcred"}}
		})},
		{name: "default priority class", world: func(w batchWorld) {
			w.create(t, &schedulingv1.PriorityClass{ObjectMeta: metav1.ObjectMeta{Name: "normal"}, Value: 100, GlobalDefault: true,
				PreemptionPolicy: ptr.To(corev1.PreemptNever)})
		}},
		{name: "limit range", world: limits},
		{name: "quota of three pods", world: func(w batchWorld) {
			w.create(t, &corev1.ResourceQuota{ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: "q"},
				Spec: corev1.ResourceQuotaSpec{Hard: corev1.ResourceList{corev1.ResourcePods: resource.MustParse("3")}}})
		}},
		{name: "webhook", world: func(w batchWorld) {
			n := 0
			w.s.PodWebhooks = append(w.s.PodWebhooks, func(p *corev1.Pod) {
				n++
				p.Labels = map[string]string{"app": "web", "n": fmt.Sprint(n)}
			})
		}},
		{name: "limit range added mid-batch", before: func(i int, w batchWorld) {
			if i == 2 {
				limits(w)
			}
		}},
		{name: "account deleted mid-batch", before: func(i int, w batchWorld) {
			if i == 3 {
				require.NoError(t, w.c.Delete("ServiceAccount", "default", DefaultServiceAccountName, DeleteOptions{}))
			}
		}},
	} {
		run := func(batch bool) (string, []*corev1.Pod, []string) {
			w := newBatchWorld(t)
			if tc.world != nil {
				tc.world(w)
			}
			proto := batchProto()
			if tc.proto != nil {
				tc.proto(proto)
			}
			b := w.c.NewPodBatch(proto)
			var pods []*corev1.Pod
			var errs []string
			for i := range 5 {
				if tc.before != nil {
					tc.before(i, w)
				}
				var out *corev1.Pod
				var err error
				if batch {
					out, err = b.Create()
				} else {
					p := new(corev1.Pod)
					*p = *proto
					var o any
					o, err = w.c.Create(p)
					if err == nil {
						out = o.(*corev1.Pod)
					}
				}
				if err != nil {
					errs = append(errs, err.Error())
					continue
				}
				pods = append(pods, out)
			}
			return w.s.engine.Trace().Hash(), pods, errs
		}
		wantHash, wantPods, wantErrs := run(false)
		gotHash, gotPods, gotErrs := run(true)
		require.Equal(t, wantHash, gotHash, tc.name)
		require.Equal(t, wantPods, gotPods, tc.name)
		require.Equal(t, wantErrs, gotErrs, tc.name)
		switch tc.name {
		case "invalid label", "no containers", "invalid restart policy", "invalid prefix":
			require.Len(t, gotErrs, 5, tc.name)
		case "quota of three pods", "account deleted mid-batch":
			require.Len(t, gotPods, 3, tc.name)
		default:
			require.Len(t, gotPods, 5, tc.name)
		}
	}
}

// TestPodBatchAdmitsFromPrepared: the batch admits in full only its first
// pod and a pod after what admission reads changed, and every pod it
// made from the prepared one has container and volume lists of its own.
func TestPodBatchAdmitsFromPrepared(t *testing.T) {
	w := newBatchWorld(t)
	b := w.c.NewPodBatch(batchProto())
	first, err := b.Create()
	require.NoError(t, err)
	prep := b.prep
	require.NotNil(t, prep)
	second, err := b.Create()
	require.NoError(t, err)
	require.Same(t, prep, b.prep, "the second pod is made from the first")
	require.True(t, prep.specValid, "its spec is not validated again")
	require.NotSame(t, &first.Spec.Containers[0], &second.Spec.Containers[0])
	require.NotSame(t, &first.Spec.Volumes[0], &second.Spec.Volumes[0])
	require.NotEqual(t, first.Spec.Volumes[0].Name, second.Spec.Volumes[0].Name)
	require.Equal(t, second.Spec.Volumes[0].Name, second.Spec.Containers[0].VolumeMounts[0].Name)
	w.create(t, &schedulingv1.PriorityClass{ObjectMeta: metav1.ObjectMeta{Name: "low"}, Value: 1})
	_, err = b.Create()
	require.NoError(t, err)
	require.NotSame(t, prep, b.prep, "a priority class was created: admitted in full")
}

type batchWorld struct {
	s *Server
	c *Client
}

// newBatchWorld is a server with the default namespace and its service
// account (the token volume's admission needs it).
func newBatchWorld(t *testing.T) batchWorld {
	e := sim.NewEngine(7)
	s := New(e, store.New(e))
	c := s.Client("replicaset-controller")
	_, err := c.Create(&corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "default"}})
	require.NoError(t, err)
	_, err = c.Create(&corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: DefaultServiceAccountName}})
	require.NoError(t, err)
	return batchWorld{s: s, c: c}
}

func (w batchWorld) create(t *testing.T, o store.Object) {
	t.Helper()
	_, err := w.c.Create(o)
	require.NoError(t, err)
}
