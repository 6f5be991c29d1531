package kubeapi

import (
	"net/http"
	"strings"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	apiresource "k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime/schema"
	metricsv1beta1 "k8s.io/metrics/pkg/apis/metrics/v1beta1"

	"github.com/kubesim/kubesim/sim/cluster"
	"github.com/kubesim/kubesim/sim/metrics"
)

// The resource metrics API, metrics.k8s.io/v1beta1, served from the
// cluster's metrics-server model as an aggregated API would be: NodeMetrics
// and PodMetrics, get and list only (what `kubectl top` and the HPA use).
var metricsGV = schema.GroupVersion{Group: metricsv1beta1.GroupName, Version: "v1beta1"}

func metricsGroup() metav1.APIGroup {
	v := metav1.GroupVersionForDiscovery{GroupVersion: metricsGV.String(), Version: metricsGV.Version}
	return metav1.APIGroup{TypeMeta: metav1.TypeMeta{Kind: "APIGroup", APIVersion: "v1"}, Name: metricsGV.Group,
		Versions: []metav1.GroupVersionForDiscovery{v}, PreferredVersion: v}
}

func metricsResources() metav1.APIResourceList {
	verbs := []string{"get", "list"}
	return metav1.APIResourceList{TypeMeta: metav1.TypeMeta{Kind: "APIResourceList", APIVersion: "v1"}, GroupVersion: metricsGV.String(),
		APIResources: []metav1.APIResource{
			{Name: "nodes", SingularName: "", Namespaced: false, Kind: "NodeMetrics", Verbs: verbs},
			{Name: "pods", SingularName: "", Namespaced: true, Kind: "PodMetrics", Verbs: verbs},
		}}
}

// serveMetrics answers /apis/metrics.k8s.io/v1beta1/... (rest is the path
// after the version).
func (s *Server) serveMetrics(w http.ResponseWriter, r *http.Request, rest []string) {
	if len(rest) == 0 {
		writeJSON(w, http.StatusOK, metricsResources())
		return
	}
	if r.Method != http.MethodGet {
		writeError(w, apierrors.NewMethodNotSupported(schema.GroupResource{Group: metricsGV.Group, Resource: rest[0]}, strings.ToLower(r.Method)))
		return
	}
	if r.URL.Query().Get("watch") == "true" || r.URL.Query().Get("watch") == "1" {
		writeError(w, apierrors.NewMethodNotSupported(schema.GroupResource{Group: metricsGV.Group, Resource: rest[0]}, "watch"))
		return
	}
	var ns, name string
	if rest[0] == "namespaces" && len(rest) >= 3 {
		ns, rest = rest[1], rest[2:]
	}
	if len(rest) > 2 || (rest[0] != "nodes" && rest[0] != "pods") || (rest[0] == "nodes" && ns != "") {
		writeError(w, pathNotFound())
		return
	}
	if len(rest) == 2 {
		name = rest[1]
	}
	sel, err := labels.Parse(r.URL.Query().Get("labelSelector"))
	if err != nil {
		writeError(w, badRequest("unable to parse requirement: %v", err))
		return
	}
	var out any
	s.with(func(c *cluster.Cluster) {
		if rest[0] == "nodes" {
			out, err = nodeMetrics(c, name, sel)
		} else {
			out, err = podMetrics(c, ns, name, sel)
		}
	})
	if err != nil {
		writeError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, out)
}

func cpuQuantity(milli int64) apiresource.Quantity {
	return *apiresource.NewScaledQuantity(milli*1_000_000, apiresource.Nano) // metrics-server reports nanocores
}

func memQuantity(bytes int64) apiresource.Quantity {
	return *apiresource.NewQuantity(bytes, apiresource.BinarySI)
}

func nodeMetrics(c *cluster.Cluster, name string, sel labels.Selector) (any, error) {
	list := metricsv1beta1.NodeMetricsList{TypeMeta: metav1.TypeMeta{Kind: "NodeMetricsList", APIVersion: metricsGV.String()},
		Items: []metricsv1beta1.NodeMetrics{}}
	now := metav1.NewTime(c.Engine.Now())
	for _, o := range c.Store.List("Node", "") {
		n := o.(*corev1.Node)
		if (name != "" && n.Name != name) || !sel.Matches(labels.Set(n.Labels)) {
			continue
		}
		smp, ok := c.Metrics.Node(n.Name)
		if !ok {
			continue
		}
		list.Items = append(list.Items, metricsv1beta1.NodeMetrics{
			ObjectMeta: metav1.ObjectMeta{Name: n.Name, Labels: n.Labels, CreationTimestamp: now},
			Timestamp:  metav1.NewTime(smp.Timestamp), Window: metav1.Duration{Duration: smp.Window},
			Usage: corev1.ResourceList{corev1.ResourceCPU: cpuQuantity(smp.CPUMilli), corev1.ResourceMemory: memQuantity(smp.MemoryBytes)},
		})
	}
	if name == "" {
		return list, nil
	}
	if len(list.Items) == 0 {
		return nil, apierrors.NewNotFound(schema.GroupResource{Group: metricsGV.Group, Resource: "nodemetrics"}, name)
	}
	m := list.Items[0]
	m.TypeMeta = metav1.TypeMeta{Kind: "NodeMetrics", APIVersion: metricsGV.String()}
	return m, nil
}

func podMetrics(c *cluster.Cluster, ns, name string, sel labels.Selector) (any, error) {
	list := metricsv1beta1.PodMetricsList{TypeMeta: metav1.TypeMeta{Kind: "PodMetricsList", APIVersion: metricsGV.String()},
		Items: []metricsv1beta1.PodMetrics{}}
	now := metav1.NewTime(c.Engine.Now())
	for _, o := range c.Store.List("Pod", ns) {
		p := o.(*corev1.Pod)
		if (name != "" && p.Name != name) || !sel.Matches(labels.Set(p.Labels)) {
			continue
		}
		smp, ok := c.Metrics.Pod(p.Namespace, p.Name)
		if !ok {
			continue
		}
		list.Items = append(list.Items, podMetricsOf(p, smp, now))
	}
	if name == "" {
		return list, nil
	}
	if len(list.Items) == 0 {
		return nil, apierrors.NewNotFound(schema.GroupResource{Group: metricsGV.Group, Resource: "pods"}, ns+"/"+name)
	}
	m := list.Items[0]
	m.TypeMeta = metav1.TypeMeta{Kind: "PodMetrics", APIVersion: metricsGV.String()}
	return m, nil
}

func podMetricsOf(p *corev1.Pod, smp metrics.PodSample, now metav1.Time) metricsv1beta1.PodMetrics {
	m := metricsv1beta1.PodMetrics{
		ObjectMeta: metav1.ObjectMeta{Name: p.Name, Namespace: p.Namespace, Labels: p.Labels, CreationTimestamp: now},
		Timestamp:  metav1.NewTime(smp.Timestamp), Window: metav1.Duration{Duration: smp.Window},
	}
	for _, ct := range smp.Containers {
		m.Containers = append(m.Containers, metricsv1beta1.ContainerMetrics{Name: ct.Name,
			Usage: corev1.ResourceList{corev1.ResourceCPU: cpuQuantity(ct.CPUMilli), corev1.ResourceMemory: memQuantity(ct.MemoryBytes)}})
	}
	return m
}
