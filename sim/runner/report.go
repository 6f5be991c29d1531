package runner

import (
	"cmp"
	"slices"
	"strconv"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/utils/ptr"

	"github.com/kubesim/kubesim/sim/cluster"
	"github.com/kubesim/kubesim/sim/podutil"
)

// Report is the result of a run: the JSON contract of SCENARIO-FORMAT.md
// plus the play-by-play that the text report prints.
type Report struct {
	Scenario string `json:"scenario"`
	Seed     uint64 `json:"seed"`
	// AllPassed is whether every expectation held (the JSON `passed`).
	AllPassed bool `json:"passed"`
	// VirtualTimeSeconds is VirtualTime in seconds.
	VirtualTimeSeconds float64          `json:"virtualTimeSeconds"`
	VirtualTime        string           `json:"virtualTime"`
	TraceHash          string           `json:"traceHash"`
	Events             int64            `json:"events"`
	Nodes              []NodeReport     `json:"nodes"`
	Workloads          []WorkloadReport `json:"workloads"`
	Pods               map[string]int   `json:"pods"`
	// PodStatus counts the pods by kubectl's STATUS column (Running,
	// Completed, CrashLoopBackOff, Init:0/1, ...).
	PodStatus    map[string]int      `json:"podStatus"`
	Etcd         EtcdReport          `json:"etcd"`
	Expectations []ExpectationResult `json:"expectations"`
	// Cost is what the machines cost (EC2 prices of the region).
	Cost *CostReport `json:"cost,omitempty"`
	// Load is each load's traffic and CPU saturation.
	Load []LoadReport `json:"load,omitempty"`

	// Timeline is what happened, in order (text report only).
	Timeline []TimelineEntry `json:"-"`
	// Placement lists each node's pods (text report only).
	Placement map[string][]string `json:"-"`
}

// NodeReport is one node's final state.
type NodeReport struct {
	Name          string            `json:"name"`
	Group         string            `json:"group"`
	Zone          string            `json:"zone"`
	InstanceType  string            `json:"instanceType,omitempty"`
	Ready         bool              `json:"ready"`
	Unschedulable bool              `json:"unschedulable"`
	Allocatable   map[string]string `json:"allocatable"`
	Requested     map[string]string `json:"requested"`
	Pods          int               `json:"pods"`
}

// WorkloadReport is one workload's final state.
type WorkloadReport struct {
	Kind      string `json:"kind"`
	Namespace string `json:"namespace"`
	Name      string `json:"name"`
	Desired   int32  `json:"desired"`
	Ready     int32  `json:"ready"`
	Available int32  `json:"available"`
	Updated   int32  `json:"updated"`
}

// EtcdReport is the etcd cluster's final state.
type EtcdReport struct {
	Members      int                `json:"members"`
	Healthy      int                `json:"healthy"`
	Leader       string             `json:"leader"`
	Quorum       bool               `json:"quorum"`
	MemberStatus []EtcdMemberReport `json:"memberStatus"`
}

// EtcdMemberReport is one etcd member's final state (`etcdctl endpoint
// status`): AppliedIndex counts the batches (virtual instants) its FSM
// applied, Revision the store revision it reached, FSMHash the SHA-256 of
// its content; members in contact with the quorum show equal values.
type EtcdMemberReport struct {
	Name         string `json:"name"`
	State        string `json:"state"`
	AppliedIndex uint64 `json:"appliedIndex"`
	Revision     int64  `json:"revision"`
	FSMHash      string `json:"fsmHash,omitempty"`
}

// ExpectationResult is the verdict on one expectation.
type ExpectationResult struct {
	Index       int    `json:"index"`
	Description string `json:"description"`
	// Line is where the expectation starts in the scenario file.
	Line   int    `json:"line"`
	Passed bool   `json:"passed"`
	At     string `json:"at,omitempty"`
	// AtSeconds is At in seconds.
	AtSeconds *float64 `json:"atSeconds,omitempty"`
	// RecoverySeconds, for a `within:`/`after:` expectation that held, is
	// how long after its timeline entry the condition held for good.
	RecoverySeconds *float64 `json:"recoverySeconds,omitempty"`
	Message         string   `json:"message,omitempty"`
}

// TimelineEntry is one line of the play-by-play: an action of the
// scenario, its outcome, or a cluster event.
type TimelineEntry struct {
	T       time.Duration
	Type    string // Normal / Warning for events, Action for timeline actions
	Reason  string
	Object  string
	Message string
	Count   int32
}

