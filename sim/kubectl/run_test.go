package kubectl

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	"github.com/kubesim/kubesim/sim/store"
)

func TestScale(t *testing.T) {
	f := newFixture(t)
	f.deployment("web", 2)
	f.steps([]step{{line: "kubectl scale deployment/web --replicas=6", want: "deployment.apps/web scaled\n"}})
	require.EqualValues(t, 6, *f.getDeployment("web").Spec.Replicas)

	_, err := f.run("scale deploy web --replicas=1 --current-replicas=3")
	require.EqualError(t, err, "error: Expected replicas to be 3, was 6")
	require.EqualValues(t, 6, *f.getDeployment("web").Spec.Replicas)

	out, err := f.run("scale deploy/wbe deploy/web --replicas=4")
	require.Equal(t, "deployment.apps/web scaled\n", out)
	require.EqualError(t, err, `Error from server (NotFound): deployments.apps "wbe" not found`)
	require.EqualValues(t, 4, *f.getDeployment("web").Spec.Replicas)

	_, err = f.run("scale deploy/web --replicas=1 -n other")
	require.EqualError(t, err, `Error from server (NotFound): deployments.apps "web" not found`)
}

func TestCordonUncordon(t *testing.T) {
	f := newFixture(t)
	f.node("general-1")
	f.steps([]step{
		{line: "cordon general-1", want: "node/general-1 cordoned\n"},
		{line: "cordon general-1", want: "node/general-1 already cordoned\n"},
		{line: "uncordon general-1", want: "node/general-1 uncordoned\n"},
		{line: "uncordon no/general-1", want: "node/general-1 already uncordoned\n"},
	})
	require.False(t, f.getNode("general-1").Spec.Unschedulable)
	_, err := f.run("cordon general-1")
	require.NoError(t, err)
	require.True(t, f.getNode("general-1").Spec.Unschedulable)
	_, err = f.run("cordon nope")
	require.EqualError(t, err, `Error from server (NotFound): nodes "nope" not found`)
}

func TestTaint(t *testing.T) {
	f := newFixture(t)
	f.node("general-1")
	f.steps([]step{
		{line: "taint nodes general-1 dedicated=batch:NoSchedule gpu:NoExecute", want: "node/general-1 tainted\n"},
		{line: "taint nodes general-1 dedicated=web:NoSchedule",
			wantErr: "error: node general-1 already has dedicated taint(s) with same effect(s) and --overwrite is false"},
		{line: "taint node general-1 dedicated=web:NoSchedule --overwrite", want: "node/general-1 tainted\n"},
		{line: "taint nodes general-1 gpu- spot=yes:PreferNoSchedule", want: "node/general-1 modified\n"},
		{line: "taint nodes general-1 nope-", wantErr: `error: taint "nope" not found`},
		{line: "taint nodes general-1 spot:PreferNoSchedule-", want: "node/general-1 untainted\n"},
	})
	taints := f.getNode("general-1").Spec.Taints
	require.Len(t, taints, 1)
	require.Equal(t, corev1.Taint{Key: "dedicated", Value: "web", Effect: corev1.TaintEffectNoSchedule}, taints[0])
}

