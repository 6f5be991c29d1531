// Package cluster assembles a whole simulated EKS cluster — engine, store,
// API server, scheduler, controllers, nodes with their kubelets and the EKS
// add-ons — and gives the runner and the interactive frontends the
// operations a person performs on a cluster: break a node, bring it back,
// cut a zone off.
package cluster

import (
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kubesim/kubesim/sim"
	"github.com/kubesim/kubesim/sim/apiserver"
	"github.com/kubesim/kubesim/sim/autoscalers/clusterautoscaler"
	"github.com/kubesim/kubesim/sim/autoscalers/karpenter"
	"github.com/kubesim/kubesim/sim/cloud"
	"github.com/kubesim/kubesim/sim/cost"
	"github.com/kubesim/kubesim/sim/kubelet"
	"github.com/kubesim/kubesim/sim/metrics"
	"github.com/kubesim/kubesim/sim/pki"
	"github.com/kubesim/kubesim/sim/rbac"
	"github.com/kubesim/kubesim/sim/store"
)

// NodeGroup is a set of identical nodes (an EKS managed node group).
type NodeGroup struct {
	Name         string
	InstanceType string              // from the cloud catalogue, or
	Capacity     corev1.ResourceList // a custom capacity (allocatable = capacity)
	Count        int
	Min, Max     int    // autoscaling bounds (0, 0 = Count, Count)
	CapacityType string // ON_DEMAND (default) or SPOT
	Zones        []string
	Labels       map[string]string
	Taints       []corev1.Taint
	DiskGiB      int // root volume size (0: cloud.DefaultDiskGiB)
}

// Config describes the cluster to build.
type Config struct {
	Seed uint64
	// StartTime is virtual time zero (zero: sim.Epoch).
	StartTime  time.Time
	Zones      []string
	Addons     bool
	NodeGroups []NodeGroup
	// ScoringStrategy is the NodeResourcesFit strategy: "LeastAllocated"
	// (default) or "MostAllocated".
	ScoringStrategy string
	// EtcdMembers is the etcd cluster size (1, 3 or 5; default 3).
	EtcdMembers int
	// Region prices the instances (default us-east-1).
	Region string
	// ClusterAutoscaler, if set, runs Cluster Autoscaler over the node
	// groups (between their min and max) with these options.
	ClusterAutoscaler *clusterautoscaler.Options
	// Karpenter, if set, runs Karpenter (NodePools and EC2NodeClasses
	// come as objects) with these options.
	Karpenter *karpenter.Options
	// Loads are the workloads' traffic (the load model); MetricInterval
	// is metrics-server's scrape interval (0 = 15 s).
	Loads          []metrics.Load
	MetricInterval time.Duration
	// EagerMetrics makes metrics-server recompute every scrape (tests).
	EagerMetrics bool
	// SpotInterruptionRates are spot interruptions per instance-hour by
	// instance type ("*" for the rest); nil: none but injected ones.
	SpotInterruptionRates map[string]float64
	// FargateProfiles, if any, run the pods they select on Fargate.
	FargateProfiles []cloud.FargateProfile
	// Trace, if set, receives every trace line from the first one on.
	Trace io.Writer
	// TraceOffload, if set, makes and hashes the trace lines nothing else
	// reads off the simulation's goroutine (sim.Trace.Offload).
	TraceOffload sim.Offloader
}

// DefaultZones are the zones of a cluster that names none.
var DefaultZones = []string{"us-east-1a", "us-east-1b", "us-east-1c"}

// Node is one simulated machine.
type Node struct {
	Name, Group, Zone string
	Kubelet           *kubelet.Kubelet // nil until the instance booted
	Failed            bool
	Partitioned       bool
	Instance          *cloud.Instance // nil for custom-capacity groups
	NodePool          string          // the Karpenter NodePool that launched it ("" for node groups)
	spec              cloud.NodeSpec
}

