package simulator

import (
	"time"

	corev1 "k8s.io/api/core/v1"

	"github.com/kubesim/kubesim/sim"
	"github.com/kubesim/kubesim/sim/apiserver"
	"github.com/kubesim/kubesim/sim/store"
)

// Base is what both autoscalers are built on, as the controllers are on
// controllerutil.Base: the engine, the API client they write through and
// the store their informers read, their random stream, their snapshot
// of the cluster (simulations add template nodes and move pods in it,
// and undo every change before they end), and their watches.
type Base struct {
	Engine *sim.Engine
	Client *apiserver.Client
	Store  *store.Store
	Rand   *sim.Rand
	Snap   *Snapshot
	stops  []func()
}

// NewBase is the base of the autoscaler called name (its random
// stream's name); the store is the client's API server's.
func NewBase(engine *sim.Engine, client *apiserver.Client, name string) Base {
	st := client.Server().Store()
	return Base{Engine: engine, Client: client, Store: st, Rand: engine.Rand(name), Snap: New(st)}
}

// StartInformers is the informers' initial list and watch: the nodes go
// into the snapshot and the pods through onPod, then nodes and pods are
// watched, with latency, through onNode and onPod.
func (b *Base) StartInformers(latency time.Duration, onNode, onPod func(store.Event)) {
	for _, o := range b.Store.List("Node", "") {
		b.Snap.AddNode(o.(*corev1.Node))
	}
	for _, o := range b.Store.List("Pod", "") {
		onPod(store.Event{Type: store.Added, Object: o})
	}
	b.Watch("Node", latency, onNode)
	b.Watch("Pod", latency, onPod)
}

// Watch calls fn for every change of kind, latency after it happens,
// until StopWatches.
func (b *Base) Watch(kind string, latency time.Duration, fn func(store.Event)) {
	b.stops = append(b.stops, b.Store.Watch(kind, latency, fn))
}

// StopWatches ends every watch.
func (b *Base) StopWatches() {
	for _, s := range b.stops {
		s()
	}
	b.stops = nil
}
