package apiserver

import (
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
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
// token volumes, UIDs, admission's changes and errors.
func TestPodBatchCreatesAsCreate(t *testing.T) {
	for _, tc := range []struct {
		name  string
		proto func(*corev1.Pod)
	}{
		{"valid", func(*corev1.Pod) {}},
		{"invalid label", func(p *corev1.Pod) { p.Labels = map[string]string{"bad key!": "x"} }},
		{"no containers", func(p *corev1.Pod) { p.Spec.Containers = nil }},
	} {
		run := func(batch bool) (string, []*corev1.Pod, []string) {
			w := newBatchWorld(t)
			proto := batchProto()
			tc.proto(proto)
			b := w.c.NewPodBatch(proto)
			var pods []*corev1.Pod
			var errs []string
			for range 5 {
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
		if tc.name == "valid" {
			require.Len(t, gotPods, 5)
		} else {
			require.Len(t, gotErrs, 5)
		}
	}
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
