package kubectl

import (
	"encoding/json"
	"reflect"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"

	"github.com/kubesim/kubesim/sim/apiserver"
	"github.com/kubesim/kubesim/sim/store"
)

// LastAppliedAnnotation records the configuration kubectl apply last
// applied, the base of its three-way merge.
const LastAppliedAnnotation = "kubectl.kubernetes.io/last-applied-configuration"

func (r *runner) apply() (string, error) {
	if r.env.ReadFile == nil {
		return "", errorf("apply -f: no file reader configured")
	}
	var errs []error
	for _, path := range r.c.Files {
		objs, err := r.env.ReadFile(path)
		if err != nil {
			errs = append(errs, serverError(err))
			continue
		}
		for _, o := range objs {
			if err := r.applyOne(o); err != nil {
				errs = append(errs, serverError(err))
			}
		}
	}
	return r.out.String(), joinErrors(errs)
}

// applyOne creates the object, or merges it into the live one: fields the
// manifest sets win, fields it dropped since the last apply are removed,
// fields others set (replicas scaled by hand or an HPA, the controller's
// annotations, a Service's cluster IP, status) are kept.
func (r *runner) applyOne(in store.Object) error {
	info, err := store.KindOf(in)
	if err != nil {
		return errorf("%v", err)
	}
	obj := in.DeepCopyObject().(store.Object)
	if err := r.applyNamespace(obj, info); err != nil {
		return err
	}
	cfg, err := lastApplied(obj, info)
	if err != nil {
		return err
	}
	name := ref(info.Kind, obj.GetName())
	live, exists := r.st.Get(info.Kind, obj.GetNamespace(), obj.GetName())
	if !exists {
		setAnnotation(obj, LastAppliedAnnotation, cfg)
		obj.SetResourceVersion("")
		if _, err := r.env.Client.Create(obj); err != nil {
			return err
		}
		r.printf(name + " created")
		return nil
	}
	merged := mergeApplied(live, obj, cfg)
	apiserver.Default(merged)
	if sameWithoutStatus(merged, live) {
		r.printf(name + " unchanged")
		return nil
	}
	if _, err := r.env.Client.Update(merged); err != nil {
		return err
	}
	r.printf(name + " configured")
	return nil
}

func (r *runner) applyNamespace(obj store.Object, info *store.KindInfo) error {
	if !info.Namespaced {
		obj.SetNamespace("")
		return nil
	}
	ns := obj.GetNamespace()
	if ns != "" && r.c.Namespace != "" && ns != r.c.Namespace {
		return errorf("the namespace from the provided object %q does not match the namespace %q. You must pass '--namespace=%s' to perform this operation.", ns, r.c.Namespace, ns)
	}
	if ns == "" {
		obj.SetNamespace(r.ns())
	}
	return nil
}

func setAnnotation(obj store.Object, k, v string) {
	a := make(map[string]string, len(obj.GetAnnotations())+1)
	for key, val := range obj.GetAnnotations() {
		a[key] = val
	}
	a[k] = v
	obj.SetAnnotations(a)
}

// lastApplied is the JSON kubectl stores in the annotation: the manifest
// with apiVersion and kind, without the annotation itself, empty and null
// fields dropped, keys sorted, and a trailing newline.
func lastApplied(obj store.Object, info *store.KindInfo) (string, error) {
	m, err := toMap(obj)
	if err != nil {
		return "", err
	}
	m["apiVersion"] = info.GroupVersion.String()
	m["kind"] = info.Kind
	delete(m, "status")
	if md, ok := m["metadata"].(map[string]any); ok {
		for _, k := range []string{"resourceVersion", "uid", "creationTimestamp", "generation"} {
			delete(md, k)
		}
		if a, ok := md["annotations"].(map[string]any); ok {
			delete(a, LastAppliedAnnotation)
		}
	}
	prune(m)
	b, err := json.Marshal(m)
	if err != nil {
		return "", errorf("%v", err)
	}
	return string(b) + "\n", nil
}