func TestLabelAnnotate(t *testing.T) {
	f := newFixture(t)
	f.node("general-1")
	f.pod("web-1", podOpts{labels: map[string]string{"app": "web", "env": "dev"}})
	f.steps([]step{
		{line: "label node general-1 pool=spot", want: "node/general-1 labeled\n"},
		{line: "label pods web-1 env=prod", wantErr: "error: 'env' already has a value (dev), and --overwrite is false"},
		{line: "label pods web-1 env=prod --overwrite", want: "pod/web-1 labeled\n"},
		{line: "label po/web-1 env=prod", want: "pod/web-1 not labeled\n"},
		{line: "label pod web-1 gone-", want: "label \"gone\" not found.\npod/web-1 not labeled\n"},
		{line: "label pod web-1 env-", want: "pod/web-1 labeled\n"},
		{line: "annotate pod web-1 note='hello world'", want: "pod/web-1 annotated\n"},
		{line: "annotate pod web-1 note=bye",
			wantErr: "error: --overwrite is false but found the following declared annotation(s): 'note' already has a value (hello world)"},
		{line: "label pods -l app=web tier=front", want: "pod/web-1 labeled\n"},
		{line: "label pods -l app=nothing tier=front", want: "No resources found in default namespace.\n"},
	})
	require.Equal(t, "spot", f.getNode("general-1").Labels["pool"])
	p, _ := f.Store.Get("Pod", "default", "web-1")
	require.Equal(t, map[string]string{"app": "web", "tier": "front"}, p.GetLabels())
	require.Equal(t, "hello world", p.GetAnnotations()["note"])
}

func TestDelete(t *testing.T) {
	f := newFixture(t)
	f.node("n1")
	f.deployment("web", 1)
	f.pod("a", podOpts{node: "n1", labels: map[string]string{"app": "x"}})
	f.pod("b", podOpts{node: "n1", labels: map[string]string{"app": "x"}})
	f.pod("c", podOpts{labels: map[string]string{"app": "y"}})

	out, err := f.run("delete deploy web")
	require.NoError(t, err)
	require.Equal(t, "deployment.apps \"web\" deleted\n", out)
	_, ok := f.Store.Get("Deployment", "default", "web")
	require.False(t, ok)

	out, err = f.run("delete pod a --grace-period=7")
	require.NoError(t, err)
	require.Equal(t, "pod \"a\" deleted\n", out)
	a, ok := f.Store.Get("Pod", "default", "a")
	require.True(t, ok, "a bound pod is deleted gracefully")
	require.EqualValues(t, 7, *a.GetDeletionGracePeriodSeconds())

	out, err = f.run("delete pods -l app=x --force")
	require.NoError(t, err)
	require.Equal(t, forceWarning+"\npod \"a\" force deleted\npod \"b\" force deleted\n", out)
	require.Equal(t, 1, f.Store.Len("Pod"))

	out, err = f.run("delete pod c nope")
	require.Equal(t, "pod \"c\" deleted\n", out)
	require.EqualError(t, err, `Error from server (NotFound): pods "nope" not found`)
	out, err = f.run("delete pod nope --ignore-not-found")
	require.NoError(t, err)
	require.Empty(t, out)
	out, err = f.run("delete pods --all")
	require.NoError(t, err)
	require.Equal(t, "No resources found in default namespace.\n", out)
}

func TestRollout(t *testing.T) {
	f := newFixture(t)
	f.deployment("web", 2)

	_, err := f.run("rollout undo deployment/web")
	require.EqualError(t, err, "error: rollout undo is not available: no deployment controller is running")

	var got []any
	f.env.Rollback = func(ns, name string, rev int64) error {
		got = append(got, ns, name, rev)
		if rev == 9 {
			return &Error{Msg: "unable to find specified revision 9 in history"}
		}
		return nil
	}
	out, err := f.run("rollout undo deployment/web --to-revision=2")
	require.NoError(t, err)
	require.Equal(t, "deployment.apps/web rolled back\n", out)
	require.Equal(t, []any{"default", "web", int64(2)}, got)
	_, err = f.run("rollout undo deployment/web --to-revision=9")
	require.EqualError(t, err, "unable to find specified revision 9 in history")
	_, err = f.run("rollout undo deployment/wbe")
	require.EqualError(t, err, `Error from server (NotFound): deployments.apps "wbe" not found`)

	f.Engine.RunUntil(90 * time.Second)
	gen := f.getDeployment("web").Generation
	out, err = f.run("rollout restart deploy/web")
	require.NoError(t, err)
	require.Equal(t, "deployment.apps/web restarted\n", out)
	d := f.getDeployment("web")
	require.Equal(t, "2026-01-01T00:01:30Z", d.Spec.Template.Annotations[RestartedAtAnnotation])
	require.Equal(t, gen+1, d.Generation)
	_, err = f.run("rollout restart deploy/web")
	require.EqualError(t, err, "error: failed to create patch for deployment.apps/web: if restart has already been triggered within the past second, please wait before attempting to trigger another")
}

