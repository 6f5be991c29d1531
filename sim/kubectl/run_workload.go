package kubectl

import (
	"errors"
	"strconv"
	"strings"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/kubesim/kubesim/sim/store"
)

// RestartedAtAnnotation is the pod-template annotation rollout restart
// sets to trigger a new rollout.
const RestartedAtAnnotation = "kubectl.kubernetes.io/restartedAt"

func (r *runner) rolloutUndo() (string, error) {
	return r.each(func(t Target) error {
		if _, err := r.get(t); err != nil {
			return err
		}
		if r.env.Rollback == nil {
			return errorf("rollout undo is not available: no deployment controller is running")
		}
		if err := r.env.Rollback(r.ns(), t.Name, r.c.ToRevision); err != nil {
			// The controller reports a no-op as "skipped rollback (...)",
			// which kubectl prints as a result, not an error.
			if strings.HasPrefix(err.Error(), "skipped rollback") {
				r.printf(ref(t.Kind, t.Name) + " " + err.Error())
				return nil
			}
			return err
		}
		r.printf(ref(t.Kind, t.Name) + " rolled back")
		return nil
	})
}

func (r *runner) rolloutRestart() (string, error) {
	return r.eachObject(func(t Target, o store.Object) error {
		if d, ok := o.(*appsv1.Deployment); ok && d.Spec.Paused {
			return errorf("deployments.apps %q can't restart paused deployment (run rollout resume first)", d.Name)
		}
		cp := o.DeepCopyObject().(store.Object)
		tmpl := restartTemplateOf(cp)
		if tmpl == nil {
			return errorf("%s: restarting is not supported", ref(t.Kind, t.Name))
		}
		stamp := r.env.Engine.Now().Format(time.RFC3339)
		if tmpl.Annotations[RestartedAtAnnotation] == stamp {
			return errorf("failed to create patch for %s: if restart has already been triggered within the past second, please wait before attempting to trigger another", ref(t.Kind, t.Name))
		}
		if tmpl.Annotations == nil {
			tmpl.Annotations = map[string]string{}
		}
		tmpl.Annotations[RestartedAtAnnotation] = stamp
		if _, err := r.env.Client.Update(cp); err != nil {
			return err
		}
		r.printf(ref(t.Kind, t.Name) + " restarted")
		return nil
	})
}

// restartTemplateOf is the pod template rollout restart annotates: the
// kinds upstream kubectl restarts (Deployment, DaemonSet, StatefulSet).
func restartTemplateOf(o store.Object) *corev1.PodTemplateSpec {
	switch w := o.(type) {
	case *appsv1.Deployment:
		return &w.Spec.Template
	case *appsv1.DaemonSet:
		return &w.Spec.Template
	case *appsv1.StatefulSet:
		return &w.Spec.Template
	}
	return nil
}

// podSpecOf returns the pod spec (template) of a workload or pod.
func podSpecOf(o store.Object) *corev1.PodSpec {
	switch w := o.(type) {
	case *appsv1.Deployment:
		return &w.Spec.Template.Spec
	case *appsv1.ReplicaSet:
		return &w.Spec.Template.Spec
	case *appsv1.DaemonSet:
		return &w.Spec.Template.Spec
	case *appsv1.StatefulSet:
		return &w.Spec.Template.Spec
	case *batchv1.CronJob:
		return &w.Spec.JobTemplate.Spec.Template.Spec
	case *corev1.Pod:
		return &w.Spec
	case *corev1.ReplicationController:
		if w.Spec.Template != nil {
			return &w.Spec.Template.Spec
		}
	}
	return nil
}

// setImage updates container images like kubectl set image: a missing
// container is an error but the other updates still apply, and an update
// that changes nothing prints nothing.
func (r *runner) setImage() (string, error) {
	var errs []error
	for _, t := range r.targets() {
		o, err := r.get(t)
		if err != nil {
			errs = append(errs, serverError(err))
			continue
		}
		obj := o.DeepCopyObject().(store.Object)
		spec := podSpecOf(obj)
		if spec == nil {
			errs = append(errs, errorf("%s has no containers to set an image on", ref(t.Kind, t.Name)))
			continue
		}
		for _, ci := range r.c.Images {
			if !setContainerImage(spec, ci) {
				errs = append(errs, errorf("unable to find container named %q", ci.Container))
			}
		}
		if equality.Semantic.DeepEqual(podSpecOf(o), spec) {
			continue
		}
		if _, err := r.env.Client.Update(obj); err != nil {
			errs = append(errs, errorf("failed to patch image update to pod template: %v", err))
			continue
		}
		r.printf(ref(t.Kind, t.Name) + " image updated")
	}
	return r.out.String(), joinErrors(errs)
}

// setContainerImage sets the image of the named container (init
// containers included; "*" means all) and reports whether one matched.
func setContainerImage(spec *corev1.PodSpec, ci ContainerImage) bool {
	found := false
	for _, list := range [][]corev1.Container{spec.InitContainers, spec.Containers} {
		for i := range list {
			if ci.Container == "*" || list[i].Name == ci.Container {
				list[i].Image = ci.Image
				found = true
			}
		}
	}
	return found
}

