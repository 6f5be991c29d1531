package store

import (
	"fmt"
	"reflect"
	"slices"
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	batchv1 "k8s.io/api/batch/v1"
	certificatesv1 "k8s.io/api/certificates/v1"
	coordinationv1 "k8s.io/api/coordination/v1"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	schedulingv1 "k8s.io/api/scheduling/v1"
	storagev1 "k8s.io/api/storage/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"

	karpv1 "github.com/kubesim/kubesim/sim/apis/karpenter/v1"
)

// Object is a Kubernetes API object: typed metadata plus runtime.Object.
type Object interface {
	metav1.Object
	runtime.Object
}

// KindInfo describes one kind the store holds, and everything the rest of
// the simulator needs to name it: the Kubernetes API server's discovery,
// the scenario loader and the in-scenario kubectl all read this table, so
// a new kind is one entry in kindTable.
type KindInfo struct {
	Kind         string // from the Go type ("Pod")
	GroupVersion schema.GroupVersion
	Resource     string // plural lower-case resource name ("pods")
	Singular     string // lower-case kind ("pod")
	// ShortNames are upstream's short names ("po"), as discovery lists them.
	ShortNames []string
	// Categories are the discovery categories ("all": kubectl get all).
	Categories []string
	// Subresources the API serves besides the main resource: status,
	// scale, binding, eviction, log.
	Subresources []string
	Namespaced   bool
	// Generation: the API server sets metadata.generation to 1 on create
	// and bumps it on every spec change (controllers report
	// status.observedGeneration).
	Generation bool
	New        func() Object
	idx        int // its place in registration order: the store's tables are a slice by it
}

// GroupResource is the kind's group and resource, as API errors name it.
func (k *KindInfo) GroupResource() schema.GroupResource {
	return schema.GroupResource{Group: k.GroupVersion.Group, Resource: k.Resource}
}

// GVK is the kind's group, version and kind.
func (k *KindInfo) GVK() schema.GroupVersionKind { return k.GroupVersion.WithKind(k.Kind) }

// HasSubresource reports whether the API serves the subresource (status,
// scale, ...) of this kind.
func (k *KindInfo) HasSubresource(sub string) bool { return slices.Contains(k.Subresources, sub) }

// Names are every spelling of the resource type kubectl accepts, besides
// the kind itself: singular, plural and short names.
func (k *KindInfo) Names() []string {
	return append([]string{k.Singular, k.Resource}, k.ShortNames...)
}

// ShortName is the first short name, or the singular name when the kind
// has none ("deploy", "job").
func (k *KindInfo) ShortName() string {
	if len(k.ShortNames) > 0 {
		return k.ShortNames[0]
	}
	return k.Singular
}

var (
	kindsByName = map[string]*KindInfo{}
	kindsByType = map[reflect.Type]*KindInfo{}
	kindOrder   []string
)

var (
	all            = []string{"all"}
	statusOnly     = []string{"status"}
	statusAndScale = []string{"status", "scale"}
	karpenter      = []string{"karpenter"}
)

