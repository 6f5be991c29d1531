package network_test

import (
	"testing"

	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/kubesim/kubesim/sim/network"
	"github.com/kubesim/kubesim/sim/store"
)

func ingressPath(p string, typ networkingv1.PathType, svc string, port int32) networkingv1.HTTPIngressPath {
	return networkingv1.HTTPIngressPath{Path: p, PathType: &typ, Backend: networkingv1.IngressBackend{
		Service: &networkingv1.IngressServiceBackend{Name: svc, Port: networkingv1.ServiceBackendPort{Number: port}}}}
}

func lbObjects() []store.Object {
	web, api := map[string]string{"app": "web"}, map[string]string{"app": "api"}
	alb := "alb"
	return []store.Object{
		nginxPods("web", 2, web, nil),
		nginxPods("api", 1, api, func(s *corev1.PodSpec) {
			s.Containers[0].Image = "hashicorp/http-echo"
			s.Containers[0].Args = []string{"-text=api", "-listen=:5678"}
		}),
		&corev1.Service{ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: "web"},
			Spec: corev1.ServiceSpec{Selector: web, Ports: []corev1.ServicePort{{Port: 80, TargetPort: intstr.FromInt32(80)}}}},
		&corev1.Service{ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: "api"},
			Spec: corev1.ServiceSpec{Selector: api, Ports: []corev1.ServicePort{{Name: "http", Port: 8080, TargetPort: intstr.FromInt32(5678)}}}},
		&corev1.Service{ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: "empty"},
			Spec: corev1.ServiceSpec{Selector: map[string]string{"app": "none"}, Ports: []corev1.ServicePort{{Port: 80}}}},
		&corev1.Service{ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: "web-lb"},
			Spec: corev1.ServiceSpec{Type: corev1.ServiceTypeLoadBalancer, Selector: web, Ports: []corev1.ServicePort{{Port: 8000, TargetPort: intstr.FromInt32(80)}}}},
		&networkingv1.Ingress{ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: "shop"},
			Spec: networkingv1.IngressSpec{IngressClassName: &alb, Rules: []networkingv1.IngressRule{
				{Host: "shop.example.com", IngressRuleValue: networkingv1.IngressRuleValue{HTTP: &networkingv1.HTTPIngressRuleValue{Paths: []networkingv1.HTTPIngressPath{
					ingressPath("/api", networkingv1.PathTypePrefix, "api", 8080),
					ingressPath("/down", networkingv1.PathTypeExact, "empty", 80),
					ingressPath("/img/*.png", networkingv1.PathTypeImplementationSpecific, "api", 8080),
					ingressPath("/", networkingv1.PathTypePrefix, "web", 80),
				}}}},
				{Host: "*.internal.example.com", IngressRuleValue: networkingv1.IngressRuleValue{HTTP: &networkingv1.HTTPIngressRuleValue{Paths: []networkingv1.HTTPIngressPath{
					ingressPath("/", networkingv1.PathTypePrefix, "api", 8080),
				}}}},
			}}},
	}
}

