package podtopologyspread

import (
	"github.com/kubesim/kubesim/sim/scheduler/framework"
)

// PodTopologySpread is the plugin.
type PodTopologySpread struct {
	lister   framework.SharedLister
	defaults DefaultSelector
	// systemDefaulted: the default constraints are the system ones, so
	// nodes without a zone label still take part in hostname spreading.
	systemDefaulted bool

	counters []podCounter
	score    preScoreState
}

// New returns the plugin over the cache lister; defaults (may be nil)
// finds the selecting objects for the system default constraints.
func New(lister framework.SharedLister, defaults DefaultSelector) *PodTopologySpread {
	return &PodTopologySpread{lister: lister, defaults: defaults, systemDefaulted: true}
}

// WatchSelectors starts keeping the default selector finder's memo valid
// (StoreSelectors.Watch) when it has one; stop ends it. The scheduler
// calls it as it starts watching the cluster: a finder nobody watches
// for (an autoscaler's simulation) asks the store every time.
func (pl *PodTopologySpread) WatchSelectors() (stop func()) {
	if w, ok := pl.defaults.(interface{ Watch() func() }); ok {
		return w.Watch()
	}
	return func() {}
}

// Name implements framework.Plugin.
func (*PodTopologySpread) Name() string { return Name }

func (pl *PodTopologySpread) counter(i int) *podCounter {
	for len(pl.counters) <= i {
		pl.counters = append(pl.counters, podCounter{})
	}
	return &pl.counters[i]
}
