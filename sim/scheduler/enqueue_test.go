package scheduler

import (
	"slices"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/kubesim/kubesim/sim"
	"github.com/kubesim/kubesim/sim/scheduler/cache"
	"github.com/kubesim/kubesim/sim/scheduler/framework"
	"github.com/kubesim/kubesim/sim/store"
)

// The default plugins register for the events that may resolve their
// rejections: which rejected pods a cluster event moves back to the
// active queue.
func TestDefaultPluginsEnqueueEvents(t *testing.T) {
	f := NewFilterFramework(cache.New(), store.New(sim.NewEngine(1)))
	for ev, want := range map[framework.ClusterEvent][]string{
		framework.AssignedPodAdd:        {"InterPodAffinity", "PodTopologySpread"},
		framework.AssignedPodDelete:     {"InterPodAffinity", "NodePorts", "NodeResourcesFit", "NodeVolumeLimits", "PodTopologySpread", "VolumeRestrictions"},
		framework.NodeSchedulable:       {"NodeUnschedulable"},
		framework.NodeTaintChange:       {"TaintToleration"},
		framework.NodeLabelChange:       {"InterPodAffinity", "NodeAffinity", "PodTopologySpread"},
		framework.NodeAllocatableChange: {"NodeResourcesFit"},
		framework.StorageChange:         {"NodeVolumeLimits", "VolumeBinding", "VolumeRestrictions", "VolumeZone"},
	} {
		require.Equal(t, want, slices.Sorted(slices.Values(f.PluginsFor(ev))), "event %d", ev)
	}
}