// A LoadBalancer Service's NLB and an Ingress's ALB: their published DNS
// names resolve (through CoreDNS to the VPC resolver) to one private
// address per zone; the NLB forwards its listener ports to the Service's
// endpoints, the ALB routes each request by host and path, and both
// honour NetworkPolicies on the way.
func TestLoadBalancerRouting(t *testing.T) {
	e := newEnv(t, lbObjects()...)
	st := e.c.Store
	lbs := network.LoadBalancers(st)
	require.Len(t, lbs, 2)
	var nlb, alb network.LoadBalancer
	for _, lb := range lbs {
		if lb.Service != nil {
			nlb = lb
		} else {
			alb = lb
		}
	}
	require.Regexp(t, `^k8s-default-weblb-[0-9a-f]{10}-[0-9a-f]{16}\.elb\.us-east-1\.amazonaws\.com$`, nlb.Hostname)
	require.Regexp(t, `^k8s-default-shop-[0-9a-f]{10}-\d{10}\.us-east-1\.elb\.amazonaws\.com$`, alb.Hostname)

	r := network.Resolve(st, e.client(), nlb.Hostname, nil)
	require.Zero(t, r.Err)
	require.Equal(t, nlb.Addrs, r.Addrs)
	require.NotEmpty(t, r.Addrs)
	require.Equal(t, "the NLB of Service default/web-lb", nlb.String())

	// NLB: its listener port reaches nginx; another port is dropped.
	_, c := network.Connect(st, e.client(), nlb.Hostname, 8000, corev1.ProtocolTCP, nil)
	require.Equal(t, network.Connected, c.Outcome, c.Reason)
	require.Equal(t, "nginx", c.Server.App)
	require.Equal(t, "web-lb", c.Service.Name)
	_, c = network.Connect(st, e.client(), nlb.Hostname, 80, corev1.ProtocolTCP, nil)
	require.Equal(t, network.TimedOut, c.Outcome)
	require.Contains(t, c.Reason, "the NLB of Service default/web-lb has no listener on port 80/TCP")

	// ALB: host and path rules.
	get := func(host, path string) network.Response {
		_, c := network.Connect(st, e.client(), alb.Hostname, 80, corev1.ProtocolTCP, nil)
		require.Equal(t, network.Connected, c.Outcome, c.Reason)
		return network.Fetch(st, c, path, host, nil)
	}
	require.Contains(t, get("shop.example.com", "/").Body, "Welcome to nginx!")
	require.Contains(t, get("SHOP.example.com:80", "/index.html").Body, "Welcome to nginx!")
	require.Equal(t, "api\n", get("shop.example.com", "/api/v1?x=1").Body)
	require.Equal(t, "nginx/1.27.5", get("shop.example.com", "/apiary").Server, "Prefix matches whole path elements")
	require.Equal(t, "api\n", get("shop.example.com", "/img/a/b.png").Body, "an ALB path pattern's * spans slashes")
	require.Equal(t, "api\n", get("a.internal.example.com", "/").Body)
	res := get("a.b.internal.example.com", "/")
	require.Equal(t, 404, res.Status, "a wildcard host matches one label only")
	require.Equal(t, "awselb/2.0", res.Server)
	res = get("shop.example.com", "/down")
	require.Equal(t, 503, res.Status)
	require.Equal(t, "Service Temporarily Unavailable", res.StatusText)
	require.Contains(t, res.Body, "<center><h1>503 Service Temporarily Unavailable</h1></center>")
	_, c = network.Connect(st, e.client(), alb.Hostname, 443, corev1.ProtocolTCP, nil)
	require.Equal(t, network.TimedOut, c.Outcome, "no certificate: no HTTPS listener")

	// A policy isolating the web pods to in-cluster clients cuts the
	// load balancers off (their traffic comes from their own addresses):
	// the NLB times out, the ALB answers 504.
	e.create(&networkingv1.NetworkPolicy{ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: "web"},
		Spec: networkingv1.NetworkPolicySpec{PodSelector: metav1.LabelSelector{MatchLabels: map[string]string{"app": "web"}},
			Ingress: []networkingv1.NetworkPolicyIngressRule{{From: []networkingv1.NetworkPolicyPeer{{PodSelector: &metav1.LabelSelector{}}}}}}})
	_, c = network.Connect(st, e.client(), nlb.Hostname, 8000, corev1.ProtocolTCP, nil)
	require.Equal(t, network.TimedOut, c.Outcome)
	require.Contains(t, c.Reason, "is isolated for ingress by NetworkPolicy default/web")
	require.Equal(t, 504, get("shop.example.com", "/").Status)
	require.Equal(t, "api\n", get("shop.example.com", "/api").Body)
	// Allowing the VPC's range lets both through again.
	e.create(&networkingv1.NetworkPolicy{ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: "web-from-vpc"},
		Spec: networkingv1.NetworkPolicySpec{PodSelector: metav1.LabelSelector{MatchLabels: map[string]string{"app": "web"}},
			Ingress: []networkingv1.NetworkPolicyIngressRule{{From: []networkingv1.NetworkPolicyPeer{{IPBlock: &networkingv1.IPBlock{CIDR: "192.168.0.0/16"}}}}}}})
	_, c = network.Connect(st, e.client(), nlb.Hostname, 8000, corev1.ProtocolTCP, nil)
	require.Equal(t, network.Connected, c.Outcome, c.Reason)
	require.Equal(t, 200, get("shop.example.com", "/").Status)
}
