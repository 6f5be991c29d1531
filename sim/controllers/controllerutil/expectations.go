package controllerutil

import (
	"time"

	"github.com/kubesim/kubesim/sim"
)

// ExpectationsTimeout is how long a controller waits for the watch to
// confirm its own creates and deletes before syncing anyway (upstream's
// ExpectationsTimeout, 5 minutes).
const ExpectationsTimeout = 5 * time.Minute

// Expectations remembers, per controller key, how many creates and which
// deletes the controller issued but has not yet seen through its watch.
// While some are outstanding the controller must not create or delete
// again, or it would act twice on the same shortfall (upstream's
// UIDTrackingControllerExpectations, keyed by pod key instead of UID).
type Expectations struct {
	engine *sim.Engine
	m      map[string]*expectation
}

type expectation struct {
	add  int
	dels map[string]struct{}
	at   time.Duration
}

// NewExpectations returns empty expectations timed by engine.
func NewExpectations(engine *sim.Engine) *Expectations {
	return &Expectations{engine: engine, m: map[string]*expectation{}}
}

// ExpectCreations records that n creates were issued for key.
func (e *Expectations) ExpectCreations(key string, n int) { e.Expect(key, n, nil) }

// ExpectDeletions records that the objects with the given keys are being
// deleted for key.
func (e *Expectations) ExpectDeletions(key string, objKeys []string) { e.Expect(key, 0, objKeys) }

// Expect replaces key's expectations with n creates and the deletion of
// objKeys (a DaemonSet does both in one sync).
func (e *Expectations) Expect(key string, n int, objKeys []string) {
	dels := make(map[string]struct{}, len(objKeys))
	for _, k := range objKeys {
		dels[k] = struct{}{}
	}
	e.m[key] = &expectation{add: n, dels: dels, at: e.engine.Elapsed()}
}

// CreationObserved lowers the outstanding creates of key by one.
func (e *Expectations) CreationObserved(key string) {
	if x := e.m[key]; x != nil && x.add > 0 {
		x.add--
	}
}

// DeletionObserved marks the deletion of objKey as seen. Repeats are
// ignored, so every sign of deletion (deletionTimestamp set, object gone)
// may report it.
func (e *Expectations) DeletionObserved(key, objKey string) {
	if x := e.m[key]; x != nil {
		delete(x.dels, objKey)
	}
}

// Satisfied reports whether key may be synced: nothing outstanding, no
// record, or the record is older than ExpectationsTimeout.
func (e *Expectations) Satisfied(key string) bool {
	x := e.m[key]
	if x == nil {
		return true
	}
	if x.add <= 0 && len(x.dels) == 0 {
		return true
	}
	return e.engine.Elapsed()-x.at > ExpectationsTimeout
}

// Delete forgets key (its controller object was deleted).
func (e *Expectations) Delete(key string) { delete(e.m, key) }