// containerName derives a container name from an image reference as
// kubectl create deployment does: last path element without tag or
// digest, underscores made DNS-safe.
func containerName(image string) string {
	name := image[strings.LastIndex(image, "/")+1:]
	name, _, _ = strings.Cut(name, "@")
	name, _, _ = strings.Cut(name, ":")
	return strings.ReplaceAll(name, "_", "-")
}

func (r *runner) createDeployment() (string, error) {
	c := r.c
	lbl := map[string]string{"app": c.Name}
	d := &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: c.Name, Namespace: r.ns(), Labels: lbl},
		Spec: appsv1.DeploymentSpec{
			Replicas: &c.Replicas,
			Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": c.Name}},
			Template: corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"app": c.Name}}},
		},
	}
	for _, img := range c.Image {
		d.Spec.Template.Spec.Containers = append(d.Spec.Template.Spec.Containers, corev1.Container{Name: containerName(img), Image: img})
	}
	if c.Port >= 0 {
		d.Spec.Template.Spec.Containers[0].Ports = []corev1.ContainerPort{{ContainerPort: c.Port}}
	}
	if _, err := r.env.Client.Create(d); err != nil {
		return "", serverError(err)
	}
	return ref("Deployment", c.Name) + " created\n", nil
}

func (r *runner) run() (string, error) {
	c := r.c
	lbl := map[string]string{"run": c.Name}
	if c.Labels != "" {
		lbl, _ = labels.ConvertSelectorToLabelsMap(c.Labels)
	}
	p := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: c.Name, Namespace: r.ns(), Labels: lbl},
		Spec: corev1.PodSpec{
			Containers:    []corev1.Container{{Name: c.Name, Image: c.Image[0]}},
			RestartPolicy: corev1.RestartPolicy(c.Restart),
		},
	}
	if c.Port > 0 {
		p.Spec.Containers[0].Ports = []corev1.ContainerPort{{ContainerPort: c.Port}}
	}
	if _, err := r.env.Client.Create(p); err != nil {
		return "", serverError(err)
	}
	return ref("Pod", c.Name) + " created\n", nil
}

// expose creates a Service selecting the resource's pods, as kubectl
// expose does: selector and ports are introspected when not given.
func (r *runner) expose() (string, error) {
	t := r.c.Targets[0]
	o, err := r.get(t)
	if err != nil {
		return "", serverError(err)
	}
	sel, ports, err := exposeIntrospect(o)
	if err != nil {
		return "", err
	}
	if r.c.Port > 0 {
		ports = []int32{r.c.Port}
	}
	if len(ports) == 0 {
		return "", errorf("couldn't find port via --port flag or introspection")
	}
	svc := &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Name: t.Name, Namespace: r.ns(), Labels: o.GetLabels()},
		Spec:       corev1.ServiceSpec{Selector: sel, Type: corev1.ServiceType(r.c.Type)},
	}
	if r.c.Service != "" {
		svc.Name = r.c.Service
	}
	for i, p := range ports {
		sp := corev1.ServicePort{Port: p, Protocol: corev1.Protocol(r.c.Protocol), TargetPort: intstr.FromInt32(p)}
		if len(ports) > 1 {
			sp.Name = "port-" + strconv.Itoa(i+1)
		}
		if r.c.TargetPort != "" {
			sp.TargetPort = intstr.Parse(r.c.TargetPort)
		}
		svc.Spec.Ports = append(svc.Spec.Ports, sp)
	}
	if _, err := r.env.Client.Create(svc); err != nil {
		return "", serverError(err)
	}
	return ref("Service", svc.Name) + " exposed\n", nil
}

var errMatchExpressions = errors.New("couldn't retrieve selectors via --selector flag or introspection: the selector has match expressions, which a Service cannot express")

// exposeIntrospect finds the selector and container ports of what is
// being exposed.
func exposeIntrospect(o store.Object) (map[string]string, []int32, error) {
	var sel *metav1.LabelSelector
	switch w := o.(type) {
	case *corev1.Service:
		var ports []int32
		for _, p := range w.Spec.Ports {
			ports = append(ports, p.Port)
		}
		return w.Spec.Selector, ports, nil
	case *corev1.Pod:
		return w.Labels, containerPorts(&w.Spec), nil
	case *corev1.ReplicationController:
		var ports []int32
		if spec := podSpecOf(w); spec != nil {
			ports = containerPorts(spec)
		}
		return w.Spec.Selector, ports, nil
	case *appsv1.Deployment:
		sel = w.Spec.Selector
	case *appsv1.ReplicaSet:
		sel = w.Spec.Selector
	}
	if sel == nil || len(sel.MatchExpressions) > 0 {
		return nil, nil, errorf("%v", errMatchExpressions)
	}
	return sel.MatchLabels, containerPorts(podSpecOf(o)), nil
}

func containerPorts(spec *corev1.PodSpec) []int32 {
	var out []int32
	for _, c := range spec.Containers {
		for _, p := range c.Ports {
			out = append(out, p.ContainerPort)
		}
	}
	return out
}
