// Package scenarios loads scenario files: a cluster, the workloads created
// at t=0, a timeline of actions and faults, and the expectations a run must
// meet (see SCENARIO-FORMAT.md). Loading is strict: every mistake is
// reported with file:line:column and, where possible, a hint, so a typo
// never turns silently into a different experiment. The package also
// embeds the library of ready-made scenarios.
package scenarios

import (
	"strconv"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/utils/ptr"

	"github.com/kubesim/kubesim/sim/action"
	"github.com/kubesim/kubesim/sim/autoscalers/clusterautoscaler"
	"github.com/kubesim/kubesim/sim/autoscalers/karpenter"
	"github.com/kubesim/kubesim/sim/cloud"
	"github.com/kubesim/kubesim/sim/metrics"
	"github.com/kubesim/kubesim/sim/store"
)

// Scenario is one loaded, validated scenario file.
type Scenario struct {
	Name        string
	Description string
	Seed        uint64 // default 1
	// StartTime is virtual time zero as a timestamp; zero means sim.Epoch.
	// A served session records the wall-clock time it began here.
	StartTime time.Time
	Duration  time.Duration // 0 when the file gives none
	Cluster   Cluster
	Workloads []Object       // created at t=0, in file order
	Loads     []metrics.Load // traffic per workload (the load model)
	Timeline  []Action       // sorted by At; file order among equal times
	Expect    []Expectation  // in file order
	Path      string         // the file it came from

	manifests map[string][]Object // `kubectl apply -f` files, read at load time
	src       *source             // where to read further manifests from
	raw       []byte              // the file as loaded
}

// Raw is the scenario file's text as it was loaded (a live session saves
// itself by adding its commands to it).
func (s *Scenario) Raw() []byte { return s.raw }

// WorkloadPods is the pods the t=0 workloads ask for: the replicas of its
// Deployments, ReplicaSets, StatefulSets and ReplicationControllers (1
// when unset) and one per bare Pod. DaemonSets' and Jobs' pods are not
// counted: how many there are depends on the nodes and on the jobs'
// progress.
func (s *Scenario) WorkloadPods() int {
	n := 0
	for _, w := range s.Workloads {
		switch o := w.Obj.(type) {
		case *appsv1.Deployment:
			n += int(ptr.Deref(o.Spec.Replicas, 1))
		case *appsv1.ReplicaSet:
			n += int(ptr.Deref(o.Spec.Replicas, 1))
		case *appsv1.StatefulSet:
			n += int(ptr.Deref(o.Spec.Replicas, 1))
		case *corev1.ReplicationController:
			n += int(ptr.Deref(o.Spec.Replicas, 1))
		case *corev1.Pod:
			n++
		}
	}
	return n
}

// Cluster is the simulated cluster's shape.
type Cluster struct {
	ControlPlane ControlPlane
	Zones        []string // default us-east-1a, us-east-1b, us-east-1c
	Addons       bool     // default true
	NodeGroups   []NodeGroup
	// Eksctl is the eksctl ClusterConfig the node groups were read from
	// (as written in the scenario), or "".
	Eksctl string
	// Region prices the machines (default us-east-1); without zones, the
	// cluster takes the region's three zones.
	Region string
	// ClusterAutoscaler is cluster.autoscaling.clusterAutoscaler: nil when
	// off, else its options (upstream's flags; zero = default).
	ClusterAutoscaler *clusterautoscaler.Options
	// Karpenter is cluster.autoscaling.karpenter: nil when Karpenter does
	// not run. NodePools and EC2NodeClasses come as workload manifests.
	Karpenter *karpenter.Options
	// SpotInterruptionRates is cluster.spotInterruptionRates:
	// interruptions per spot instance-hour by type ("*" for the rest).
	SpotInterruptionRates map[string]float64
	// Fargate is cluster.fargate.profiles: the pods they select run on
	// Fargate, one micro-VM each.
	Fargate []cloud.FargateProfile
}

// ControlPlane sizes the control plane (EKS: 2 API servers, 3 etcd members).
type ControlPlane struct {
	APIServers  int // default 2
	EtcdMembers int // default 3; 1, 3 or 5
}

// NodeGroup is a set of identical nodes.
type NodeGroup struct {
	Name         string
	InstanceType string              // from the EC2 catalogue, or ""
	Capacity     corev1.ResourceList // cpu, memory, pods when InstanceType is ""
	Count        int                 // nodes at start
	Min, Max     int                 // autoscaling bounds (default Count)
	CapacityType string              // ON_DEMAND (default) or SPOT
	Zones        []string            // as loaded: the group's zones, else the cluster's
	Labels       map[string]string
	Taints       []corev1.Taint
	// DiskGiB is the root volume's size (EKS's diskSize, eksctl's
	// volumeSize); 0: the default (cloud.DefaultDiskGiB).
	DiskGiB int `json:",omitempty"`
}

// Object is one Kubernetes object from a manifest, decoded strictly into
// its k8s.io/api type (not defaulted: the API server does that on create).
type Object struct {
	Obj    store.Object
	Pos    Pos    // where the object starts in Source
	Source string // the file that holds it

	// refFile and refPos locate the `file:` entry that brought the object
	// in (for errors about the reference rather than the object).
	refFile string
	refPos  Pos
}

// Action is one timeline entry: when, where in the file, and what (one of
// the actions of sim/action's registry).
type Action struct {
	At  time.Duration
	Pos Pos
	// Name is the entry's optional `name:`, which expectations refer to
	// (`within: 5m, after: NAME`).
	Name string
	Do   action.Action
}

// APIRequest is a recorded Kubernetes API write (the `api:` action).
type APIRequest = action.API

// NodeNames lists the nodes that exist at start, in creation order:
// <group>-1 … <group>-<count> for each group in turn.
func (s *Scenario) NodeNames() []string {
	var out []string
	for _, g := range s.Cluster.NodeGroups {
		for i := 1; i <= g.Count; i++ {
			out = append(out, g.NodeName(i))
		}
	}
	return out
}

// NodeName is the name of the group's i-th node (from 1).
func (g NodeGroup) NodeName(i int) string { return g.Name + "-" + strconv.Itoa(i) }

// ZoneOf is the zone of the group's i-th node (from 1): round-robin over
// the group's zones (the loader fills in the cluster's zones when the file
// names none for the group).
func (g NodeGroup) ZoneOf(i int) string {
	z := g.Zones
	if len(z) == 0 {
		z = DefaultZones
	}
	if i < 1 {
		i = 1
	}
	return z[(i-1)%len(z)]
}

// DefaultZones are the zones of a cluster that names none.
var DefaultZones = []string{"us-east-1a", "us-east-1b", "us-east-1c"}

// nsName prefixes name with its namespace unless that is "default".
func nsName(ns, name string) string {
	if ns == "" || ns == "default" {
		return name
	}
	return ns + "/" + name
}