func TestSetImage(t *testing.T) {
	f := newFixture(t)
	f.deployment("web", 2)
	f.steps([]step{{line: "set image deployment/web web=nginx:1.26 sidecar=envoy:v2", want: "deployment.apps/web image updated\n"}})
	cs := f.getDeployment("web").Spec.Template.Spec.Containers
	require.Equal(t, "nginx:1.26", cs[0].Image)
	require.Equal(t, "envoy:v2", cs[1].Image)

	out, err := f.run("set image deployment/web web=nginx:1.26")
	require.NoError(t, err)
	require.Empty(t, out, "no change, nothing printed")
	out, err = f.run("set image deployment/web nope=x:1 web=nginx:1.27")
	require.EqualError(t, err, `error: unable to find container named "nope"`)
	require.Equal(t, "deployment.apps/web image updated\n", out, "the other updates still apply")
	require.Equal(t, "nginx:1.27", f.getDeployment("web").Spec.Template.Spec.Containers[0].Image)
	_, err = f.run("set image deploy web *=busybox")
	require.NoError(t, err)
	cs = f.getDeployment("web").Spec.Template.Spec.Containers
	require.Equal(t, "busybox", cs[0].Image)
	require.Equal(t, "busybox", cs[1].Image)
}

func TestCreateExposeRun(t *testing.T) {
	f := newFixture(t)
	out, err := f.run("create deployment web --image=registry.k8s.io/my_app:1.0@sha256:abc --replicas=3 --port=8080")
	require.NoError(t, err)
	require.Equal(t, "deployment.apps/web created\n", out)
	d := f.getDeployment("web")
	require.EqualValues(t, 3, *d.Spec.Replicas)
	require.Equal(t, map[string]string{"app": "web"}, d.Spec.Selector.MatchLabels)
	require.Equal(t, "my-app", d.Spec.Template.Spec.Containers[0].Name)
	require.EqualValues(t, 8080, d.Spec.Template.Spec.Containers[0].Ports[0].ContainerPort)

	_, err = f.run("create deployment web --image=nginx")
	require.EqualError(t, err, `Error from server (AlreadyExists): deployments.apps "web" already exists`)

	out, err = f.run("expose deployment web --port=80 --name=web-svc")
	require.NoError(t, err)
	require.Equal(t, "service/web-svc exposed\n", out)
	o, ok := f.Store.Get("Service", "default", "web-svc")
	require.True(t, ok)
	svc := o.(*corev1.Service)
	require.Equal(t, map[string]string{"app": "web"}, svc.Spec.Selector)
	require.EqualValues(t, 80, svc.Spec.Ports[0].Port)
	require.EqualValues(t, 80, svc.Spec.Ports[0].TargetPort.IntValue())

	out, err = f.run("expose deploy web")
	require.NoError(t, err, "the port is introspected from the template")
	require.Equal(t, "service/web exposed\n", out)

	out, err = f.run("run debug --image=busybox --restart=Never")
	require.NoError(t, err)
	require.Equal(t, "pod/debug created\n", out)
	p, ok := f.Store.Get("Pod", "default", "debug")
	require.True(t, ok)
	require.Equal(t, map[string]string{"run": "debug"}, p.GetLabels())
	require.Equal(t, corev1.RestartPolicyNever, p.(*corev1.Pod).Spec.RestartPolicy)

	_, err = f.run("create deployment bad_name --image=nginx")
	require.ErrorContains(t, err, `The Deployment "bad_name" is invalid: metadata.name: Invalid value: "bad_name"`)
}

