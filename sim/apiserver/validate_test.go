package apiserver_test

import (
	"testing"

	"github.com/stretchr/testify/require"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"

	"github.com/kubesim/kubesim/sim/store"
)

// Library messages (k8s.io/apimachinery/pkg/util/validation), spelled out
// so that a change of wording shows up here.
const (
	msgDNSSubdomain = `a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')`
	msgDNS1035      = `a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')`
	msgDNS1123Label = `a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')`
	msgLabelKey     = `name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')`
	msgLabelValue   = `a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')`
	msgPercent      = `a valid percent string must be a numeric string followed by an ending '%' (e.g. '1%',  or '93%', regex used for validation is '[0-9]+%')`
)

func TestCreateValidationErrors(t *testing.T) {
	podWith := func(fn func(p *corev1.Pod)) func() store.Object {
		return func() store.Object { p := newPod("p"); fn(p); return p }
	}
	deployWith := func(fn func(d *appsv1.Deployment)) func() store.Object {
		return func() store.Object { d := newDeployment("web"); fn(d); return d }
	}
	is := func(s string) *intstr.IntOrString { v := intstr.FromString(s); return &v }
	in := func(n int32) *intstr.IntOrString { v := intstr.FromInt32(n); return &v }
	tests := []struct {
		name string
		obj  func() store.Object
		want string
	}{
		{"pod bad name", podWith(func(p *corev1.Pod) { p.Name = "Bad_Name" }),
			`Pod "Bad_Name" is invalid: metadata.name: Invalid value: "Bad_Name": ` + msgDNSSubdomain},
		{"service name must be a DNS-1035 label", func() store.Object { return newService("default", "1web") },
			`Service "1web" is invalid: metadata.name: Invalid value: "1web": ` + msgDNS1035},
		{"missing name", podWith(func(p *corev1.Pod) { p.Name = "" }),
			`Pod "" is invalid: metadata.name: Required value: name or generateName is required`},
		{"bad label key", podWith(func(p *corev1.Pod) { p.Labels = map[string]string{"bad key": "v"} }),
			`Pod "p" is invalid: metadata.labels: Invalid value: "bad key": ` + msgLabelKey},
		{"bad label value", podWith(func(p *corev1.Pod) { p.Labels = map[string]string{"app": "-x"} }),
			`Pod "p" is invalid: metadata.labels: Invalid value: "-x": ` + msgLabelValue},
		{"empty containers", podWith(func(p *corev1.Pod) { p.Spec.Containers = nil }),
			`Pod "p" is invalid: spec.containers: Required value`},
		{"duplicate container names", podWith(func(p *corev1.Pod) {
			p.Spec.Containers = append(p.Spec.Containers, corev1.Container{Name: "app", Image: "busybox"})
		}), `Pod "p" is invalid: spec.containers[1].name: Duplicate value: "app"`},
		{"init container name clashes with container", podWith(func(p *corev1.Pod) {
			p.Spec.InitContainers = []corev1.Container{{Name: "app", Image: "busybox"}}
		}), `Pod "p" is invalid: spec.containers[0].name: Duplicate value: "app"`},
		{"bad container name and missing image", podWith(func(p *corev1.Pod) {
			p.Spec.Containers[0] = corev1.Container{Name: "App"}
		}), `Pod "p" is invalid: [spec.containers[0].name: Invalid value: "App": ` + msgDNS1123Label + `, spec.containers[0].image: Required value]`},
		{"requests above limits", podWith(func(p *corev1.Pod) {
			p.Spec.Containers[0].Resources = corev1.ResourceRequirements{
				Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("2")},
				Limits:   corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("1")},
			}
		}), `Pod "p" is invalid: spec.containers[0].resources.requests[cpu]: Invalid value: "2": must be less than or equal to cpu limit of 1`},
		{"two requests above limits, in name order", podWith(func(p *corev1.Pod) {
			p.Spec.Containers[0].Resources = corev1.ResourceRequirements{
				Requests: corev1.ResourceList{corev1.ResourceMemory: resource.MustParse("2Gi"), corev1.ResourceCPU: resource.MustParse("500m")},
				Limits:   corev1.ResourceList{corev1.ResourceMemory: resource.MustParse("1Gi"), corev1.ResourceCPU: resource.MustParse("250m")},
			}
		}), `Pod "p" is invalid: [spec.containers[0].resources.requests[cpu]: Invalid value: "500m": must be less than or equal to cpu limit of 250m, ` +
			`spec.containers[0].resources.requests[memory]: Invalid value: "2Gi": must be less than or equal to memory limit of 1Gi]`},
		{"negative request and limit of an init container", podWith(func(p *corev1.Pod) {
			p.Spec.InitContainers = []corev1.Container{{Name: "init", Image: "busybox", Resources: corev1.ResourceRequirements{
				Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("-1")},
				Limits:   corev1.ResourceList{corev1.ResourceMemory: resource.MustParse("-1Gi")},
			}}}
		}), `Pod "p" is invalid: [spec.initContainers[0].resources.requests[cpu]: Invalid value: "-1": must be greater than or equal to 0, ` +
			// Defaulting copied the limit to the missing request.
			`spec.initContainers[0].resources.requests[memory]: Invalid value: "-1Gi": must be greater than or equal to 0, ` +
			`spec.initContainers[0].resources.limits[memory]: Invalid value: "-1Gi": must be greater than or equal to 0]`},
		{"container port out of range", podWith(func(p *corev1.Pod) {
			p.Spec.Containers[0].Ports = []corev1.ContainerPort{{ContainerPort: 70000}}
		}), `Pod "p" is invalid: spec.containers[0].ports[0].containerPort: Invalid value: 70000: must be between 1 and 65535, inclusive`},
		{"bad restart policy", podWith(func(p *corev1.Pod) { p.Spec.RestartPolicy = "Sometimes" }),
			`Pod "p" is invalid: spec.restartPolicy: Unsupported value: "Sometimes": supported values: "Always", "OnFailure", "Never"`},
		{"negative grace period", podWith(func(p *corev1.Pod) { p.Spec.TerminationGracePeriodSeconds = ptr.To(int64(-1)) }),
			`Pod "p" is invalid: spec.terminationGracePeriodSeconds: Invalid value: -1: must be greater than or equal to 0`},
		{"bad toleration operator", podWith(func(p *corev1.Pod) {
			p.Spec.Tolerations = []corev1.Toleration{{Key: "k", Operator: "In", Value: "v"}}
		}), `Pod "p" is invalid: spec.tolerations[0].operator: Unsupported value: "In": supported values: "Equal", "Exists"`},
		{"toleration Exists with value", podWith(func(p *corev1.Pod) {
			p.Spec.Tolerations = []corev1.Toleration{{Key: "k", Operator: corev1.TolerationOpExists, Value: "v"}}
		}), `Pod "p" is invalid: spec.tolerations[0].operator: Invalid value: "v": value must be empty when ` + "`operator`" + ` is 'Exists'`},
		{"toleration without key needs Exists", podWith(func(p *corev1.Pod) {
			p.Spec.Tolerations = []corev1.Toleration{{Operator: corev1.TolerationOpEqual}}
		}), `Pod "p" is invalid: spec.tolerations[0].operator: Invalid value: "Equal": operator must be Exists when ` + "`key`" + ` is empty, which means "match all values and all keys"`},
		{"bad toleration effect", podWith(func(p *corev1.Pod) {
			p.Spec.Tolerations = []corev1.Toleration{{Key: "k", Operator: corev1.TolerationOpExists, Effect: "NoRun"}}
		}), `Pod "p" is invalid: spec.tolerations[0].effect: Unsupported value: "NoRun": supported values: "NoSchedule", "PreferNoSchedule", "NoExecute"`},
		{"selector does not match template labels", deployWith(func(d *appsv1.Deployment) {
			d.Spec.Template.Labels = map[string]string{"app": "other"}
		}), `Deployment.apps "web" is invalid: spec.template.metadata.labels: Invalid value: {"app":"other"}: ` + "`selector` does not match template `labels`"},
		{"missing selector", deployWith(func(d *appsv1.Deployment) { d.Spec.Selector = nil }),
			`Deployment.apps "web" is invalid: spec.selector: Required value`},
		{"empty selector", deployWith(func(d *appsv1.Deployment) { d.Spec.Selector = &metav1.LabelSelector{} }),
			`Deployment.apps "web" is invalid: spec.selector: Invalid value: {}: empty selector is invalid for deployment`},
		{"negative replicas", deployWith(func(d *appsv1.Deployment) { d.Spec.Replicas = ptr.To(int32(-1)) }),
			`Deployment.apps "web" is invalid: spec.replicas: Invalid value: -1: must be greater than or equal to 0`},
		{"maxSurge and maxUnavailable both 0", deployWith(func(d *appsv1.Deployment) {
			d.Spec.Strategy.RollingUpdate = &appsv1.RollingUpdateDeployment{MaxSurge: in(0), MaxUnavailable: in(0)}
		}), `Deployment.apps "web" is invalid: spec.strategy.rollingUpdate.maxUnavailable: Invalid value: 0: may not be 0 when ` + "`maxSurge`" + ` is 0`},
		{"maxSurge and maxUnavailable both 0%", deployWith(func(d *appsv1.Deployment) {
			d.Spec.Strategy.RollingUpdate = &appsv1.RollingUpdateDeployment{MaxSurge: is("0%"), MaxUnavailable: is("0%")}
		}), `Deployment.apps "web" is invalid: spec.strategy.rollingUpdate.maxUnavailable: Invalid value: "0%": may not be 0 when ` + "`maxSurge`" + ` is 0`},
		{"maxSurge not a percent", deployWith(func(d *appsv1.Deployment) {
			d.Spec.Strategy.RollingUpdate = &appsv1.RollingUpdateDeployment{MaxSurge: is("1")}
		}), `Deployment.apps "web" is invalid: spec.strategy.rollingUpdate.maxSurge: Invalid value: "1": ` + msgPercent},
		{"negative maxUnavailable", deployWith(func(d *appsv1.Deployment) {
			d.Spec.Strategy.RollingUpdate = &appsv1.RollingUpdateDeployment{MaxUnavailable: in(-1)}
		}), `Deployment.apps "web" is invalid: spec.strategy.rollingUpdate.maxUnavailable: Invalid value: -1: must be greater than or equal to 0`},
		{"Recreate with rollingUpdate", deployWith(func(d *appsv1.Deployment) {
			d.Spec.Strategy = appsv1.DeploymentStrategy{Type: appsv1.RecreateDeploymentStrategyType,
				RollingUpdate: &appsv1.RollingUpdateDeployment{MaxSurge: in(1)}}
		}), `Deployment.apps "web" is invalid: spec.strategy.rollingUpdate: Forbidden: may not be specified when strategy ` + "`type`" + ` is 'Recreate'`},
		{"unknown strategy type", deployWith(func(d *appsv1.Deployment) { d.Spec.Strategy.Type = "BlueGreen" }),
			`Deployment.apps "web" is invalid: spec.strategy.type: Unsupported value: "BlueGreen": supported values: "Recreate", "RollingUpdate"`},
		{"template pod spec is validated", deployWith(func(d *appsv1.Deployment) { d.Spec.Template.Spec.Containers = nil }),
			`Deployment.apps "web" is invalid: spec.template.spec.containers: Required value`},
		{"DaemonSet restartPolicy must be Always", func() store.Object {
			d := newDeployment("ds")
			d.Spec.Template.Spec.RestartPolicy = corev1.RestartPolicyNever
			return &appsv1.DaemonSet{ObjectMeta: d.ObjectMeta, Spec: appsv1.DaemonSetSpec{Selector: d.Spec.Selector, Template: d.Spec.Template}}
		}, `DaemonSet.apps "ds" is invalid: spec.template.spec.restartPolicy: Unsupported value: "Never": supported values: "Always"`},
		{"service port 0", func() store.Object { s := newService("default", "web"); s.Spec.Ports[0].Port = 0; return s },
			`Service "web" is invalid: spec.ports[0].port: Invalid value: 0: must be between 1 and 65535, inclusive`},
		{"service port 65536", func() store.Object { s := newService("default", "web"); s.Spec.Ports[0].Port = 65536; return s },
			`Service "web" is invalid: spec.ports[0].port: Invalid value: 65536: must be between 1 and 65535, inclusive`},
		{"service without ports", func() store.Object { s := newService("default", "web"); s.Spec.Ports = nil; return s },
			`Service "web" is invalid: spec.ports: Required value`},
		{"service ports need names when several", func() store.Object {
			s := newService("default", "web")
			s.Spec.Ports = append(s.Spec.Ports, corev1.ServicePort{Name: "b", Port: 81})
			return s
		}, `Service "web" is invalid: spec.ports[0].name: Required value`},
		{"PDB with minAvailable and maxUnavailable", func() store.Object {
			return &policyv1.PodDisruptionBudget{
				ObjectMeta: metav1.ObjectMeta{Name: "pdb", Namespace: "default"},
				Spec: policyv1.PodDisruptionBudgetSpec{MinAvailable: in(1), MaxUnavailable: in(1),
					Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": "web"}}},
			}
		}, `PodDisruptionBudget.policy "pdb" is invalid: spec: Invalid value: {"minAvailable":1,"selector":{"matchLabels":{"app":"web"}},"maxUnavailable":1}: minAvailable and maxUnavailable cannot be both set`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, 1)
			rev := f.Store.Rev()
			n := len(f.records())
			out, err := f.Admin.Create(tc.obj())
			require.Nil(t, out)
			require.Error(t, err)
			require.True(t, apierrors.IsInvalid(err), "want Invalid, got %v", err)
			require.Equal(t, tc.want, err.Error())
			require.Equal(t, rev, f.Store.Rev(), "nothing written")
			require.Len(t, f.records(), n, "nothing traced")
		})
	}
}

