// Package controllerutil holds what kube-controller-manager's workload
// controllers share: controller references and adoption, creation and
// deletion expectations, slow-start batches, pods from templates, the
// template hash and the ranking of pods for scale-down. Each piece follows
// pkg/controller/controller_utils.go and controller_ref_manager.go
// upstream, rewritten for the simulator's synchronous store.
package controllerutil

import (
	"time"

	"github.com/kubesim/kubesim/sim/workqueue"
)

// Config tunes a workload controller.
type Config struct {
	// WatchLatency is the informer delay: how long after a change the
	// controller's event handlers see it.
	WatchLatency time.Duration
	// Queue is the work queue's timing.
	Queue workqueue.Config
	// BurstReplicas caps the pods created or deleted in one sync
	// (upstream's --concurrent-*-syncs companion, 500).
	BurstReplicas int
}

// BurstReplicas is upstream's burstReplicas for ReplicaSets and
// DaemonSets.
const BurstReplicas = 500

// DefaultConfig is a few milliseconds of watch latency, the default work
// queue and a burst of 500.
func DefaultConfig() Config {
	return Config{WatchLatency: 2 * time.Millisecond, Queue: workqueue.DefaultConfig, BurstReplicas: BurstReplicas}
}

// Watches are a controller's active watches: the cancel functions that
// store.Watch returns.
type Watches []func()

// Stop cancels every watch (a crashed controller manager).
func (w *Watches) Stop() {
	for _, stop := range *w {
		stop()
	}
	*w = nil
}

// Defaulted fills the zero fields of c from DefaultConfig, so that a
// cluster passing Config{} gets the modelled informer latency rather than
// synchronous delivery.
func (c Config) Defaulted() Config {
	d := DefaultConfig()
	if c.WatchLatency == 0 {
		c.WatchLatency = d.WatchLatency
	}
	if c.BurstReplicas <= 0 {
		c.BurstReplicas = d.BurstReplicas
	}
	return c
}

// WithDefaultQueue is c with workqueue.DefaultConfig's timing when c sets
// none: the controllers built with a queue latency (5 ms, 1 ms an item)
// when handed a zero Config keep it.
func (c Config) WithDefaultQueue() Config {
	if c.Queue == (workqueue.Config{}) {
		c.Queue = workqueue.DefaultConfig
	}
	return c
}
