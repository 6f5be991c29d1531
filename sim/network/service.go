package network

import (
	"cmp"
	"net/netip"
	"slices"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	"k8s.io/utils/ptr"
)

// Backend is one ready endpoint of a Service port: the pod (nil for a
// manual endpoint without a pod) and the address and port packets are
// translated to.
type Backend struct {
	Pod  *corev1.Pod
	IP   netip.Addr
	Port int32
}

// ServiceByIP finds the Service whose cluster IP is addr.
func ServiceByIP(st State, addr netip.Addr) *corev1.Service {
	for _, o := range st.List("Service", "") {
		svc := o.(*corev1.Service)
		for _, ip := range append([]string{svc.Spec.ClusterIP}, svc.Spec.ClusterIPs...) {
			if a, err := netip.ParseAddr(ip); err == nil && a == addr {
				return svc
			}
		}
	}
	return nil
}

// ServicePort finds the service's port for port/protocol (by the node
// port when nodePort is set).
func ServicePort(svc *corev1.Service, port int32, proto corev1.Protocol, nodePort bool) (corev1.ServicePort, bool) {
	for _, p := range svc.Spec.Ports {
		n := p.Port
		if nodePort {
			n = p.NodePort
		}
		if n == port && cmp.Or(p.Protocol, corev1.ProtocolTCP) == proto && n != 0 {
			return p, true
		}
	}
	return corev1.ServicePort{}, false
}

// Backends lists what kube-proxy load-balances a service port over: the
// ready endpoints of the Service's EndpointSlices (as the EndpointSlice
// controller last wrote them, so a pod that just turned ready is routed
// only once its slice says so), or of its Endpoints object for a Service
// without selector. A not-ready pod is never a backend.
func Backends(st State, svc *corev1.Service, sp corev1.ServicePort) []Backend {
	proto := cmp.Or(sp.Protocol, corev1.ProtocolTCP)
	var out []Backend
	seen := map[netip.Addr]bool{}
	add := func(ip string, port int32, ref *corev1.ObjectReference) {
		a, err := netip.ParseAddr(ip)
		if err != nil || seen[a] {
			return
		}
		seen[a] = true
		b := Backend{IP: a, Port: port}
		if ref != nil && ref.Kind == "Pod" {
			if o, ok := st.Get("Pod", ref.Namespace, ref.Name); ok {
				b.Pod = o.(*corev1.Pod)
			}
		}
		if b.Pod == nil {
			b.Pod = PodByIP(st, a)
		}
		out = append(out, b)
	}
	slicesFound := false
	for _, o := range st.List("EndpointSlice", svc.Namespace) {
		es := o.(*discoveryv1.EndpointSlice)
		if es.Labels[discoveryv1.LabelServiceName] != svc.Name || es.AddressType != discoveryv1.AddressTypeIPv4 {
			continue
		}
		slicesFound = true
		port, ok := slicePort(es.Ports, sp.Name, proto)
		if !ok {
			continue
		}
		for _, ep := range es.Endpoints {
			if ep.Conditions.Ready != nil && !*ep.Conditions.Ready {
				continue
			}
			for _, ip := range ep.Addresses {
				add(ip, port, ep.TargetRef)
			}
		}
	}
	if !slicesFound && len(svc.Spec.Selector) == 0 {
		if o, ok := st.Get("Endpoints", svc.Namespace, svc.Name); ok {
			for _, ss := range o.(*corev1.Endpoints).Subsets {
				port, ok := endpointsPort(ss.Ports, sp.Name, proto)
				if !ok {
					continue
				}
				for _, a := range ss.Addresses {
					add(a.IP, port, a.TargetRef)
				}
			}
		}
	}
	slices.SortStableFunc(out, func(a, b Backend) int { return a.IP.Compare(b.IP) })
	return out
}

func slicePort(ports []discoveryv1.EndpointPort, name string, proto corev1.Protocol) (int32, bool) {
	for _, p := range ports {
		if ptr.Deref(p.Name, "") == name && ptr.Deref(p.Protocol, corev1.ProtocolTCP) == proto && p.Port != nil {
			return *p.Port, true
		}
	}
	return 0, false
}

func endpointsPort(ports []corev1.EndpointPort, name string, proto corev1.Protocol) (int32, bool) {
	for _, p := range ports {
		if p.Name == name && cmp.Or(p.Protocol, corev1.ProtocolTCP) == proto {
			return p.Port, true
		}
	}
	return 0, false
}

// NodeByIP finds the node whose InternalIP (or ExternalIP) is addr.
func NodeByIP(st State, addr netip.Addr) *corev1.Node {
	for _, o := range st.List("Node", "") {
		n := o.(*corev1.Node)
		for _, a := range n.Status.Addresses {
			if a.Type != corev1.NodeInternalIP && a.Type != corev1.NodeExternalIP {
				continue
			}
			if ip, err := netip.ParseAddr(a.Address); err == nil && ip == addr {
				return n
			}
		}
	}
	return nil
}
