// Package clusterautoscaler models the Kubernetes Cluster Autoscaler on
// EKS managed node groups: every scan interval it looks for pods the
// scheduler could not place, simulates them on each node group's template
// node with the scheduler's own filter plugins, asks the cloud for more
// machines for the group the expander picks, and removes nodes that have
// been under the utilisation threshold, with pods that can move elsewhere,
// for scale-down-unneeded-time. It reports what it does through the
// upstream events and the cluster-autoscaler-status ConfigMap.
//
// It asks the cloud (the CloudProvider) for machines and never creates
// Node objects: the kubelets of the new machines register them.
package clusterautoscaler

import (
	"cmp"
	"fmt"
	"strings"
	"time"

	"k8s.io/utils/ptr"
)

// Options are Cluster Autoscaler's flags, under their upstream names
// (camelCase in the scenario file); zero fields take upstream's defaults.
type Options struct {
	// ScanInterval is --scan-interval (10s).
	ScanInterval time.Duration
	// Expander is --expander: random, most-pods, least-waste, price,
	// priority, or a comma-separated chain ("priority,least-waste").
	// Default least-waste, the value EKS's documentation and the AWS helm
	// values use (the binary's own default is random).
	Expander string
	// ScaleDownEnabled is --scale-down-enabled (true; nil = default).
	ScaleDownEnabled *bool
	// ScaleDownDelayAfterAdd is --scale-down-delay-after-add (10m).
	ScaleDownDelayAfterAdd time.Duration
	// ScaleDownDelayAfterDelete is --scale-down-delay-after-delete
	// (default: the scan interval).
	ScaleDownDelayAfterDelete time.Duration
	// ScaleDownDelayAfterFailure is --scale-down-delay-after-failure (3m).
	ScaleDownDelayAfterFailure time.Duration
	// ScaleDownUnneededTime is --scale-down-unneeded-time (10m).
	ScaleDownUnneededTime time.Duration
	// ScaleDownUtilizationThreshold is
	// --scale-down-utilization-threshold (0.5): a node whose requested cpu
	// and memory are both below this share of allocatable is a candidate.
	ScaleDownUtilizationThreshold float64
	// MaxNodeProvisionTime is --max-node-provision-time (15m): a machine
	// not registered by then counts as a failed scale-up.
	MaxNodeProvisionTime time.Duration
	// BalanceSimilarNodeGroups is --balance-similar-node-groups (false).
	BalanceSimilarNodeGroups bool
	// SkipNodesWithSystemPods is --skip-nodes-with-system-pods (true).
	SkipNodesWithSystemPods *bool
	// SkipNodesWithLocalStorage is --skip-nodes-with-local-storage (true).
	SkipNodesWithLocalStorage *bool
	// IgnoreDaemonSetsUtilization is --ignore-daemonsets-utilization (false).
	IgnoreDaemonSetsUtilization bool
	// InitialNodeGroupBackoffDuration (5m) and MaxNodeGroupBackoffDuration
	// (30m): a group whose scale-up failed is skipped for the backoff,
	// which doubles on every further failure up to the maximum;
	// NodeGroupBackoffResetTimeout (3h) after the last failure it starts
	// again from the initial duration.
	InitialNodeGroupBackoffDuration time.Duration
	MaxNodeGroupBackoffDuration     time.Duration
	NodeGroupBackoffResetTimeout    time.Duration
	// MaxGracefulTerminationSec is --max-graceful-termination-sec (600).
	MaxGracefulTerminationSec int
	// MaxEmptyBulkDelete is --max-empty-bulk-delete (10): empty nodes
	// removed at once.
	MaxEmptyBulkDelete int
	// MaxDrainParallelism is --max-drain-parallelism (1): non-empty nodes
	// drained at once.
	MaxDrainParallelism int
	// ExpendablePodsPriorityCutoff is --expendable-pods-priority-cutoff
	// (-10): pods below it never trigger a scale-up.
	ExpendablePodsPriorityCutoff *int32
	// NewPodScaleUpDelay is --new-pod-scale-up-delay (0s).
	NewPodScaleUpDelay time.Duration
	// UnremovableNodeRecheckTimeout is --unremovable-node-recheck-timeout
	// (5m): a node whose removal simulation failed (a pod that cannot
	// move, or no place for it) is not simulated again before then.
	UnremovableNodeRecheckTimeout time.Duration
}

// Expander names.
const (
	ExpanderRandom     = "random"
	ExpanderMostPods   = "most-pods"
	ExpanderLeastWaste = "least-waste"
	ExpanderPrice      = "price"
	ExpanderPriority   = "priority"
)

