package kubectl

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"

	"github.com/kubesim/kubesim/sim/apiserver"
	"github.com/kubesim/kubesim/sim/apiserver/apiservertest"
	"github.com/kubesim/kubesim/sim/store"
)

// fixture is a cluster without scheduler or kubelets: tests bind pods and
// set their status themselves.
type fixture struct {
	*apiservertest.World
	t     *testing.T
	env   *Env
	files map[string][]store.Object

	doneOut string
	doneErr error
	dones   int
}

func newFixture(t *testing.T) *fixture {
	f := &fixture{World: apiservertest.NewWorld(1, "default", "kube-system"), t: t, files: map[string][]store.Object{}}
	f.env = &Env{Engine: f.Engine, Client: f.Server.Client("kubectl"),
		ReadFile: func(p string) ([]store.Object, error) {
			objs, ok := f.files[p]
			if !ok {
				return nil, &Error{Msg: "error: the path \"" + p + "\" does not exist"}
			}
			return objs, nil
		},
		Done: func(out string, err error) { f.doneOut, f.doneErr = out, err; f.dones++ },
	}
	return f
}

func (f *fixture) create(o store.Object) store.Object {
	out, err := f.Admin.Create(o)
	require.NoError(f.t, err)
	return out
}

// run parses and runs a line that must parse.
func (f *fixture) run(line string) (string, error) {
	c, err := Parse(line)
	require.NoError(f.t, err, line)
	return c.Run(f.env)
}

// step is a kubectl line and what it prints, or the error it fails with.
type step struct{ line, want, wantErr string }

// steps runs the lines in order, checking each outcome.
func (f *fixture) steps(steps []step) {
	for _, s := range steps {
		out, err := f.run(s.line)
		if s.wantErr != "" {
			require.EqualError(f.t, err, s.wantErr, s.line)
			continue
		}
		require.NoError(f.t, err, s.line)
		require.Equal(f.t, s.want, out, s.line)
	}
}

func (f *fixture) node(name string) {
	f.create(&corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: map[string]string{"kubernetes.io/hostname": name}}})
}

func (f *fixture) getNode(name string) *corev1.Node {
	o, ok := f.Store.Get("Node", "", name)
	require.True(f.t, ok)
	return o.(*corev1.Node)
}

func (f *fixture) deployment(name string, replicas int32) *appsv1.Deployment {
	lbl := map[string]string{"app": name}
	return f.create(&appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "default"},
		Spec: appsv1.DeploymentSpec{
			Replicas: &replicas,
			Selector: &metav1.LabelSelector{MatchLabels: lbl},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: lbl},
				Spec: corev1.PodSpec{Containers: []corev1.Container{
					{Name: name, Image: "nginx:1.25", Ports: []corev1.ContainerPort{{ContainerPort: 8080}}},
					{Name: "sidecar", Image: "envoy:v1"},
				}},
			},
		},
	}).(*appsv1.Deployment)
}

func (f *fixture) getDeployment(name string) *appsv1.Deployment {
	o, ok := f.Store.Get("Deployment", "default", name)
	require.True(f.t, ok)
	return o.(*appsv1.Deployment)
}

// podOpts describe a test pod: its owner (kind "" = unmanaged), labels,
// node to bind to, readiness, extras.
type podOpts struct {
	ns, ownerKind, ownerName, node string
	labels                         map[string]string
	ready, emptyDir, mirror        bool
}

func (f *fixture) pod(name string, o podOpts) *corev1.Pod {
	if o.ns == "" {
		o.ns = "default"
	}
	p := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: o.ns, Labels: o.labels},
		Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "c", Image: "nginx"}}},
	}
	if o.ownerKind != "" {
		p.OwnerReferences = []metav1.OwnerReference{{APIVersion: "apps/v1", Kind: o.ownerKind, Name: o.ownerName,
			UID: types.UID("uid-" + o.ownerName), Controller: ptr.To(true)}}
	}
	if o.emptyDir {
		p.Spec.Volumes = []corev1.Volume{{Name: "scratch", VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{}}}}
	}
	if o.mirror {
		p.Annotations = map[string]string{corev1.MirrorPodAnnotationKey: "x"}
	}
	f.create(p)
	if o.node != "" {
		require.NoError(f.t, f.Admin.Bind(o.ns, name, o.node))
	}
	if o.ready {
		cur, _ := f.Store.Get("Pod", o.ns, name)
		cp := cur.(*corev1.Pod).DeepCopy()
		cp.Status.Phase = corev1.PodRunning
		cp.Status.Conditions = append(cp.Status.Conditions, corev1.PodCondition{Type: corev1.PodReady, Status: corev1.ConditionTrue})
		_, err := f.Admin.UpdateStatus(cp)
		require.NoError(f.t, err)
	}
	cur, _ := f.Store.Get("Pod", o.ns, name)
	return cur.(*corev1.Pod)
}

func (f *fixture) pdb(name string, sel map[string]string, minAvailable int) {
	ma := intstr.FromInt(minAvailable)
	f.create(&policyv1.PodDisruptionBudget{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "default"},
		Spec:       policyv1.PodDisruptionBudgetSpec{MinAvailable: &ma, Selector: &metav1.LabelSelector{MatchLabels: sel}},
	})
}

// fakeKubelet finishes graceful pod deletions after delay, as a kubelet
// does once the containers stopped.
func (f *fixture) fakeKubelet(delay time.Duration) {
	f.Store.Watch("Pod", 0, func(ev store.Event) {
		p := ev.Object.(*corev1.Pod)
		if ev.Type == store.Deleted || p.DeletionTimestamp == nil || (ev.Old != nil && ev.Old.GetDeletionTimestamp() != nil) {
			return
		}
		ns, name, uid := p.Namespace, p.Name, p.UID
		f.Engine.After(delay, "kubelet", func() {
			if cur, ok := f.Store.Get("Pod", ns, name); ok && cur.GetUID() == uid {
				zero := int64(0)
				require.NoError(f.t, f.Admin.Delete("Pod", ns, name, apiserver.DeleteOptions{GracePeriodSeconds: &zero}))
			}
		})
	})
}

func sprintf(format string, args ...any) string { return fmt.Sprintf(format, args...) }