// Cluster is a running simulated cluster.
type Cluster struct {
	Engine *sim.Engine
	Store  *store.Store
	API    *apiserver.Server
	Etcd   *Etcd

	EC2 *cloud.EC2
	CA  *clusterautoscaler.Autoscaler // nil unless configured
	// Karpenter is the Karpenter controller (nil unless configured).
	Karpenter *karpenter.Controller
	// Cost meters what the machines cost and charges the pods.
	Cost *cost.Meter
	// Metrics is metrics-server over the load model.
	Metrics *metrics.Server
	// PKI is the cluster CA: it signs approved client certificate
	// requests and authenticates client certificates.
	PKI *pki.CA

	cfg       Config
	nodes     []*Node
	byName    map[string]*Node
	nodeIndex int
	groupSeq  map[string]int // nodes ever created per group (names)
	starters  []interface{ Start() }
	sched     schedulerHandle
}

// New builds a cluster at virtual time zero: namespaces, control plane,
// nodes (registered and Ready), and the add-ons unless turned off. Call
// Start to begin running.
func New(cfg Config) (*Cluster, error) {
	if len(cfg.Zones) == 0 {
		cfg.Zones = DefaultZones
	}
	if cfg.EtcdMembers == 0 {
		cfg.EtcdMembers = 3
	}
	e := sim.NewEngine(cfg.Seed)
	if !cfg.StartTime.IsZero() {
		e.SetStart(cfg.StartTime)
	}
	if cfg.Trace != nil {
		e.Trace().SetWriter(cfg.Trace)
	}
	if cfg.TraceOffload != nil {
		e.Trace().Offload(cfg.TraceOffload)
	}
	st := store.New(e)
	c := &Cluster{Engine: e, Store: st, API: apiserver.New(e, st), cfg: cfg, byName: map[string]*Node{}, groupSeq: map[string]int{}}
	c.EC2 = cloud.NewEC2(e, cfg.Region)
	c.EC2.OnRunning = c.instanceRunning
	c.EC2.OnTerminated = c.instanceTerminated
	c.EC2.OnInterruption = c.instanceInterrupted
	c.EC2.SpotInterruptionRates = cfg.SpotInterruptionRates
	c.Cost = cost.New(e, st, c.EC2)
	c.Cost.Start()
	c.Metrics = metrics.New(e, st, metrics.Config{Interval: cfg.MetricInterval, Loads: cfg.Loads, Eager: cfg.EagerMetrics})
	c.Cost.UsedCPU = c.Metrics.UsedCPUMilli
	c.Etcd = newEtcd(c, cfg.EtcdMembers, cfg.Zones)
	c.API.WriteGate = c.Etcd.writeGate
	sys := c.API.Client("kube-apiserver")
	for _, ns := range []string{metav1.NamespaceDefault, metav1.NamespaceSystem, metav1.NamespacePublic, corev1.NamespaceNodeLease} {
		if _, err := sys.Create(&corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}); err != nil {
			return nil, err
		}
	}
	if _, err := sys.Create(kubernetesService()); err != nil {
		return nil, err
	}
	for _, pc := range apiserver.SystemPriorityClasses() {
		if _, err := sys.Create(pc); err != nil {
			return nil, err
		}
	}
	bootstrap := sys.WithUIDStream(SystemUIDs)
	for _, o := range rbac.BootstrapPolicy() {
		if _, err := bootstrap.Create(o); err != nil {
			return nil, fmt.Errorf("cluster: bootstrap policy %s: %w", o.GetName(), err)
		}
	}
	ca, err := pki.New(e)
	if err != nil {
		return nil, err
	}
	c.PKI = ca
	if err := c.startControlPlane(); err != nil {
		return nil, err
	}
	if len(cfg.FargateProfiles) > 0 {
		c.startFargate()
	}
	for _, g := range cfg.NodeGroups {
		for i := 0; i < g.Count; i++ {
			if _, err := c.AddNode(g, true); err != nil {
				return nil, err
			}
		}
	}
	c.startAutoscalers()
	if cfg.Addons {
		addons := c.API.Client("eks")
		for _, o := range Addons() {
			if _, err := addons.Create(o); err != nil {
				return nil, fmt.Errorf("cluster: add-on %s: %w", o.GetName(), err)
			}
		}
	}
	return c, nil
}

