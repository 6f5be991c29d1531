package apiserver

import (
	"fmt"
	"net/netip"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"k8s.io/utils/ptr"

	"github.com/kubesim/kubesim/sim/store"
)

// The service allocators of kube-apiserver, with EKS's settings: cluster
// IPs come from the service CIDR 10.100.0.0/16 (EKS's default when the
// VPC is in 10.0.0.0/8), node ports from --service-node-port-range
// 30000-32767. What is allocated is read from the stored Services, so a
// deleted Service frees its IP and ports and an etcd restore brings back
// exactly the allocations it restored.
var (
	// ServiceCIDR is the cluster's service IP range.
	ServiceCIDR = netip.MustParsePrefix("10.100.0.0/16")
	// NodePortMin and NodePortMax bound --service-node-port-range.
	NodePortMin, NodePortMax int32 = 30000, 32767
)

// needsNodePorts reports whether the service's ports get node ports: a
// NodePort service, or a LoadBalancer one unless
// spec.allocateLoadBalancerNodePorts is false.
func needsNodePorts(svc *corev1.Service) bool {
	switch svc.Spec.Type {
	case corev1.ServiceTypeNodePort:
		return true
	case corev1.ServiceTypeLoadBalancer:
		return svc.Spec.AllocateLoadBalancerNodePorts == nil || *svc.Spec.AllocateLoadBalancerNodePorts
	}
	return false
}

func hasClusterIP(svc *corev1.Service) bool {
	return svc.Spec.Type != corev1.ServiceTypeExternalName && svc.Spec.ClusterIP != corev1.ClusterIPNone
}

// serviceAllocations lists the cluster IPs and node ports every stored
// Service holds, except the one called namespace/name.
func (s *Server) serviceAllocations(namespace, name string) (ips map[string]string, ports map[string]string) {
	ips, ports = map[string]string{}, map[string]string{}
	for _, o := range s.store.List("Service", "") {
		svc := o.(*corev1.Service)
		if svc.Namespace == namespace && svc.Name == name {
			continue
		}
		key := store.KeyOf(svc)
		for _, ip := range svc.Spec.ClusterIPs {
			ips[ip] = key
		}
		if svc.Spec.ClusterIP != "" {
			ips[svc.Spec.ClusterIP] = key
		}
		for _, p := range svc.Spec.Ports {
			if p.NodePort != 0 {
				ports[nodePortKey(p.NodePort, p.Protocol)] = key
			}
		}
	}
	return ips, ports
}

func nodePortKey(port int32, proto corev1.Protocol) string {
	if proto == "" {
		proto = corev1.ProtocolTCP
	}
	return fmt.Sprintf("%d/%s", port, proto)
}

// allocateService gives a Service its cluster IP and node ports, as
// kube-apiserver's service REST storage does on create (old nil) and
// update: a requested IP or port must be in range and free ("provided
// port is already allocated"), missing ones are allocated, an update
// keeps what the service already holds, and a type change away from
// NodePort/LoadBalancer releases the node ports.
func (s *Server) allocateService(svc, old *corev1.Service) error {
	ips, ports := s.serviceAllocations(svc.Namespace, svc.Name)
	var errs field.ErrorList
	spec := field.NewPath("spec")

	if old != nil {
		if svc.Spec.ClusterIP == "" && hasClusterIP(old) && hasClusterIP(svc) {
			svc.Spec.ClusterIP = old.Spec.ClusterIP
		}
		if old.Spec.ClusterIP != "" && svc.Spec.ClusterIP != old.Spec.ClusterIP && hasClusterIP(old) && hasClusterIP(svc) {
			errs = append(errs, field.Invalid(spec.Child("clusterIPs").Index(0), []string{svc.Spec.ClusterIP}, "may not change once set"))
		}
		// Ports the user did not give a node port keep the old one.
		if needsNodePorts(svc) {
			for i := range svc.Spec.Ports {
				p := &svc.Spec.Ports[i]
				if p.NodePort != 0 {
					continue
				}
				for _, op := range old.Spec.Ports {
					if op.NodePort != 0 && op.Port == p.Port && op.Protocol == p.Protocol {
						p.NodePort = op.NodePort
					}
				}
			}
		} else {
			// Changing the type drops node ports carried over unchanged
			// (what kubectl patch leaves in place).
			for i := range svc.Spec.Ports {
				p := &svc.Spec.Ports[i]
				for _, op := range old.Spec.Ports {
					if p.NodePort != 0 && op.NodePort == p.NodePort {
						p.NodePort = 0
					}
				}
			}
		}
	}

	switch {
	case !hasClusterIP(svc):
		if svc.Spec.ClusterIP == corev1.ClusterIPNone {
			svc.Spec.ClusterIPs = []string{corev1.ClusterIPNone}
		}
	case svc.Spec.ClusterIP != "":
		ip, err := netip.ParseAddr(svc.Spec.ClusterIP)
		switch {
		case err != nil:
			errs = append(errs, field.Invalid(spec.Child("clusterIPs").Index(0), svc.Spec.ClusterIP, "must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)"))
		case old != nil && old.Spec.ClusterIP == svc.Spec.ClusterIP:
			// already ours
		case !ServiceCIDR.Contains(ip) || ip == ServiceCIDR.Addr():
			errs = append(errs, field.Invalid(spec.Child("clusterIPs"), []string{svc.Spec.ClusterIP},
				fmt.Sprintf("failed to allocate IP %s: the provided IP (%s) is not in the valid range. The range of valid IPs is %s", ip, ip, ServiceCIDR)))
		case ips[ip.String()] != "":
			errs = append(errs, field.Invalid(spec.Child("clusterIPs"), []string{svc.Spec.ClusterIP},
				fmt.Sprintf("failed to allocate IP %s: provided IP is already allocated", ip)))
		}
	}

	if needsNodePorts(svc) {
		mine := map[string]bool{}
		if old != nil {
			for _, op := range old.Spec.Ports {
				if op.NodePort != 0 {
					mine[nodePortKey(op.NodePort, op.Protocol)] = true
				}
			}
		}
		seen := map[string]bool{}
		for i, p := range svc.Spec.Ports {
			if p.NodePort == 0 {
				continue
			}
			k := nodePortKey(p.NodePort, p.Protocol)
			path := spec.Child("ports").Index(i).Child("nodePort")
			switch {
			case seen[k]:
				errs = append(errs, field.Duplicate(path, fmt.Sprint(p.NodePort)))
			case mine[k]:
			case p.NodePort < NodePortMin || p.NodePort > NodePortMax:
				errs = append(errs, field.Invalid(path, p.NodePort,
					fmt.Sprintf("provided port is not in the valid range. The range of valid ports is %d-%d", NodePortMin, NodePortMax)))
			case ports[k] != "":
				errs = append(errs, field.Invalid(path, p.NodePort, "provided port is already allocated"))
			}
			seen[k] = true
		}
	} else {
		for i, p := range svc.Spec.Ports {
			if p.NodePort != 0 {
				errs = append(errs, field.Forbidden(spec.Child("ports").Index(i).Child("nodePort"),
					fmt.Sprintf("may not be used when `type` is '%s'", svc.Spec.Type)))
			}
		}
	}
	if len(errs) > 0 {
		return apierrors.NewInvalid(corev1.SchemeGroupVersion.WithKind("Service").GroupKind(), svc.Name, errs)
	}

	if hasClusterIP(svc) {
		if svc.Spec.ClusterIP == "" {
			ip, err := s.nextClusterIP(svc, ips)
			if err != nil {
				return err
			}
			svc.Spec.ClusterIP = ip
		}
		svc.Spec.ClusterIPs = []string{svc.Spec.ClusterIP}
	}
	if needsNodePorts(svc) {
		r := s.engine.Rand("apiserver/nodeports")
		size := int(NodePortMax - NodePortMin + 1)
		for i := range svc.Spec.Ports {
			p := &svc.Spec.Ports[i]
			if p.NodePort != 0 {
				ports[nodePortKey(p.NodePort, p.Protocol)] = store.KeyOf(svc)
				continue
			}
			// A random free port, as upstream's bitmap allocator picks
			// (from the seeded stream), scanning on from a taken one.
			start := r.IntN(size)
			for j := 0; j < size; j++ {
				n := NodePortMin + int32((start+j)%size)
				if k := nodePortKey(n, p.Protocol); ports[k] == "" {
					p.NodePort = n
					ports[k] = store.KeyOf(svc)
					break
				}
			}
			if p.NodePort == 0 {
				return apierrors.NewInternalError(fmt.Errorf("failed to allocate a nodePort: range is full"))
			}
		}
	}
	return nil
}

