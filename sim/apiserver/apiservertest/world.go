package apiservertest

import (
	"github.com/kubesim/kubesim/sim"
	"github.com/kubesim/kubesim/sim/apiserver"
	"github.com/kubesim/kubesim/sim/store"
)

// World is an API server over a fresh store on its own engine, with an
// admin client called "test": what a test that runs a few components
// without a whole cluster starts from.
type World struct {
	Engine *sim.Engine
	Store  *store.Store
	Server *apiserver.Server
	Admin  *apiserver.Client
}

// NewWorld returns a World on an engine seeded with seed in which each of
// namespaces exists with its default ServiceAccount and CA ConfigMap
// (Namespace). It panics if one cannot be created: a fresh API server
// refuses only an invalid name.
func NewWorld(seed uint64, namespaces ...string) *World {
	e := sim.NewEngine(seed)
	st := store.New(e)
	srv := apiserver.New(e, st)
	w := &World{Engine: e, Store: st, Server: srv, Admin: srv.Client("test")}
	for _, ns := range namespaces {
		if err := Namespace(w.Admin, ns); err != nil {
			panic(err)
		}
	}
	return w
}