func kubernetesService() *corev1.Service {
	return &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Namespace: metav1.NamespaceDefault, Name: "kubernetes",
			Labels: map[string]string{"component": "apiserver", "provider": "kubernetes"}},
		Spec: corev1.ServiceSpec{Ports: []corev1.ServicePort{{Name: "https", Port: 443, Protocol: corev1.ProtocolTCP}}},
	}
}

// Config is the configuration the cluster was built with.
func (c *Cluster) Config() Config { return c.cfg }

// SystemUIDs is the UID stream of the objects every cluster has (bootstrap
// RBAC policy, per-namespace ServiceAccount and CA bundle).
const SystemUIDs = "apiserver/uid/system"

// Client returns an API client attributed to component.
func (c *Cluster) Client(component string) *apiserver.Client { return c.API.Client(component) }

// AddNode adds one more node of group g (named <group>-<n>) that is
// already running: ready says whether it is already Ready (nodes present
// at t=0) or still starting.
func (c *Cluster) AddNode(g NodeGroup, ready bool) (*Node, error) {
	node, err := c.newNode(g, "")
	if err != nil {
		return nil, err
	}
	if g.InstanceType != "" {
		node.Instance = c.EC2.Adopt(cloud.LaunchRequest{Name: node.Name, Type: g.InstanceType, Zone: node.Zone,
			CapacityType: g.CapacityType, Group: g.Name})
	}
	c.bootKubelet(node, ready)
	return node, nil
}

// newNode names and places the next machine of group g (zone "" = the
// group's zones round-robin) without starting anything.
func (c *Cluster) newNode(g NodeGroup, zone string) (*Node, error) {
	c.groupSeq[g.Name]++
	n := c.groupSeq[g.Name]
	zones := g.Zones
	if len(zones) == 0 {
		zones = c.cfg.Zones
	}
	if zone == "" {
		zone = zones[(n-1)%len(zones)]
	}
	spec := cloud.NodeSpec{
		Name: g.Name + "-" + strconv.Itoa(n), Group: g.Name, Zone: zone, CapacityType: g.CapacityType,
		InstanceType: g.InstanceType, Labels: g.Labels, Taints: g.Taints, Index: c.nodeIndex,
	}
	c.nodeIndex++
	if g.InstanceType != "" {
		it, ok := cloud.Lookup(g.InstanceType)
		if !ok {
			return nil, fmt.Errorf("cluster: unknown instance type %q", g.InstanceType)
		}
		spec.Capacity, spec.Allocatable = it.Capacity(), it.Allocatable()
		cloud.SetDisk(spec.Capacity, spec.Allocatable, int64(g.DiskGiB))
	} else {
		spec.Capacity, spec.Allocatable = g.Capacity.DeepCopy(), g.Capacity.DeepCopy()
	}
	node := &Node{Name: spec.Name, Group: g.Name, Zone: spec.Zone, spec: spec}
	c.nodes = append(c.nodes, node)
	c.byName[node.Name] = node
	return node, nil
}

func (c *Cluster) bootKubelet(node *Node, ready bool) {
	node.Kubelet = kubelet.New(c.Engine, c.API.Client("kubelet/"+node.Name), node.spec, kubelet.Config{})
	node.Kubelet.Start(ready)
}

