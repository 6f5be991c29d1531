package runner

import (
	"fmt"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/labels"

	"github.com/kubesim/kubesim/scenarios"
	"github.com/kubesim/kubesim/sim/cluster"
	"github.com/kubesim/kubesim/sim/network"
)

// reachable judges a reachable expectation with the network model: each
// running client pod resolves the host and connects, as a wget in it
// would.
func reachable(c *cluster.Cluster, r *scenarios.Reachable) (bool, string) {
	sel, err := labels.Parse(r.From)
	if err != nil {
		return false, err.Error()
	}
	n := 0
	for _, o := range c.Store.Select("Pod", r.Namespace, sel) {
		pod := o.(*corev1.Pod)
		if pod.Status.Phase != corev1.PodRunning || pod.DeletionTimestamp != nil {
			continue
		}
		n++
		res, conn := network.Connect(c.Store, pod, r.Host, r.Port, corev1.Protocol(r.Protocol), nil)
		var what string
		connected := false
		switch {
		case len(res.Addrs) == 0 && res.Err == network.TryAgain:
			what = fmt.Sprintf("pod %s/%s cannot resolve %s: no DNS server answers", pod.Namespace, pod.Name, r.Host)
		case len(res.Addrs) == 0:
			what = fmt.Sprintf("pod %s/%s: %s does not resolve (NXDOMAIN)", pod.Namespace, pod.Name, r.Host)
		case conn.Outcome == network.Connected:
			connected = true
			what = fmt.Sprintf("pod %s/%s connects to %s:%d (%s)", pod.Namespace, pod.Name, r.Host, r.Port, conn.Reason)
		default:
			what = fmt.Sprintf("pod %s/%s to %s:%d: %s (%s)", pod.Namespace, pod.Name, r.Host, r.Port, conn.Outcome, conn.Reason)
		}
		if connected == r.Blocked {
			return false, what
		}
	}
	if n == 0 {
		return false, fmt.Sprintf("no running pod matches %s in %s", r.From, r.Namespace)
	}
	if r.Blocked {
		return true, fmt.Sprintf("%d pods cannot connect to %s:%d", n, r.Host, r.Port)
	}
	return true, fmt.Sprintf("%d pods connect to %s:%d", n, r.Host, r.Port)
}
