package endpointslice

import (
	"maps"
	"slices"
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/kubesim/kubesim/sim/apiserver"
	"github.com/kubesim/kubesim/sim/controllers/controllerutil"
	"github.com/kubesim/kubesim/sim/podutil"
	"github.com/kubesim/kubesim/sim/store"
)

// group is the endpoints sharing one port list: they go into the same
// slices.
type group struct {
	ports     []discoveryv1.EndpointPort
	endpoints map[string]discoveryv1.Endpoint // by pod name
	order     []string                        // pod names, sorted
}

func (c *Controller) sync(key string) error {
	svc, ok := controllerutil.Get[*corev1.Service](c.Store, "Service", key)
	if !ok {
		return nil // the garbage collector removes the slices
	}
	if len(svc.Spec.Selector) == 0 || svc.Spec.Type == corev1.ServiceTypeExternalName {
		return nil
	}
	desired := c.desired(svc)
	existing := map[string][]*discoveryv1.EndpointSlice{}
	for _, so := range c.Store.ByIndex("EndpointSlice", store.LabelIndex, discoveryv1.LabelServiceName+"="+svc.Name) {
		s := so.(*discoveryv1.EndpointSlice)
		if s.Namespace != svc.Namespace || s.Labels[discoveryv1.LabelManagedBy] != ManagedBy || s.AddressType != discoveryv1.AddressTypeIPv4 {
			continue
		}
		k := portsKey(s.Ports)
		existing[k] = append(existing[k], s)
	}
	return c.reconcile(svc, desired, existing)
}

// desired computes the endpoints of the service's pods, grouped by port
// list.
func (c *Controller) desired(svc *corev1.Service) map[string]*group {
	out := map[string]*group{}
	sel := labels.SelectorFromSet(svc.Spec.Selector)
	for _, po := range c.Store.Select("Pod", svc.Namespace, sel) {
		pod := po.(*corev1.Pod)
		addr := ipv4(pod)
		if podutil.IsTerminal(pod) || addr == "" {
			continue
		}
		ports := endpointPorts(svc, pod)
		k := portsKey(ports)
		g := out[k]
		if g == nil {
			g = &group{ports: ports, endpoints: map[string]discoveryv1.Endpoint{}}
			out[k] = g
		}
		g.endpoints[pod.Name] = c.podToEndpoint(pod, svc, addr)
		g.order = append(g.order, pod.Name) // Select returns pods sorted by key
	}
	return out
}

func ipv4(pod *corev1.Pod) string {
	for _, ip := range pod.Status.PodIPs {
		if ip.IP != "" && !strings.Contains(ip.IP, ":") {
			return ip.IP
		}
	}
	if ip := pod.Status.PodIP; ip != "" && !strings.Contains(ip, ":") {
		return ip
	}
	return ""
}

// podToEndpoint builds a pod's endpoint: serving is the pod's readiness,
// ready is serving and not terminating (unless the service publishes
// not-ready addresses).
func (c *Controller) podToEndpoint(pod *corev1.Pod, svc *corev1.Service, addr string) discoveryv1.Endpoint {
	serving := podutil.IsReady(pod)
	terminating := pod.DeletionTimestamp != nil
	ready := svc.Spec.PublishNotReadyAddresses || (serving && !terminating)
	ep := discoveryv1.Endpoint{
		Addresses:  []string{addr},
		Conditions: discoveryv1.EndpointConditions{Ready: &ready, Serving: &serving, Terminating: &terminating},
		TargetRef:  &corev1.ObjectReference{Kind: "Pod", Namespace: pod.Namespace, Name: pod.Name, UID: pod.UID},
	}
	if pod.Spec.NodeName != "" {
		n := pod.Spec.NodeName
		ep.NodeName = &n
		if no, ok := c.Store.Get("Node", "", n); ok {
			if z := no.GetLabels()[corev1.LabelTopologyZone]; z != "" {
				ep.Zone = &z
			}
		}
	}
	if pod.Spec.Hostname != "" && pod.Spec.Subdomain == svc.Name {
		h := pod.Spec.Hostname
		ep.Hostname = &h
	}
	return ep
}

// endpointPorts resolves the service's ports for one pod; a named
// targetPort the pod does not declare leaves that port out.
func endpointPorts(svc *corev1.Service, pod *corev1.Pod) []discoveryv1.EndpointPort {
	out := []discoveryv1.EndpointPort{}
	for i := range svc.Spec.Ports {
		sp := &svc.Spec.Ports[i]
		num, ok := findPort(pod, sp)
		if !ok {
			continue
		}
		name, proto := sp.Name, sp.Protocol
		out = append(out, discoveryv1.EndpointPort{Name: &name, Protocol: &proto, Port: &num, AppProtocol: sp.AppProtocol})
	}
	slices.SortStableFunc(out, func(a, b discoveryv1.EndpointPort) int { return strings.Compare(*a.Name, *b.Name) })
	return out
}

func findPort(pod *corev1.Pod, sp *corev1.ServicePort) (int32, bool) {
	if sp.TargetPort.Type == intstr.Int {
		return sp.TargetPort.IntVal, sp.TargetPort.IntVal > 0
	}
	for _, ct := range pod.Spec.Containers {
		for _, p := range ct.Ports {
			if p.Name == sp.TargetPort.StrVal && p.Protocol == sp.Protocol {
				return p.ContainerPort, true
			}
		}
	}
	return 0, false
}

// portsKey identifies a port list.
func portsKey(ports []discoveryv1.EndpointPort) string {
	var b strings.Builder
	for _, p := range ports {
		if p.Name != nil {
			b.WriteString(*p.Name)
		}
		b.WriteByte('/')
		if p.Protocol != nil {
			b.WriteString(string(*p.Protocol))
		}
		b.WriteByte('/')
		if p.Port != nil {
			b.WriteString(strconv.Itoa(int(*p.Port)))
		}
		b.WriteByte('/')
		if p.AppProtocol != nil {
			b.WriteString(*p.AppProtocol)
		}
		b.WriteByte(';')
	}
	return b.String()
}

// sliceLabels are the service's labels plus the controller's own.
func sliceLabels(svc *corev1.Service) map[string]string {
	l := make(map[string]string, len(svc.Labels)+3)
	maps.Copy(l, svc.Labels)
	l[discoveryv1.LabelServiceName] = svc.Name
	l[discoveryv1.LabelManagedBy] = ManagedBy
	if svc.Spec.ClusterIP == corev1.ClusterIPNone {
		l[corev1.IsHeadlessService] = ""
	}
	return l
}

func newSlice(svc *corev1.Service, ports []discoveryv1.EndpointPort) *discoveryv1.EndpointSlice {
	t := true
	return &discoveryv1.EndpointSlice{
		ObjectMeta: metav1.ObjectMeta{
			GenerateName: svc.Name + "-", Namespace: svc.Namespace, Labels: sliceLabels(svc),
			OwnerReferences: []metav1.OwnerReference{{APIVersion: "v1", Kind: "Service", Name: svc.Name,
				UID: svc.UID, Controller: &t, BlockOwnerDeletion: &t}},
		},
		AddressType: discoveryv1.AddressTypeIPv4,
		Ports:       ports,
	}
}

func ignoreNotFound(err error) error {
	if apierrors.IsNotFound(err) {
		return nil
	}
	return err
}

var apiDeleteOptions = apiserver.DeleteOptions{}