// LaunchNode asks EC2 for one more machine of group g in zone ("" = the
// group's next zone): the instance is pending, runs, boots, and its
// kubelet registers the Node and turns Ready, as on EKS. An autoscaler
// calls this; nothing here creates the Node object. On an EC2 error
// (insufficient capacity) no machine is added.
func (c *Cluster) LaunchNode(g NodeGroup, zone string) (*Node, error) {
	if g.InstanceType == "" {
		return nil, fmt.Errorf("cluster: node group %q has no instance type to launch", g.Name)
	}
	node, err := c.newNode(g, zone)
	if err != nil {
		return nil, err
	}
	in, err := c.EC2.Launch(cloud.LaunchRequest{Name: node.Name, Type: g.InstanceType, Zone: node.Zone,
		CapacityType: g.CapacityType, Group: g.Name})
	if err != nil {
		c.forget(node)
		return nil, err
	}
	node.Instance = in
	return node, nil
}

// TerminateNode terminates the machine behind node name: the machine
// stops at once and the cloud node lifecycle controller deletes the Node
// object once EC2 reports the instance gone.
func (c *Cluster) TerminateNode(name string) error {
	n, err := c.node(name)
	if err != nil {
		return err
	}
	if n.Instance == nil {
		return fmt.Errorf("node %q has no EC2 instance to terminate", name)
	}
	return c.EC2.Terminate(name)
}

func (c *Cluster) instanceRunning(in *cloud.Instance) {
	if n := c.byName[in.Name]; n != nil && n.Kubelet == nil {
		c.bootKubelet(n, false)
	}
}

// CloudNodeMonitorPeriod is how often the cloud controller manager's node
// lifecycle controller asks EC2 about nodes (--node-monitor-period 5s): a
// terminated instance's Node is deleted at the next check.
const CloudNodeMonitorPeriod = 5 * time.Second

func (c *Cluster) instanceTerminated(in *cloud.Instance) {
	n := c.byName[in.Name]
	if n == nil {
		return
	}
	if n.Kubelet != nil && !n.Failed {
		n.Failed = true
		n.Kubelet.Fail()
	}
	next := (c.Engine.Elapsed()/CloudNodeMonitorPeriod + 1) * CloudNodeMonitorPeriod
	c.Engine.At(next, "cloud-node-lifecycle", func() {
		err := c.API.Client("cloud-node-lifecycle-controller").Delete("Node", "", in.Name, apiserver.DeleteOptions{})
		if err == nil || apierrors.IsNotFound(err) {
			c.forget(n)
		}
	})
}

// forget drops a machine that no longer exists.
func (c *Cluster) forget(n *Node) {
	if c.byName[n.Name] != n {
		return
	}
	delete(c.byName, n.Name)
	if n.Kubelet != nil {
		n.Kubelet.Release()
	}
	c.nodes = slices.DeleteFunc(c.nodes, func(x *Node) bool { return x == n })
}

// Nodes lists the cluster's machines in creation order.
func (c *Cluster) Nodes() []*Node { return c.nodes }

// Node returns the machine called name.
func (c *Cluster) Node(name string) (*Node, bool) {
	n, ok := c.byName[name]
	return n, ok
}

// NodeNames lists the machine names (for error hints).
func (c *Cluster) NodeNames() []string {
	out := make([]string, len(c.nodes))
	for i, n := range c.nodes {
		out[i] = n.Name
	}
	return out
}

func (c *Cluster) node(name string) (*Node, error) {
	n, ok := c.byName[name]
	if !ok {
		return nil, fmt.Errorf("no node %q (nodes: %s)", name, strings.Join(c.NodeNames(), ", "))
	}
	return n, nil
}

// FillDisk puts fill (a quantity, or "95%": as much as brings the
// disk to that use; "0" removes them) of host files on the node's root
// volume (the disk action).
func (c *Cluster) FillDisk(name, fill string) error {
	n, err := c.node(name)
	if err != nil {
		return err
	}
	if n.Kubelet == nil {
		return fmt.Errorf("node %q is still booting", name)
	}
	v, percent, ok := ParseDiskFill(fill)
	if !ok {
		return fmt.Errorf("invalid disk fill %q", fill)
	}
	if !n.Kubelet.FillDisk(v, percent) {
		return fmt.Errorf("node %q has no disk model (no ephemeral-storage capacity)", name)
	}
	c.traceFault("disk", name, "host files "+fill)
	return nil
}

