// Package rendertest builds the views the terminal UI's tests and
// benchmarks draw: a small cluster in the middle of a story and big
// clusters of any size. It is imported by tests only.
package rendertest

import (
	"fmt"
	"strings"
	"time"

	"github.com/kubesim/kubesim/live"
	"github.com/kubesim/kubesim/sim/podutil"
)

const (
	mi  = int64(1) << 20
	gib = int64(1) << 30
)

// Res is a request of cpu millicores and MiB.
func Res(cpu, memMi int64) podutil.Resources {
	return podutil.Resources{MilliCPU: cpu, Memory: memMi * mi, Pods: 1}
}

// Pod builds a pod of one container, labelled app=<its workload's name>.
func Pod(ns, name, node, owner, state string, ready bool, r podutil.Resources) live.PodView {
	p := live.PodView{Namespace: ns, Name: name, Node: node, Owner: owner, State: state, Ready: ready, Requests: r, Containers: 1}
	if ready {
		p.ContainersReady = 1
	}
	if _, app, ok := strings.Cut(owner, "/"); ok {
		p.Labels = map[string]string{"app": app}
	}
	return p
}

// Node builds a node (m5.large-like allocatable) with its pods' requests summed.
func Node(name, zone, ready string, cordoned bool, pods ...live.PodView) live.NodeView {
	n := live.NodeView{Name: name, Zone: zone, Group: "general", InstanceType: "m5.large", Ready: ready,
		Unschedulable: cordoned, Allocatable: podutil.Resources{MilliCPU: 1930, Memory: 7 * gib, Pods: 29}}
	for _, p := range pods {
		n.Requested = n.Requested.Add(p.Requests)
		n.Pods = append(n.Pods, p)
	}
	return n
}

// FixtureView is a small cluster caught in the middle of a story: one
// node NotReady with Terminating pods, one cordoned, a pending pod the
// scheduler could not place, an etcd member down.
func FixtureView() *live.View {
	web := func(i int, node, state string, ready bool) live.PodView {
		return Pod("default", fmt.Sprintf("web-7d9c-%d", i), node, "Deployment/web", state, ready, Res(200, 128))
	}
	v := &live.View{Version: 42, Scenario: "fixture", Time: 6*time.Minute + 30*time.Second, Speed: 10, Until: 15 * time.Minute,
		Nodes: []live.NodeView{
			Node("general-1", "us-east-1a", "True", false,
				Pod("kube-system", "kube-proxy-a", "general-1", "DaemonSet/kube-proxy", "Running", true, Res(100, 0)),
				web(1, "general-1", "Running", true), web(2, "general-1", "Running", true), web(4, "general-1", "ContainerCreating", false),
				Pod("default", "api-1", "general-1", "Deployment/api", "CrashLoopBackOff", false, Res(300, 256))),
			Node("general-2", "us-east-1b", "Unknown", false,
				Pod("kube-system", "kube-proxy-b", "general-2", "DaemonSet/kube-proxy", "Running", false, Res(100, 0)),
				web(3, "general-2", "Terminating", false)),
			Node("general-3", "us-east-1c", "True", true,
				Pod("kube-system", "kube-proxy-c", "general-3", "DaemonSet/kube-proxy", "Running", true, Res(100, 0)),
				Pod("default", "redis-0", "general-3", "StatefulSet/redis", "Running", true, Res(200, 2048))),
		},
		Pending: []live.PodView{{Namespace: "default", Name: "big-1", Owner: "Deployment/big", State: "Pending", Requests: Res(4000, 512), Containers: 1, Labels: map[string]string{"app": "big"},
			Reason: "0/3 nodes are available: 1 node(s) had untolerated taint {node.kubernetes.io/unreachable: }, 1 node(s) were unschedulable, 1 Insufficient cpu.", Created: 6 * time.Minute}},
		Workloads: []live.WorkloadView{
			{Kind: "Deployment", Namespace: "default", Name: "api", Desired: 1, Ready: 0, Available: 0, UpToDate: 1},
			{Kind: "Deployment", Namespace: "default", Name: "big", Desired: 1, Ready: 0, Available: 0, UpToDate: 1},
			{Kind: "Deployment", Namespace: "default", Name: "web", Desired: 4, Ready: 2, Available: 2, UpToDate: 4},
			{Kind: "DaemonSet", Namespace: "kube-system", Name: "kube-proxy", Desired: 3, Ready: 2, Available: 2, UpToDate: 3},
			{Kind: "StatefulSet", Namespace: "default", Name: "redis", Desired: 1, Ready: 1, Available: 1, UpToDate: 1},
		},
		Events: []live.EventView{
			{Time: 3 * time.Minute, Type: "Action", Reason: "fail", Object: "node/general-2", Message: "node general-2 failed"},
			{Time: 3*time.Minute + 50*time.Second, Type: "Normal", Reason: "NodeNotReady", Object: "node/general-2", Message: "Node general-2 status is now: NodeNotReady"},
			{Time: 6 * time.Minute, Type: "Warning", Reason: "FailedScheduling", Object: "pod/big-1", Message: "0/3 nodes are available: 1 Insufficient cpu."},
			{Time: 6*time.Minute + 20*time.Second, Type: "Warning", Reason: "BackOff", Object: "pod/api-1", Message: "Back-off restarting failed container api in pod api-1_default"},
		},
		Etcd: live.EtcdView{Leader: "etcd-1", Quorum: true, Members: []live.EtcdMemberView{
			{Name: "etcd-1", Zone: "us-east-1a", State: "leader"}, {Name: "etcd-2", Zone: "us-east-1b", State: "down"}, {Name: "etcd-3", Zone: "us-east-1c", State: "follower"}}},
		Counts: live.Counts{Nodes: 3, NodesReady: 2, Pods: 10, Running: 6, Pending: 2, Machines: 3, CostPerHour: 0.288},
	}
	return v
}