func TestValidationErrorDetails(t *testing.T) {
	f := newFixture(t, 1)
	d := newDeployment("web")
	d.Spec.Replicas = ptr.To(int32(-2))
	_, err := f.Admin.Create(d)
	var se *apierrors.StatusError
	require.ErrorAs(t, err, &se)
	st := se.Status()
	require.Equal(t, int32(422), st.Code)
	require.Equal(t, metav1.StatusReasonInvalid, st.Reason)
	require.Equal(t, "apps", st.Details.Group)
	require.Equal(t, "Deployment", st.Details.Kind)
	require.Equal(t, "web", st.Details.Name)
	require.Equal(t, []metav1.StatusCause{{Type: metav1.CauseTypeFieldValueInvalid,
		Message: "Invalid value: -2: must be greater than or equal to 0", Field: "spec.replicas"}}, st.Details.Causes)
}

func TestUpdateValidation(t *testing.T) {
	f := newFixture(t, 1)
	f.create(newDeployment("web"))
	f.node("n1")
	f.node("n2")
	f.create(newPod("p"))
	require.NoError(t, f.Admin.Bind("default", "p", "n1"))

	tests := []struct {
		name string
		obj  func() store.Object
		want string
	}{
		{"deployment selector is immutable", func() store.Object {
			d := f.get("Deployment", "default", "web").(*appsv1.Deployment).DeepCopy()
			d.Spec.Selector = &metav1.LabelSelector{MatchLabels: map[string]string{"app": "web2"}}
			d.Spec.Template.Labels = map[string]string{"app": "web2"}
			return d
		}, `Deployment.apps "web" is invalid: spec.selector: Invalid value: {"matchLabels":{"app":"web2"}}: field is immutable`},
		{"update is validated like create", func() store.Object {
			d := f.get("Deployment", "default", "web").(*appsv1.Deployment).DeepCopy()
			d.Spec.Replicas = ptr.To(int32(-1))
			return d
		}, `Deployment.apps "web" is invalid: spec.replicas: Invalid value: -1: must be greater than or equal to 0`},
		{"bound pod cannot move", func() store.Object {
			p := f.pod("p").DeepCopy()
			p.Spec.NodeName = "n2"
			return p
		}, "Pod \"p\" is invalid: spec.nodeName: Forbidden: pod updates may not change fields other than `spec.containers[*].image`, `spec.initContainers[*].image`, `spec.activeDeadlineSeconds`, `spec.tolerations` (only additions to existing tolerations), `spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rev := f.Store.Rev()
			_, err := f.Admin.Update(tc.obj())
			require.True(t, apierrors.IsInvalid(err), "want Invalid, got %v", err)
			require.Equal(t, tc.want, err.Error())
			require.Equal(t, rev, f.Store.Rev())
		})
	}
}

