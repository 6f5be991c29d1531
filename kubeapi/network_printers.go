package kubeapi

import (
	"fmt"
	"net"
	"strconv"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kubesim/kubesim/sim/store"
)

// The networking kinds' columns, as kube-apiserver's table printers give
// them.
func init() {
	printers["Endpoints"] = &printer{cols("Name", "Endpoints", "Age"), func(o store.Object, now time.Time) []any {
		ep := o.(*corev1.Endpoints)
		return []any{ep.Name, formatEndpoints(ep), age(ep.CreationTimestamp, now)}
	}}
	printers["Ingress"] = &printer{cols("Name", "Class", "Hosts", "Address", "Ports", "Age"), func(o store.Object, now time.Time) []any {
		ing := o.(*networkingv1.Ingress)
		class := "<none>"
		if ing.Spec.IngressClassName != nil {
			class = *ing.Spec.IngressClassName
		}
		var hosts []string
		for _, r := range ing.Spec.Rules {
			if r.Host != "" {
				hosts = append(hosts, r.Host)
			}
		}
		h := "*"
		if len(hosts) > 0 {
			h = firstN(hosts)
		}
		var addrs []string
		for _, in := range ing.Status.LoadBalancer.Ingress {
			if in.IP != "" {
				addrs = append(addrs, in.IP)
			} else if in.Hostname != "" {
				addrs = append(addrs, in.Hostname)
			}
		}
		ports := "80"
		if len(ing.Spec.TLS) > 0 {
			ports = "80, 443"
		}
		return []any{ing.Name, class, h, strings.Join(addrs, ","), ports, age(ing.CreationTimestamp, now)}
	}}
	printers["IngressClass"] = &printer{cols("Name", "Controller", "Parameters", "Age"), func(o store.Object, now time.Time) []any {
		ic := o.(*networkingv1.IngressClass)
		params := "<none>"
		if p := ic.Spec.Parameters; p != nil {
			group := "core"
			if p.APIGroup != nil {
				group = *p.APIGroup
			}
			params = fmt.Sprintf("%s/%s", p.Kind, p.Name)
			if group != "" {
				params = fmt.Sprintf("%s.%s/%s", p.Kind, group, p.Name)
			}
		}
		return []any{ic.Name, ic.Spec.Controller, params, age(ic.CreationTimestamp, now)}
	}}
	printers["NetworkPolicy"] = &printer{cols("Name", "Pod-Selector", "Age"), func(o store.Object, now time.Time) []any {
		np := o.(*networkingv1.NetworkPolicy)
		return []any{np.Name, metav1.FormatLabelSelector(&np.Spec.PodSelector), age(np.CreationTimestamp, now)}
	}}
}

// formatEndpoints lists the ready ip:port pairs, three at most and how
// many more, as kubectl shows them; "<none>" when there are none.
func formatEndpoints(ep *corev1.Endpoints) string {
	var list []string
	for _, ss := range ep.Subsets {
		if len(ss.Ports) == 0 {
			for _, a := range ss.Addresses {
				list = append(list, a.IP)
			}
			continue
		}
		for _, p := range ss.Ports {
			for _, a := range ss.Addresses {
				list = append(list, net.JoinHostPort(a.IP, strconv.Itoa(int(p.Port))))
			}
		}
	}
	if len(list) == 0 {
		return "<none>"
	}
	return firstN(list)
}