// BigView is n nodes in three zones with podsPer pods each (their
// requests vary from node to node, so the heat-map has something to show), spread over
// 20 Deployments, and 500 events: the benchmark's cluster.
func BigView(n, podsPer int) *live.View {
	v := &live.View{Scenario: "big", Time: time.Hour, Speed: 30, Etcd: live.EtcdView{Leader: "etcd-1", Quorum: true,
		Members: []live.EtcdMemberView{{Name: "etcd-1", State: "leader"}, {Name: "etcd-2", State: "follower"}, {Name: "etcd-3", State: "follower"}}}}
	for w := 0; w < 20; w++ {
		v.Workloads = append(v.Workloads, live.WorkloadView{Kind: "Deployment", Namespace: "default", Name: fmt.Sprintf("app-%d", w), Desired: 150, Ready: 150})
	}
	zones := []string{"us-east-1a", "us-east-1b", "us-east-1c"}
	for i := 0; i < n; i++ {
		var pods []live.PodView
		for j := 0; j < podsPer; j++ {
			w := (i*podsPer + j) % 20
			pods = append(pods, Pod("default", fmt.Sprintf("app-%d-%d-%d", w, i, j), fmt.Sprintf("node-%d", i), fmt.Sprintf("Deployment/app-%d", w), "Running", j%7 != 0, Res(int64(60+(i%9)*12), 256)))
		}
		ready := "True"
		if i%50 == 7 {
			ready = "False"
		}
		v.Nodes = append(v.Nodes, Node(fmt.Sprintf("node-%d", i), zones[i%3], ready, i%40 == 3, pods...))
	}
	for i := 0; i < 500; i++ {
		v.Events = append(v.Events, live.EventView{Time: time.Duration(i) * time.Second, Type: "Normal", Reason: "Scheduled", Object: fmt.Sprintf("pod/app-%d", i), Message: "Successfully assigned"})
	}
	v.Counts = live.Counts{Nodes: n, NodesReady: n - n/50, Pods: n * podsPer, Running: n * podsPer, Machines: n, CostPerHour: float64(n) * 0.768}
	return v
}
