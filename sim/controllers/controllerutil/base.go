package controllerutil

import (
	"github.com/kubesim/kubesim/sim"
	"github.com/kubesim/kubesim/sim/apiserver"
	"github.com/kubesim/kubesim/sim/store"
	"github.com/kubesim/kubesim/sim/workqueue"
)

// Base is the skeleton every controller of the simulated
// kube-controller-manager shares: where it runs, how it writes, what it
// reads, its defaulted configuration, its work queue and its watches.
// A controller embeds it and builds it with NewBase:
//
//	c := &Controller{...}
//	c.Base = controllerutil.NewBase(engine, client, Name, cfg, c.sync)
//
//	func (c *Controller) Start() {
//		c.Watch("ReplicaSet", c.onReplicaSet)
//		c.Watch("Pod", c.onPod)
//		c.QueueAll("ReplicaSet") // the informers' initial list
//	}
//
// Stop (a crashed controller manager) comes with it.
type Base struct {
	Engine *sim.Engine
	Client *apiserver.Client
	Store  *store.Store
	// Config is the controller's configuration with defaults filled in.
	Config Config
	// Queue is the controller's work queue, named after it; nil when
	// NewBase was given no reconciler (a controller with several queues
	// makes its own).
	Queue   *workqueue.Queue
	watches Watches
}

// NewBase defaults cfg (Config.Defaulted) and makes the work queue called
// name that runs sync, unless sync is nil. The store is the client's API
// server's.
func NewBase(engine *sim.Engine, client *apiserver.Client, name string, cfg Config, sync workqueue.Reconciler) Base {
	cfg = cfg.Defaulted()
	b := Base{Engine: engine, Client: client, Store: client.Server().Store(), Config: cfg}
	if sync != nil {
		b.Queue = workqueue.New(engine, cfg.Queue.Named(name), sync)
	}
	return b
}

// Watch calls fn for every change of kind, WatchLatency after it happens,
// until Stop.
func (b *Base) Watch(kind string, fn func(store.Event)) {
	b.watches = append(b.watches, b.Store.Watch(kind, b.Config.WatchLatency, fn))
}

// QueueAll queues the key of every existing object of kind, in the
// store's order: what a controller's informers deliver on start.
func (b *Base) QueueAll(kind string) {
	for _, o := range b.Store.List(kind, "") {
		b.Queue.Add(store.KeyOf(o))
	}
}

// Stop cancels every watch.
func (b *Base) Stop() { b.watches.Stop() }