// Expanders lists the expander names.
var Expanders = []string{ExpanderRandom, ExpanderMostPods, ExpanderLeastWaste, ExpanderPrice, ExpanderPriority}

// Fields lists the option names as a scenario file spells them.
var Fields = []string{"scanInterval", "expander", "scaleDownEnabled", "scaleDownDelayAfterAdd",
	"scaleDownDelayAfterDelete", "scaleDownDelayAfterFailure", "scaleDownUnneededTime",
	"scaleDownUtilizationThreshold", "maxNodeProvisionTime", "balanceSimilarNodeGroups",
	"skipNodesWithSystemPods", "skipNodesWithLocalStorage", "ignoreDaemonsetsUtilization",
	"initialNodeGroupBackoffDuration", "maxNodeGroupBackoffDuration", "nodeGroupBackoffResetTimeout",
	"maxGracefulTerminationSec", "maxEmptyBulkDelete", "maxDrainParallelism",
	"expendablePodsPriorityCutoff", "newPodScaleUpDelay", "unremovableNodeRecheckTimeout"}

// Defaults returns o with every unset field at upstream's default.
func (o Options) Defaults() Options {
	o.ScanInterval = cmp.Or(o.ScanInterval, 10*time.Second)
	o.Expander = cmp.Or(o.Expander, ExpanderLeastWaste)
	o.ScaleDownEnabled = cmp.Or(o.ScaleDownEnabled, ptr.To(true))
	o.ScaleDownDelayAfterAdd = cmp.Or(o.ScaleDownDelayAfterAdd, 10*time.Minute)
	o.ScaleDownDelayAfterDelete = cmp.Or(o.ScaleDownDelayAfterDelete, o.ScanInterval)
	o.ScaleDownDelayAfterFailure = cmp.Or(o.ScaleDownDelayAfterFailure, 3*time.Minute)
	o.ScaleDownUnneededTime = cmp.Or(o.ScaleDownUnneededTime, 10*time.Minute)
	o.ScaleDownUtilizationThreshold = cmp.Or(o.ScaleDownUtilizationThreshold, 0.5)
	o.MaxNodeProvisionTime = cmp.Or(o.MaxNodeProvisionTime, 15*time.Minute)
	o.SkipNodesWithSystemPods = cmp.Or(o.SkipNodesWithSystemPods, ptr.To(true))
	o.SkipNodesWithLocalStorage = cmp.Or(o.SkipNodesWithLocalStorage, ptr.To(true))
	o.InitialNodeGroupBackoffDuration = cmp.Or(o.InitialNodeGroupBackoffDuration, 5*time.Minute)
	o.MaxNodeGroupBackoffDuration = cmp.Or(o.MaxNodeGroupBackoffDuration, 30*time.Minute)
	o.NodeGroupBackoffResetTimeout = cmp.Or(o.NodeGroupBackoffResetTimeout, 3*time.Hour)
	o.UnremovableNodeRecheckTimeout = cmp.Or(o.UnremovableNodeRecheckTimeout, 5*time.Minute)
	o.MaxGracefulTerminationSec = cmp.Or(o.MaxGracefulTerminationSec, 600)
	o.MaxEmptyBulkDelete = cmp.Or(o.MaxEmptyBulkDelete, 10)
	o.MaxDrainParallelism = cmp.Or(o.MaxDrainParallelism, 1)
	o.ExpendablePodsPriorityCutoff = cmp.Or(o.ExpendablePodsPriorityCutoff, ptr.To[int32](-10))
	return o
}

// Validate reports an unusable option (after Defaults).
func (o Options) Validate() error {
	for _, e := range strings.Split(o.Expander, ",") {
		if !validExpander(strings.TrimSpace(e)) {
			return fmt.Errorf("unknown expander %q (expanders: %s)", e, strings.Join(Expanders, ", "))
		}
	}
	if o.ScaleDownUtilizationThreshold < 0 || o.ScaleDownUtilizationThreshold > 1 {
		return fmt.Errorf("scaleDownUtilizationThreshold must be between 0 and 1, got %v", o.ScaleDownUtilizationThreshold)
	}
	if o.MaxNodeGroupBackoffDuration < o.InitialNodeGroupBackoffDuration {
		return fmt.Errorf("maxNodeGroupBackoffDuration %v is shorter than initialNodeGroupBackoffDuration %v", o.MaxNodeGroupBackoffDuration, o.InitialNodeGroupBackoffDuration)
	}
	return nil
}

func validExpander(name string) bool {
	for _, e := range Expanders {
		if e == name {
			return true
		}
	}
	return false
}