// kindTable is every kind the simulator knows, in the order the store
// creates its tables (an order the garbage collector, the namespace
// controller and etcd's restore walk, so traces depend on it: append new
// kinds at the end). Short names, categories and subresources are
// upstream kube-apiserver's.
var kindTable = []KindInfo{
	{GroupVersion: corev1.SchemeGroupVersion, Resource: "namespaces", ShortNames: []string{"ns"}, Subresources: statusOnly,
		New: func() Object { return &corev1.Namespace{} }},
	{GroupVersion: corev1.SchemeGroupVersion, Resource: "nodes", ShortNames: []string{"no"}, Subresources: statusOnly,
		New: func() Object { return &corev1.Node{} }},
	{GroupVersion: corev1.SchemeGroupVersion, Resource: "pods", ShortNames: []string{"po"}, Categories: all, Namespaced: true,
		Subresources: []string{"status", "binding", "eviction", "log", "exec", "portforward", "ephemeralcontainers", "attach"},
		New:          func() Object { return &corev1.Pod{} }},
	{GroupVersion: corev1.SchemeGroupVersion, Resource: "services", ShortNames: []string{"svc"}, Categories: all, Namespaced: true, Subresources: statusOnly,
		New: func() Object { return &corev1.Service{} }},
	{GroupVersion: corev1.SchemeGroupVersion, Resource: "configmaps", ShortNames: []string{"cm"}, Namespaced: true,
		New: func() Object { return &corev1.ConfigMap{} }},
	{GroupVersion: corev1.SchemeGroupVersion, Resource: "secrets", Namespaced: true,
		New: func() Object { return &corev1.Secret{} }},
	{GroupVersion: corev1.SchemeGroupVersion, Resource: "events", ShortNames: []string{"ev"}, Namespaced: true,
		New: func() Object { return &corev1.Event{} }},
	{GroupVersion: corev1.SchemeGroupVersion, Resource: "serviceaccounts", ShortNames: []string{"sa"}, Namespaced: true, Subresources: []string{"token"},
		New: func() Object { return &corev1.ServiceAccount{} }},
	{GroupVersion: appsv1.SchemeGroupVersion, Resource: "deployments", Generation: true, ShortNames: []string{"deploy"}, Categories: all, Namespaced: true, Subresources: statusAndScale,
		New: func() Object { return &appsv1.Deployment{} }},
	{GroupVersion: appsv1.SchemeGroupVersion, Resource: "replicasets", Generation: true, ShortNames: []string{"rs"}, Categories: all, Namespaced: true, Subresources: statusAndScale,
		New: func() Object { return &appsv1.ReplicaSet{} }},
	{GroupVersion: appsv1.SchemeGroupVersion, Resource: "daemonsets", Generation: true, ShortNames: []string{"ds"}, Categories: all, Namespaced: true, Subresources: statusOnly,
		New: func() Object { return &appsv1.DaemonSet{} }},
	{GroupVersion: appsv1.SchemeGroupVersion, Resource: "statefulsets", Generation: true, ShortNames: []string{"sts"}, Categories: all, Namespaced: true, Subresources: statusAndScale,
		New: func() Object { return &appsv1.StatefulSet{} }},
	{GroupVersion: appsv1.SchemeGroupVersion, Resource: "controllerrevisions", Namespaced: true,
		New: func() Object { return &appsv1.ControllerRevision{} }},
	{GroupVersion: discoveryv1.SchemeGroupVersion, Resource: "endpointslices", Namespaced: true,
		New: func() Object { return &discoveryv1.EndpointSlice{} }},
	{GroupVersion: policyv1.SchemeGroupVersion, Resource: "poddisruptionbudgets", Generation: true, ShortNames: []string{"pdb"}, Namespaced: true, Subresources: statusOnly,
		New: func() Object { return &policyv1.PodDisruptionBudget{} }},
	{GroupVersion: coordinationv1.SchemeGroupVersion, Resource: "leases", Namespaced: true,
		New: func() Object { return &coordinationv1.Lease{} }},
	{GroupVersion: batchv1.SchemeGroupVersion, Resource: "jobs", Generation: true, Categories: all, Namespaced: true, Subresources: statusOnly,
		New: func() Object { return &batchv1.Job{} }},
	{GroupVersion: batchv1.SchemeGroupVersion, Resource: "cronjobs", Generation: true, ShortNames: []string{"cj"}, Categories: all, Namespaced: true, Subresources: statusOnly,
		New: func() Object { return &batchv1.CronJob{} }},
	{GroupVersion: autoscalingv2.SchemeGroupVersion, Resource: "horizontalpodautoscalers", Generation: true, ShortNames: []string{"hpa"}, Categories: all, Namespaced: true, Subresources: statusOnly,
		New: func() Object { return &autoscalingv2.HorizontalPodAutoscaler{} }},
	// Karpenter's custom resources, as its CRDs define them.
	{GroupVersion: karpv1.SchemeGroupVersion, Resource: "nodepools", Generation: true, Categories: karpenter, Subresources: statusOnly,
		New: func() Object { return &karpv1.NodePool{} }},
	{GroupVersion: karpv1.SchemeGroupVersion, Resource: "nodeclaims", Generation: true, Categories: karpenter, Subresources: statusOnly,
		New: func() Object { return &karpv1.NodeClaim{} }},
	{GroupVersion: karpv1.AWSSchemeGroupVersion, Resource: "ec2nodeclasses", Generation: true, ShortNames: []string{"ec2nc", "ec2ncs"}, Categories: karpenter, Subresources: statusOnly,
		New: func() Object { return &karpv1.EC2NodeClass{} }},
	{GroupVersion: storagev1.SchemeGroupVersion, Resource: "storageclasses", ShortNames: []string{"sc"},
		New: func() Object { return &storagev1.StorageClass{} }},
	{GroupVersion: corev1.SchemeGroupVersion, Resource: "persistentvolumes", ShortNames: []string{"pv"}, Subresources: statusOnly,
		New: func() Object { return &corev1.PersistentVolume{} }},
	{GroupVersion: corev1.SchemeGroupVersion, Resource: "persistentvolumeclaims", ShortNames: []string{"pvc"}, Namespaced: true, Subresources: statusOnly,
		New: func() Object { return &corev1.PersistentVolumeClaim{} }},
	{GroupVersion: schedulingv1.SchemeGroupVersion, Resource: "priorityclasses", ShortNames: []string{"pc"},
		New: func() Object { return &schedulingv1.PriorityClass{} }},
	{GroupVersion: corev1.SchemeGroupVersion, Resource: "resourcequotas", ShortNames: []string{"quota"}, Namespaced: true, Subresources: statusOnly,
		New: func() Object { return &corev1.ResourceQuota{} }},
	{GroupVersion: corev1.SchemeGroupVersion, Resource: "limitranges", ShortNames: []string{"limits"}, Namespaced: true,
		New: func() Object { return &corev1.LimitRange{} }},
	{GroupVersion: corev1.SchemeGroupVersion, Resource: "endpoints", Singular: "endpoints", ShortNames: []string{"ep"}, Namespaced: true,
		New: func() Object { return &corev1.Endpoints{} }},
	{GroupVersion: networkingv1.SchemeGroupVersion, Resource: "ingressclasses",
		New: func() Object { return &networkingv1.IngressClass{} }},
	{GroupVersion: networkingv1.SchemeGroupVersion, Resource: "ingresses", Generation: true, ShortNames: []string{"ing"}, Namespaced: true, Subresources: statusOnly,
		New: func() Object { return &networkingv1.Ingress{} }},
	{GroupVersion: networkingv1.SchemeGroupVersion, Resource: "networkpolicies", Generation: true, ShortNames: []string{"netpol"}, Namespaced: true,
		New: func() Object { return &networkingv1.NetworkPolicy{} }},
	{GroupVersion: rbacv1.SchemeGroupVersion, Resource: "clusterroles",
		New: func() Object { return &rbacv1.ClusterRole{} }},
	{GroupVersion: rbacv1.SchemeGroupVersion, Resource: "clusterrolebindings",
		New: func() Object { return &rbacv1.ClusterRoleBinding{} }},
	{GroupVersion: rbacv1.SchemeGroupVersion, Resource: "roles", Namespaced: true,
		New: func() Object { return &rbacv1.Role{} }},
	{GroupVersion: rbacv1.SchemeGroupVersion, Resource: "rolebindings", Namespaced: true,
		New: func() Object { return &rbacv1.RoleBinding{} }},
	{GroupVersion: certificatesv1.SchemeGroupVersion, Resource: "certificatesigningrequests", ShortNames: []string{"csr"},
		Subresources: []string{"status", "approval"},
		New:          func() Object { return &certificatesv1.CertificateSigningRequest{} }},
	{GroupVersion: corev1.SchemeGroupVersion, Resource: "replicationcontrollers", Generation: true, ShortNames: []string{"rc"}, Categories: all, Namespaced: true, Subresources: statusAndScale,
		New: func() Object { return &corev1.ReplicationController{} }},
}