// ParseDiskFill reads a disk fill: bytes, or (percent true) a share of
// the disk in hundredths of a percent.
func ParseDiskFill(s string) (n int64, percent, ok bool) {
	if p, found := strings.CutSuffix(s, "%"); found {
		f, err := strconv.ParseFloat(p, 64)
		if err != nil || !(f >= 0 && f <= 100) {
			return 0, true, false
		}
		return int64(math.Round(f * 100)), true, true
	}
	q, err := resource.ParseQuantity(s)
	if err != nil || q.Sign() < 0 {
		return 0, false, false
	}
	return q.Value(), false, true
}

// FailNode crashes a machine: its kubelet stops, its containers are gone.
func (c *Cluster) FailNode(name string) error {
	n, err := c.node(name)
	if err != nil {
		return err
	}
	if n.Failed {
		return fmt.Errorf("node %q has already failed", name)
	}
	if n.Kubelet == nil {
		return fmt.Errorf("node %q is still booting", name)
	}
	n.Failed = true
	n.Kubelet.Fail()
	c.traceFault("fail", name, "machine down")
	return nil
}

// RecoverNode boots a failed machine again.
func (c *Cluster) RecoverNode(name string) error {
	n, err := c.node(name)
	if err != nil {
		return err
	}
	if !n.Failed {
		return fmt.Errorf("node %q has not failed", name)
	}
	if n.Instance != nil && n.Instance.State != cloud.Running {
		return fmt.Errorf("node %q: its instance is %s", name, n.Instance.State)
	}
	n.Failed = false
	n.Kubelet.Recover()
	c.traceFault("recover", name, "machine up")
	return nil
}

// PartitionZone cuts every node of zone off the control plane for d
// (0 = until HealZone).
func (c *Cluster) PartitionZone(zone string, d time.Duration) error {
	if !slices.Contains(c.cfg.Zones, zone) {
		return fmt.Errorf("no zone %q (zones: %s)", zone, strings.Join(c.cfg.Zones, ", "))
	}
	for _, n := range c.nodes {
		if n.Zone == zone && !n.Partitioned && n.Kubelet != nil {
			n.Partitioned = true
			n.Kubelet.Partition(true)
		}
	}
	c.traceFault("partition", zone, "zone cut off from the control plane")
	if d > 0 {
		c.Engine.After(d, "heal-zone", func() { c.HealZone(zone) })
	}
	return nil
}

// HealZone reconnects a partitioned zone.
func (c *Cluster) HealZone(zone string) {
	for _, n := range c.nodes {
		if n.Zone == zone && n.Partitioned {
			n.Partitioned = false
			n.Kubelet.Partition(false)
		}
	}
	c.traceFault("heal", zone, "zone reconnected")
}

// traceFault records an injected fault: the cause of what follows.
func (c *Cluster) traceFault(verb, target, summary string) {
	kind := "Node"
	if verb == "partition" || verb == "heal" {
		kind = "Zone"
	}
	c.Engine.Trace().Add(sim.Record{T: c.Engine.Elapsed(), Component: "chaos", Verb: verb, Kind: kind, Name: target, RV: c.Store.Rev(), Summary: summary})
}

// ContainerExit ends a running container's process with code (the
// `exit` action: an attached shell's input ended).
func (c *Cluster) ContainerExit(namespace, pod, container string, code int32) error {
	o, ok := c.Store.Get("Pod", namespace, pod)
	if !ok {
		return fmt.Errorf("no pod %s/%s", namespace, pod)
	}
	n, err := c.node(o.(*corev1.Pod).Spec.NodeName)
	if err != nil {
		return err
	}
	if n.Kubelet == nil {
		return fmt.Errorf("node %s has no kubelet", n.Name)
	}
	return n.Kubelet.ContainerExit(o.GetUID(), container, code)
}