// TestValidateReplicationController: upstream's defaulting (selector and
// labels from the template, replicas 1) and
// ValidateReplicationControllerSpec's messages.
func TestValidateReplicationController(t *testing.T) {
	f := newFixture(t, 1)
	tmpl := func() *corev1.PodTemplateSpec {
		return &corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"app": "a"}},
			Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "c", Image: "nginx"}}}}
	}
	rc := func(name string, t *corev1.PodTemplateSpec) *corev1.ReplicationController {
		return &corev1.ReplicationController{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "default"},
			Spec: corev1.ReplicationControllerSpec{Template: t}}
	}
	out, err := f.Admin.Create(rc("ok", tmpl()))
	require.NoError(t, err)
	got := out.(*corev1.ReplicationController)
	require.Equal(t, map[string]string{"app": "a"}, got.Spec.Selector)
	require.Equal(t, map[string]string{"app": "a"}, got.Labels)
	require.Equal(t, int32(1), *got.Spec.Replicas)

	_, err = f.Admin.Create(rc("none", nil))
	require.EqualError(t, err, `ReplicationController "none" is invalid: [spec.selector: Required value, spec.template: Required value]`)

	bad := rc("bad", tmpl())
	bad.Spec.Template.Spec.ActiveDeadlineSeconds = ptr.To(int64(30))
	bad.Spec.MinReadySeconds = -1
	_, err = f.Admin.Create(bad)
	require.EqualError(t, err, `ReplicationController "bad" is invalid: [spec.minReadySeconds: Invalid value: -1: must be greater than or equal to 0, `+
		`spec.template.spec.activeDeadlineSeconds: Forbidden: activeDeadlineSeconds in ReplicationController is not Supported]`)
}