func init() {
	for i := range kindTable {
		register(&kindTable[i])
	}
	podKind, eventKind = kindsByName["Pod"], kindsByName["Event"]
	leaseKind, nodeKind = kindsByName["Lease"], kindsByName["Node"]
}

// The kinds KindOf finds without a map lookup.
var podKind, eventKind, leaseKind, nodeKind *KindInfo

// register adds a kind, filling in the kind and singular names from its
// Go type.
func register(info *KindInfo) {
	t := reflect.TypeOf(info.New())
	info.Kind = t.Elem().Name()
	if info.Singular == "" {
		info.Singular = strings.ToLower(info.Kind)
	}
	if _, dup := kindsByName[info.Kind]; dup {
		panic("store: kind " + info.Kind + " registered twice")
	}
	info.idx = len(kindOrder)
	kindsByName[info.Kind] = info
	kindsByType[t] = info
	kindOrder = append(kindOrder, info.Kind)
	indexResourceNames(info)
}

// Kinds lists the registered kinds in registration order.
func Kinds() []string { return append([]string(nil), kindOrder...) }

// LookupKind returns the kind called name ("Pod", "Deployment", ...).
func LookupKind(name string) (*KindInfo, bool) {
	k, ok := kindsByName[name]
	return k, ok
}

// KindOf returns the kind of a registered object type.
//
// The kinds written most (pods, their Events, node leases and nodes) are
// found by a type switch, without hashing the type into kindsByType: an
// API write asks three times (the server, the store, the trace).
func KindOf(obj runtime.Object) (*KindInfo, error) {
	switch obj.(type) {
	case *corev1.Pod:
		return podKind, nil
	case *corev1.Event:
		return eventKind, nil
	case *coordinationv1.Lease:
		return leaseKind, nil
	case *corev1.Node:
		return nodeKind, nil
	}
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

// CompareKeys orders two objects as their keys (KeyOf) do, without
// building the keys in the common case: within a namespace the keys share
// their prefix, so the names decide; across namespaces the keys are
// compared whole ("a-b/x" sorts before "a/x").
func CompareKeys(a, b metav1.Object) int {
	if a.GetNamespace() == b.GetNamespace() {
		return strings.Compare(a.GetName(), b.GetName())
	}
	return strings.Compare(KeyOf(a), KeyOf(b))
}

// resourceNames maps every spelling of a resource type kubectl accepts —
// kind, singular, plural and short name, each also qualified by group
// ("deployments.apps") and by version and group ("deployments.v1.apps") —
// lower-cased, to the kind.
var resourceNames = map[string]*KindInfo{}

func indexResourceNames(info *KindInfo) {
	for _, n := range append([]string{strings.ToLower(info.Kind)}, info.Names()...) {
		resourceNames[n] = info
		if g := info.GroupVersion.Group; g != "" {
			resourceNames[n+"."+g] = info
			resourceNames[n+"."+info.GroupVersion.Version+"."+g] = info
		}
	}
}

// LookupResource resolves a user-typed resource type as kubectl does,
// case-insensitively: "pods", "po", "Pod", "deployments.apps", "job".
func LookupResource(typ string) (*KindInfo, bool) {
	k, ok := resourceNames[strings.ToLower(typ)]
	return k, ok
}

// ResourceNames lists the unqualified spellings LookupResource accepts
// (for did-you-mean hints), sorted.
func ResourceNames() []string {
	var out []string
	for _, k := range kindOrder {
		out = append(out, kindsByName[k].Names()...)
	}
	slices.Sort(out)
	return slices.Compact(out)
}
