package store

import (
	"fmt"
	"reflect"
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	batchv1 "k8s.io/api/batch/v1"
	coordinationv1 "k8s.io/api/coordination/v1"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	policyv1 "k8s.io/api/policy/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// Object is a Kubernetes API object: typed metadata plus runtime.Object.
type Object interface {
	metav1.Object
	runtime.Object
}

// KindInfo describes one kind the store holds.
type KindInfo struct {
	Kind         string
	GroupVersion schema.GroupVersion
	Resource     string // plural lower-case resource name
	Namespaced   bool
	New          func() Object
}

// GroupResource is the kind's group and resource, as API errors name it.
func (k *KindInfo) GroupResource() schema.GroupResource {
	return schema.GroupResource{Group: k.GroupVersion.Group, Resource: k.Resource}
}

// GVK is the kind's group, version and kind.
func (k *KindInfo) GVK() schema.GroupVersionKind { return k.GroupVersion.WithKind(k.Kind) }

var (
	kindsByName = map[string]*KindInfo{}
	kindsByType = map[reflect.Type]*KindInfo{}
	kindOrder   []string
)

func register(gv schema.GroupVersion, resource string, namespaced bool, newFn func() Object) {
	obj := newFn()
	t := reflect.TypeOf(obj)
	info := &KindInfo{Kind: t.Elem().Name(), GroupVersion: gv, Resource: resource, Namespaced: namespaced, New: newFn}
	kindsByName[info.Kind] = info
	kindsByType[t] = info
	kindOrder = append(kindOrder, info.Kind)
}

func init() {
	core := corev1.SchemeGroupVersion
	apps := appsv1.SchemeGroupVersion
	register(core, "namespaces", false, func() Object { return &corev1.Namespace{} })
	register(core, "nodes", false, func() Object { return &corev1.Node{} })
	register(core, "pods", true, func() Object { return &corev1.Pod{} })
	register(core, "services", true, func() Object { return &corev1.Service{} })
	register(core, "configmaps", true, func() Object { return &corev1.ConfigMap{} })
	register(core, "secrets", true, func() Object { return &corev1.Secret{} })
	register(core, "events", true, func() Object { return &corev1.Event{} })
	register(core, "serviceaccounts", true, func() Object { return &corev1.ServiceAccount{} })
	register(apps, "deployments", true, func() Object { return &appsv1.Deployment{} })
	register(apps, "replicasets", true, func() Object { return &appsv1.ReplicaSet{} })
	register(apps, "daemonsets", true, func() Object { return &appsv1.DaemonSet{} })
	register(apps, "statefulsets", true, func() Object { return &appsv1.StatefulSet{} })
	register(apps, "controllerrevisions", true, func() Object { return &appsv1.ControllerRevision{} })
	register(discoveryv1.SchemeGroupVersion, "endpointslices", true, func() Object { return &discoveryv1.EndpointSlice{} })
	register(policyv1.SchemeGroupVersion, "poddisruptionbudgets", true, func() Object { return &policyv1.PodDisruptionBudget{} })
	register(coordinationv1.SchemeGroupVersion, "leases", true, func() Object { return &coordinationv1.Lease{} })
	register(batchv1.SchemeGroupVersion, "jobs", true, func() Object { return &batchv1.Job{} })
	register(batchv1.SchemeGroupVersion, "cronjobs", true, func() Object { return &batchv1.CronJob{} })
	register(autoscalingv2.SchemeGroupVersion, "horizontalpodautoscalers", true, func() Object { return &autoscalingv2.HorizontalPodAutoscaler{} })
}

// Kinds lists the registered kinds in registration order.
func Kinds() []string { return append([]string(nil), kindOrder...) }

// LookupKind returns the kind called name ("Pod", "Deployment", ...).
func LookupKind(name string) (*KindInfo, bool) {
	k, ok := kindsByName[name]
	return k, ok
}

// KindOf returns the kind of a registered object type.
func KindOf(obj runtime.Object) (*KindInfo, error) {
	if k, ok := kindsByType[reflect.TypeOf(obj)]; ok {
		return k, nil
	}
	return nil, fmt.Errorf("store: unsupported object type %T", obj)
}

// MustKind is KindOf for callers that only pass registered types.
func MustKind(obj runtime.Object) string {
	k, err := KindOf(obj)
	if err != nil {
		panic(err)
	}
	return k.Kind
}

// Key is the store key of an object: "namespace/name", or "name" for
// cluster-scoped objects.
func Key(namespace, name string) string {
	if namespace == "" {
		return name
	}
	return namespace + "/" + name
}

// SplitKey is the inverse of Key: "ns/name" gives ("ns", "name"), "name"
// gives ("", "name").
func SplitKey(key string) (namespace, name string) {
	if i := strings.IndexByte(key, '/'); i >= 0 {
		return key[:i], key[i+1:]
	}
	return "", key
}

// KeyOf is Key of an object's metadata.
func KeyOf(obj metav1.Object) string { return Key(obj.GetNamespace(), obj.GetName()) }