// nextClusterIP picks a free cluster IP: 10.100.0.1 for the kubernetes
// Service and 10.100.0.10 for kube-dns (EKS's fixed addresses), the next
// free address after those for the rest.
func (s *Server) nextClusterIP(svc *corev1.Service, ips map[string]string) (string, error) {
	base := ServiceCIDR.Addr().As4()
	at := func(n uint32) string {
		return netip.AddrFrom4([4]byte{base[0], base[1], byte(n >> 8), byte(n)}).String()
	}
	s.serviceIPs++ // the well-known services move the counter too
	switch {
	case svc.Namespace == metav1.NamespaceDefault && svc.Name == "kubernetes" && ips[at(1)] == "":
		return at(1), nil
	case svc.Namespace == metav1.NamespaceSystem && svc.Name == "kube-dns" && ips[at(10)] == "":
		return at(10), nil
	}
	size := uint32(1) << (32 - ServiceCIDR.Bits())
	for i := range size {
		if i > 0 {
			s.serviceIPs++
		}
		n := (s.serviceIPs+9)%(size-2) + 1 // never the network or broadcast address
		if ip := at(n); ips[ip] == "" && n != 1 && n != 10 {
			return ip, nil
		}
	}
	return "", apierrors.NewInternalError(fmt.Errorf("failed to allocate a serviceIP: range is full"))
}

// defaultServiceFamilies fills the IP family fields kube-apiserver sets
// on a single-stack IPv4 cluster, and the type-dependent defaults.
func defaultServiceFamilies(svc *corev1.Service) {
	if svc.Spec.Type != corev1.ServiceTypeExternalName {
		if len(svc.Spec.IPFamilies) == 0 {
			svc.Spec.IPFamilies = []corev1.IPFamily{corev1.IPv4Protocol}
		}
		if svc.Spec.IPFamilyPolicy == nil {
			p := corev1.IPFamilyPolicySingleStack
			svc.Spec.IPFamilyPolicy = &p
		}
	}
	if svc.Spec.Type == corev1.ServiceTypeNodePort || svc.Spec.Type == corev1.ServiceTypeLoadBalancer {
		if svc.Spec.ExternalTrafficPolicy == "" {
			svc.Spec.ExternalTrafficPolicy = corev1.ServiceExternalTrafficPolicyCluster
		}
	}
	if svc.Spec.Type == corev1.ServiceTypeLoadBalancer && svc.Spec.AllocateLoadBalancerNodePorts == nil {
		svc.Spec.AllocateLoadBalancerNodePorts = ptr.To(true)
	}
	if svc.Spec.Type != corev1.ServiceTypeLoadBalancer {
		svc.Spec.AllocateLoadBalancerNodePorts = nil
	}
}