// snapshot fills the final-state parts of the report.
func snapshot(c *cluster.Cluster, r *Report, placement bool) {
	st := c.Store
	r.Pods = map[string]int{"Pending": 0, "Running": 0, "Succeeded": 0, "Failed": 0, "Unknown": 0}
	r.PodStatus = map[string]int{}
	// Each node's requests, summed in the same pass over the pods
	// (NodeRequests of every node: the pods bound to it that still hold
	// resources; sums of integers, so the order does not matter).
	requests := map[string]podutil.Resources{}
	for _, o := range st.List("Pod", "") {
		p := o.(*corev1.Pod)
		r.PodStatus[podutil.Status(p)]++
		phase := cmp.Or(string(p.Status.Phase), "Pending")
		r.Pods[phase]++
		if p.Spec.NodeName != "" && !podutil.IsTerminal(p) {
			requests[p.Spec.NodeName] = requests[p.Spec.NodeName].Add(podutil.PodRequests(p))
		}
	}
	if placement {
		r.Placement = map[string][]string{}
	}
	for _, n := range c.Nodes() {
		o, ok := st.Get("Node", "", n.Name)
		if !ok {
			continue
		}
		node := o.(*corev1.Node)
		req := requests[n.Name]
		if placement {
			pods := st.ByIndex("Pod", "spec.nodeName", n.Name)
			names := make([]string, 0, len(pods))
			for _, p := range pods {
				if !podutil.IsTerminal(p.(*corev1.Pod)) {
					names = append(names, p.GetNamespace()+"/"+p.GetName())
				}
			}
			r.Placement[n.Name] = names
		}
		alloc := node.Status.Allocatable
		r.Nodes = append(r.Nodes, NodeReport{
			Name: n.Name, Group: n.Group, Zone: n.Zone, InstanceType: node.Labels[corev1.LabelInstanceTypeStable],
			Ready:         podutil.NodeReady(node) == corev1.ConditionTrue,
			Unschedulable: node.Spec.Unschedulable,
			Allocatable:   map[string]string{"cpu": qty(alloc.Cpu()), "memory": qty(alloc.Memory()), "pods": qty(alloc.Pods())},
			Requested: map[string]string{
				"cpu":    resource.NewMilliQuantity(req.MilliCPU, resource.DecimalSI).String(),
				"memory": resource.NewQuantity(req.Memory, resource.BinarySI).String(),
				"pods":   strconv.FormatInt(req.Pods, 10),
			},
			Pods: int(req.Pods),
		})
	}
	for _, o := range st.List("Deployment", "") {
		d := o.(*appsv1.Deployment)
		r.Workloads = append(r.Workloads, WorkloadReport{Kind: "Deployment", Namespace: d.Namespace, Name: d.Name,
			Desired: ptr.Deref(d.Spec.Replicas, 1), Ready: d.Status.ReadyReplicas, Available: d.Status.AvailableReplicas, Updated: d.Status.UpdatedReplicas})
	}
	for _, o := range st.List("DaemonSet", "") {
		d := o.(*appsv1.DaemonSet)
		r.Workloads = append(r.Workloads, WorkloadReport{Kind: "DaemonSet", Namespace: d.Namespace, Name: d.Name,
			Desired: d.Status.DesiredNumberScheduled, Ready: d.Status.NumberReady, Available: d.Status.NumberAvailable, Updated: d.Status.UpdatedNumberScheduled})
	}
	for _, o := range st.List("StatefulSet", "") {
		d := o.(*appsv1.StatefulSet)
		r.Workloads = append(r.Workloads, WorkloadReport{Kind: "StatefulSet", Namespace: d.Namespace, Name: d.Name,
			Desired: ptr.Deref(d.Spec.Replicas, 1), Ready: d.Status.ReadyReplicas, Available: d.Status.AvailableReplicas, Updated: d.Status.UpdatedReplicas})
	}
	slices.SortStableFunc(r.Workloads, func(a, b WorkloadReport) int {
		if a.Namespace != b.Namespace {
			return cmp.Compare(a.Namespace, b.Namespace)
		}
		return cmp.Compare(a.Kind+"/"+a.Name, b.Kind+"/"+b.Name)
	})
	r.Etcd = EtcdReport{Members: len(c.Etcd.Members()), Healthy: c.Etcd.HealthyCount(), Leader: c.Etcd.Leader(), Quorum: c.Etcd.Quorum()}
}

// etcdMembers adds each etcd member's status to the report, from the
// status started before the rest of it (cluster.Etcd.StartStatus). A
// raft failure is reported by Finish through Etcd.Err.
func etcdMembers(r *Report, status func() ([]cluster.EtcdMemberStatus, error)) {
	members, _ := status()
	for _, m := range members {
		r.Etcd.MemberStatus = append(r.Etcd.MemberStatus, EtcdMemberReport{Name: m.Name, State: m.State,
			AppliedIndex: m.AppliedIndex, Revision: m.Revision, FSMHash: m.FSMHash})
	}
}

func qty(q *resource.Quantity) string { return q.String() }

// NodeRequests sums the requests of the pods bound to a node that still
// hold resources (everything but Succeeded/Failed pods).
func NodeRequests(c *cluster.Cluster, node string) podutil.Resources {
	var sum podutil.Resources
	for _, o := range c.Store.ByIndex("Pod", "spec.nodeName", node) {
		p := o.(*corev1.Pod)
		if !podutil.IsTerminal(p) {
			sum = sum.Add(podutil.PodRequests(p))
		}
	}
	return sum
}