func manifest(replicas *int32, image string, labels map[string]string) *appsv1.Deployment {
	sel := map[string]string{"app": "web"}
	return &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: "web", Labels: labels},
		Spec: appsv1.DeploymentSpec{
			Replicas: replicas,
			Selector: &metav1.LabelSelector{MatchLabels: sel},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: sel},
				Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "web", Image: image}}},
			},
		},
	}
}

func TestApply(t *testing.T) {
	f := newFixture(t)
	f.files["web.yaml"] = []store.Object{manifest(ptr.To(int32(3)), "nginx:1.25", map[string]string{"team": "a", "tier": "front"})}
	out, err := f.run("apply -f web.yaml")
	require.NoError(t, err)
	require.Equal(t, "deployment.apps/web created\n", out)
	d := f.getDeployment("web")
	require.JSONEq(t, `{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"labels":{"team":"a","tier":"front"},"name":"web","namespace":"default"},"spec":{"replicas":3,"selector":{"matchLabels":{"app":"web"}},"template":{"metadata":{"labels":{"app":"web"}},"spec":{"containers":[{"image":"nginx:1.25","name":"web"}]}}}}`,
		d.Annotations[LastAppliedAnnotation])
	require.True(t, strings.HasSuffix(d.Annotations[LastAppliedAnnotation], "}\n"), "kubectl ends the annotation with a newline")

	out, err = f.run("apply -f web.yaml")
	require.NoError(t, err)
	require.Equal(t, "deployment.apps/web unchanged\n", out)

	// Someone else adds a label and an annotation: apply keeps them.
	cp := f.getDeployment("web").DeepCopy()
	cp.Labels["owner"] = "ops"
	cp.Annotations["deployment.kubernetes.io/revision"] = "1"
	_, err = f.Admin.Update(cp)
	require.NoError(t, err)

	// The manifest drops "tier", drops replicas and changes the image.
	f.files["web.yaml"] = []store.Object{manifest(nil, "nginx:1.26", map[string]string{"team": "a"})}
	out, err = f.run("apply -f web.yaml")
	require.NoError(t, err)
	require.Equal(t, "deployment.apps/web configured\n", out)
	d = f.getDeployment("web")
	require.Equal(t, map[string]string{"team": "a", "owner": "ops"}, d.Labels)
	require.Equal(t, "1", d.Annotations["deployment.kubernetes.io/revision"])
	require.Equal(t, "nginx:1.26", d.Spec.Template.Spec.Containers[0].Image)
	require.EqualValues(t, 1, *d.Spec.Replicas, "replicas removed from the manifest falls back to the default")

	// Replicas absent from both the last and the new manifest: a manual
	// scale survives apply.
	_, err = f.run("scale deploy/web --replicas=5")
	require.NoError(t, err)
	out, err = f.run("apply -f web.yaml")
	require.NoError(t, err)
	require.Equal(t, "deployment.apps/web unchanged\n", out)
	require.EqualValues(t, 5, *f.getDeployment("web").Spec.Replicas)

	_, err = f.run("apply -f web.yaml -n other")
	require.EqualError(t, err, `Error from server (NotFound): namespaces "other" not found`, "a manifest without namespace goes to -n")
	f.files["ns.yaml"] = []store.Object{&corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "other"}}}
	out, err = f.run("apply -f ns.yaml -f web.yaml -n other")
	require.NoError(t, err)
	require.Equal(t, "namespace/other created\ndeployment.apps/web created\n", out)
	f.files["pinned.yaml"] = []store.Object{&corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "cfg", Namespace: "default"}}}
	_, err = f.run("apply -f pinned.yaml -n other")
	require.EqualError(t, err, `error: the namespace from the provided object "default" does not match the namespace "other". You must pass '--namespace=default' to perform this operation.`)

	_, err = f.run("apply -f missing.yaml")
	require.EqualError(t, err, `error: the path "missing.yaml" does not exist`)
}
