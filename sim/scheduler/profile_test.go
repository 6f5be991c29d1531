package scheduler

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/kubesim/kubesim/sim"
	"github.com/kubesim/kubesim/sim/scheduler/cache"
	"github.com/kubesim/kubesim/sim/scheduler/framework"
	"github.com/kubesim/kubesim/sim/scheduler/plugins/defaultpreemption"
	"github.com/kubesim/kubesim/sim/store"
)

// implements reports whether p is an I: the framework puts a plugin at an
// extension point by this type assertion.
func implements[I any](p framework.Plugin) bool { _, ok := p.(I); return ok }

// extensionPoints are the points a plugin may run at, in cycle order.
var extensionPoints = []struct {
	name string
	at   func(framework.Plugin) bool
}{
	{"PreFilter", implements[framework.PreFilterPlugin]},
	{"PreFilterResult", implements[framework.PreFilterResultPlugin]},
	{"AddPod/RemovePod", implements[framework.PreFilterExtensions]},
	{"Filter", implements[framework.FilterPlugin]},
	{"PostFilter", implements[framework.PostFilterPlugin]},
	{"PreScore", implements[framework.PreScorePlugin]},
	{"Score", implements[framework.ScorePlugin]},
	{"BatchScore", implements[framework.BatchScorer]},
	{"Events", implements[framework.EnqueueExtensions]},
}

// TestDefaultProfile pins the default profile: upstream's default plugins
// in upstream's order with their score weights
// (pkg/scheduler/apis/config/v1/default_plugins.go), and the extension
// points each runs at. The framework finds the points by type assertion,
// so a plugin method that drifts from its interface would silently drop
// the plugin from that point; this table is where each plugin's points are
// declared.
func TestDefaultProfile(t *testing.T) {
	type plugin struct {
		weight int64
		points []string
	}
	want := map[string]plugin{
		"NodeUnschedulable":               {0, []string{"Filter", "Events"}},
		"NodeName":                        {0, []string{"PreFilter", "Filter"}},
		"TaintToleration":                 {3, []string{"Filter", "PreScore", "Score", "BatchScore", "Events"}},
		"NodeAffinity":                    {2, []string{"PreFilter", "PreFilterResult", "Filter", "PreScore", "Score", "Events"}},
		"NodePorts":                       {0, []string{"PreFilter", "Filter", "Events"}},
		"NodeResourcesFit":                {1, []string{"PreFilter", "Filter", "PreScore", "Score", "BatchScore", "Events"}},
		"VolumeBinding":                   {0, []string{"PreFilter", "Filter", "Events"}},
		"PodTopologySpread":               {2, []string{"PreFilter", "AddPod/RemovePod", "Filter", "PreScore", "Score", "BatchScore", "Events"}},
		"InterPodAffinity":                {2, []string{"PreFilter", "AddPod/RemovePod", "Filter", "PreScore", "Score", "Events"}},
		"NodeResourcesBalancedAllocation": {1, []string{"PreScore", "Score", "BatchScore"}},
		"ImageLocality":                   {1, []string{"PreScore", "Score", "BatchScore"}},
		"DefaultPreemption":               {0, []string{"PostFilter"}},
	}
	specs := append(DefaultPlugins(cache.New(), store.New(sim.NewEngine(1)), ""),
		framework.PluginSpec{Plugin: &defaultpreemption.DefaultPreemption{}})
	var order []string
	got := map[string]plugin{}
	for _, s := range specs {
		p := plugin{weight: s.Weight}
		for _, e := range extensionPoints {
			if e.at(s.Plugin) {
				p.points = append(p.points, e.name)
			}
		}
		order = append(order, s.Plugin.Name())
		got[s.Plugin.Name()] = p
	}
	require.Equal(t, want, got)
	require.Equal(t, []string{"NodeUnschedulable", "NodeName", "TaintToleration", "NodeAffinity", "NodePorts",
		"NodeResourcesFit", "VolumeBinding", "PodTopologySpread", "InterPodAffinity",
		"NodeResourcesBalancedAllocation", "ImageLocality", "DefaultPreemption"}, order)
}