func toMap(obj any) (map[string]any, error) {
	b, err := json.Marshal(obj)
	if err != nil {
		return nil, errorf("%v", err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, errorf("%v", err)
	}
	return m, nil
}

// prune drops null values and maps left empty, the noise typed structs
// add ("creationTimestamp": null, "resources": {}, "status": {}).
func prune(m map[string]any) {
	for k, v := range m {
		switch x := v.(type) {
		case nil:
			delete(m, k)
		case map[string]any:
			prune(x)
			if len(x) == 0 {
				delete(m, k)
			}
		case []any:
			for _, e := range x {
				if em, ok := e.(map[string]any); ok {
					prune(em)
				}
			}
		}
	}
}

// sameWithoutStatus compares two objects' JSON apart from status.
func sameWithoutStatus(a, b store.Object) bool {
	ma, errA := toMap(a)
	mb, errB := toMap(b)
	if errA != nil || errB != nil {
		return false
	}
	delete(ma, "status")
	delete(mb, "status")
	return reflect.DeepEqual(ma, mb)
}

// previousConfig reads the labels, annotations and whether replicas was
// set from the live object's last-applied annotation.
func previousConfig(live store.Object) (lbl, ann map[string]string, hadReplicas bool) {
	var cfg struct {
		Metadata struct {
			Labels      map[string]string `json:"labels"`
			Annotations map[string]string `json:"annotations"`
		} `json:"metadata"`
		Spec struct {
			Replicas *int32 `json:"replicas"`
		} `json:"spec"`
	}
	_ = json.Unmarshal([]byte(live.GetAnnotations()[LastAppliedAnnotation]), &cfg)
	return cfg.Metadata.Labels, cfg.Metadata.Annotations, cfg.Spec.Replicas != nil
}

// threeWay merges a string map: desired keys win, keys the previous
// configuration had but desired dropped go, others' keys stay.
func threeWay(live, prev, desired map[string]string) map[string]string {
	out := map[string]string{}
	for k, v := range live {
		if _, wasMine := prev[k]; wasMine {
			if _, still := desired[k]; !still {
				continue
			}
		}
		out[k] = v
	}
	for k, v := range desired {
		out[k] = v
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

// mergeApplied builds the object apply writes: desired's content over
// live's server-owned metadata and the fields apply must not clobber.
func mergeApplied(live, desired store.Object, cfg string) store.Object {
	prevL, prevA, hadReplicas := previousConfig(live)
	out := desired
	out.SetLabels(threeWay(live.GetLabels(), prevL, desired.GetLabels()))
	out.SetAnnotations(threeWay(live.GetAnnotations(), prevA, desired.GetAnnotations()))
	setAnnotation(out, LastAppliedAnnotation, cfg)
	out.SetUID(live.GetUID())
	out.SetResourceVersion(live.GetResourceVersion())
	out.SetCreationTimestamp(live.GetCreationTimestamp())
	out.SetGeneration(live.GetGeneration())
	if len(out.GetOwnerReferences()) == 0 {
		out.SetOwnerReferences(live.GetOwnerReferences())
	}
	if len(out.GetFinalizers()) == 0 {
		out.SetFinalizers(live.GetFinalizers())
	}
	keepServerFields(live, out, hadReplicas)
	return out
}

// keepServerFields preserves per-kind fields that a manifest usually
// leaves out and that others own.
func keepServerFields(live, out store.Object, hadReplicas bool) {
	switch o := out.(type) {
	case *appsv1.Deployment:
		if o.Spec.Replicas == nil && !hadReplicas {
			o.Spec.Replicas = live.(*appsv1.Deployment).Spec.Replicas
		}
	case *appsv1.ReplicaSet:
		if o.Spec.Replicas == nil && !hadReplicas {
			o.Spec.Replicas = live.(*appsv1.ReplicaSet).Spec.Replicas
		}
	case *appsv1.StatefulSet:
		if o.Spec.Replicas == nil && !hadReplicas {
			o.Spec.Replicas = live.(*appsv1.StatefulSet).Spec.Replicas
		}
	case *corev1.ReplicationController:
		if o.Spec.Replicas == nil && !hadReplicas {
			o.Spec.Replicas = live.(*corev1.ReplicationController).Spec.Replicas
		}
	case *corev1.Service:
		l := live.(*corev1.Service)
		if o.Spec.ClusterIP == "" {
			o.Spec.ClusterIP, o.Spec.ClusterIPs = l.Spec.ClusterIP, l.Spec.ClusterIPs
		}
		for i := range o.Spec.Ports {
			if o.Spec.Ports[i].NodePort == 0 && i < len(l.Spec.Ports) {
				o.Spec.Ports[i].NodePort = l.Spec.Ports[i].NodePort
			}
		}
	case *corev1.Pod:
		// A pod's spec is immutable but for images: keep the live spec
		// (node, defaults, admission's tolerations) with the new images.
		spec := *live.(*corev1.Pod).Spec.DeepCopy()
		for _, c := range o.Spec.Containers {
			setContainerImage(&spec, ContainerImage{Container: c.Name, Image: c.Image})
		}
		o.Spec = spec
	case *corev1.Node:
		l := live.(*corev1.Node)
		if o.Spec.ProviderID == "" {
			o.Spec.ProviderID = l.Spec.ProviderID
		}
		if len(o.Spec.PodCIDRs) == 0 {
			o.Spec.PodCIDR, o.Spec.PodCIDRs = l.Spec.PodCIDR, l.Spec.PodCIDRs
		}
	}
}

// ApplyObjects applies objects already decoded (a scenario's workloads or
// an `apply:` action) exactly like `kubectl apply -f`, printing its output.
func ApplyObjects(env *Env, objs []store.Object) (string, error) {
	r := &runner{c: &Command{Verb: Apply, Line: "apply"}, env: env, st: env.Client.Server().Store()}
	var errs []error
	for _, o := range objs {
		if err := r.applyOne(o.DeepCopyObject().(store.Object)); err != nil {
			errs = append(errs, serverError(err))
		}
	}
	return r.out.String(), joinErrors(errs)
}
