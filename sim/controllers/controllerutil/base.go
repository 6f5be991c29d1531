package controllerutil

import (
	"github.com/kubesim/kubesim/sim"
	"github.com/kubesim/kubesim/sim/apiserver"
	"github.com/kubesim/kubesim/sim/store"
	"github.com/kubesim/kubesim/sim/workqueue"
)

// Base is the skeleton every controller of the simulated
// kube-controller-manager shares: where it runs, how it writes, what it
// reads, its defaulted configuration, its work queue, its watches and its
// start. A controller embeds it, builds it with NewBase and declares its
// event handlers there, as upstream's NewController registers them on
// the informers:
//
//	func New(engine *sim.Engine, client *apiserver.Client, cfg controllerutil.Config) *Controller {
//		c := &Controller{...}
//		c.Base = controllerutil.NewBase(engine, client, Name, cfg, c.sync)
//		c.Reconciles("ReplicaSet", c.onReplicaSet) // its keys are queued on start
//		c.Handles("Pod", c.onPod)
//		return c
//	}
//
// Start (opening the watches, then the informers' initial list) and Stop
// (a crashed controller manager) come with it.
type Base struct {
	Engine *sim.Engine
	Client *apiserver.Client
	Store  *store.Store
	// Config is the controller's configuration with defaults filled in.
	Config Config
	// Queue is the controller's work queue, named after it; nil when
	// NewBase was given no reconciler (a controller with several queues
	// makes its own).
	Queue *workqueue.Queue

	name     string
	sync     workqueue.Reconciler
	kind     string // what Reconciles named
	handlers []handler
	onStart  []func()
	started  bool
	watches  Watches
}

type handler struct {
	kind string
	keep func(store.Event) bool // nil: every event
	fn   func(store.Event)
	open func() (stop func()) // set: a watch Opens declared, opened by calling it
}

// NewBase defaults cfg (Config.Defaulted) and makes the work queue called
// name that runs sync, unless sync is nil. The store is the client's API
// server's.
func NewBase(engine *sim.Engine, client *apiserver.Client, name string, cfg Config, sync workqueue.Reconciler) Base {
	cfg = cfg.Defaulted()
	b := Base{Engine: engine, Client: client, Store: client.Server().Store(), Config: cfg, name: name, sync: sync}
	if sync != nil {
		b.Queue = workqueue.New(engine, cfg.Queue.Named(name), sync)
	}
	return b
}

// NewQueue makes a further work queue, called "<name>/<suffix>", that
// runs sync: for a controller with several queues.
func (b *Base) NewQueue(suffix string, sync workqueue.Reconciler) *workqueue.Queue {
	return workqueue.New(b.Engine, b.Config.Queue.Named(b.name+"/"+suffix), sync)
}

// Handles declares a watch that Start opens: fn gets every change of
// kind, WatchLatency after it happens, until Stop. Watches open in the
// order they are declared.
func (b *Base) Handles(kind string, fn func(store.Event)) {
	b.handlers = append(b.handlers, handler{kind: kind, fn: fn})
}

// HandlesFiltered is Handles for the events keep accepts: keep reads only
// the event, as the change happens, and the events it refuses are never
// delivered (store.WatchFiltered). It is for handlers that ignore most
// changes of a kind whatever the state when they arrive.
func (b *Base) HandlesFiltered(kind string, keep func(store.Event) bool, fn func(store.Event)) {
	b.handlers = append(b.handlers, handler{kind: kind, keep: keep, fn: fn})
}

// Opens declares a watch that Start opens by calling open, in order with
// the others, and Stop cancels by calling what open returned: for a
// watch a helper opens itself (ClaimMemo.Watch).
func (b *Base) Opens(open func() (stop func())) {
	b.handlers = append(b.handlers, handler{open: open})
}

// Reconciles declares the kind whose keys the work queue holds: Start
// watches it with fn and, once every watch is open, queues the key of
// each existing object of kind.
func (b *Base) Reconciles(kind string, fn func(store.Event)) {
	b.kind = kind
	b.Handles(kind, fn)
	b.OnStart(func() { b.QueueAll(kind) })
}

// ReconcilesNamespaces is Reconciles for a controller that keeps
// something in every namespace (the root CA ConfigMap, the default
// ServiceAccount): its queue holds namespace names, each queued on start
// and whenever the namespace changes.
func (b *Base) ReconcilesNamespaces() {
	b.Reconciles("Namespace", func(ev store.Event) {
		if ev.Type != store.Deleted {
			b.Queue.Add(ev.Object.GetName())
		}
	})
}

// OnStart declares what Start does once the watches are open (the
// informers' initial list, a first monitor pass), in declaration order.
func (b *Base) OnStart(fn func()) { b.onStart = append(b.onStart, fn) }

// Start opens the declared watches, then runs what OnStart declared. A
// second Start does nothing.
func (b *Base) Start() {
	if b.started {
		return
	}
	b.started = true
	for _, h := range b.handlers {
		if h.open != nil {
			b.watches = append(b.watches, h.open())
			continue
		}
		b.watches = append(b.watches, b.Store.WatchFiltered(h.kind, b.Config.WatchLatency, h.keep, h.fn))
	}
	for _, fn := range b.onStart {
		fn()
	}
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

// Settle reconciles every existing object of the kind Reconciles named at
// once, outside the queue, as in a cluster that has been running for a
// while: the cluster builds what exists at time zero this way. A failed
// write is retried by the queue once started.
func (b *Base) Settle() {
	for _, o := range b.Store.List(b.kind, "") {
		_ = b.sync(store.KeyOf(o))
	}
}

// Stop cancels every watch.
func (b *Base) Stop() { b.watches.Stop() }
