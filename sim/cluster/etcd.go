package cluster

import (
	"errors"
	"fmt"
	"maps"
	"runtime"
	"slices"
	"strconv"
	"time"

	"github.com/kubesim/kubesim/sim"
	"github.com/kubesim/kubesim/sim/etcd"
	"github.com/kubesim/kubesim/sim/store"
)

// Etcd models the etcd cluster under the API server. The simulation owns
// the facts that enter the trace: which members are up or partitioned,
// when an election ends (about one election timeout, 1000 ms, with seeded
// jitter) and who wins, whether there is a quorum. Writes fail while
// there is no leader and time out without quorum; reads keep being
// served from the watch cache.
//
// Underneath, a real hashicorp/raft cluster (sim/etcd) replicates the
// store: each virtual instant's mutations commit as one raft entry before
// virtual time moves on, and every decision above is enforced on it. It
// starts with the first commit, so a cluster that is built but never run
// starts no goroutines; Close (or the garbage collector, for a cluster
// nobody closed) stops it.
type Etcd struct {
	c        *Cluster
	members  []*EtcdMember
	leader   int // index, -1 = none
	electing bool
	rand     *sim.Rand

	replicate bool
	repl      *etcd.Cluster
	closed    bool
	err       error // first failure of the raft cluster
	snapshots map[string]etcdSnapshot
}

// EtcdMember is one etcd member.
type EtcdMember struct {
	Name, Zone  string
	Down        bool
	Partitioned bool
}

// Healthy reports whether the member takes part in the quorum.
func (m *EtcdMember) Healthy() bool { return !m.Down && !m.Partitioned }

// State is the member's state as Status and the live views report it,
// given the leader's name: down, partitioned, leader or follower.
func (m *EtcdMember) State(leader string) string {
	switch {
	case m.Down:
		return "down"
	case m.Partitioned:
		return "partitioned"
	case m.Name == leader:
		return "leader"
	}
	return "follower"
}

// etcd's default timings.
const (
	etcdHeartbeat       = 100 * time.Millisecond
	etcdElectionTimeout = 1000 * time.Millisecond
)

func newEtcd(c *Cluster, n int, zones []string) *Etcd {
	e := &Etcd{c: c, rand: c.Engine.Rand("etcd/election"), replicate: true, snapshots: map[string]etcdSnapshot{}}
	for i := 0; i < n; i++ {
		e.members = append(e.members, &EtcdMember{Name: etcd.Name(i), Zone: zones[i%len(zones)]})
	}
	c.Store.SetLog(etcdLog{e})
	return e
}

// etcdLog hands the store's per-instant batches to the raft cluster.
type etcdLog struct{ e *Etcd }

func (l etcdLog) Append(batch []store.Mutation) error {
	r := l.e.raft()
	if r == nil {
		return l.e.err
	}
	return l.e.fail(r.Append(batch))
}

// DisableReplication keeps the membership model but no raft cluster
// under the store (the plain store: benchmarks compare against it). Call
// it before the engine runs.
func (e *Etcd) DisableReplication() { e.replicate = false }

// Replicated reports whether a raft cluster holds the store's data.
func (e *Etcd) Replicated() bool { return e.replicate }

// raft returns the raft cluster, starting it on first use with the
// membership the model has now. nil if replication is off or failed.
func (e *Etcd) raft() *etcd.Cluster {
	if e.repl != nil || !e.replicate || e.closed || e.err != nil {
		return e.repl
	}
	r, err := etcd.New(len(e.members))
	if e.fail(err) != nil {
		return nil
	}
	// Stop raft's goroutines if the cluster is dropped without Close.
	runtime.AddCleanup(e, func(r *etcd.Cluster) { r.Close() }, r)
	e.repl = r
	for _, m := range e.members {
		if m.Down {
			_ = e.fail(r.Stop(m.Name))
		}
		if m.Partitioned {
			_ = e.fail(r.Partition(m.Name))
		}
	}
	if l := e.Leader(); l != "" {
		_ = e.fail(r.SetLeader(l))
	}
	return r
}

// fail records the raft cluster's first error; the run reports it.
func (e *Etcd) fail(err error) error {
	if err != nil && e.err == nil {
		e.err = err
	}
	return err
}

// Err is the first failure of the raft cluster underneath (a wall-clock
// wait that ran out, a batch that did not apply): a run that saw one
// cannot vouch for its replicated state.
func (e *Etcd) Err() error { return e.err }

// Close stops the raft cluster and its goroutines.
func (e *Etcd) Close() {
	e.closed = true
	if e.repl != nil {
		e.repl.Close()
	}
}

// Members lists the members.
func (e *Etcd) Members() []*EtcdMember { return e.members }

// Leader is the leading member's name, "" during an election or without
// quorum.
func (e *Etcd) Leader() string {
	if e.leader < 0 || e.electing {
		return ""
	}
	return e.members[e.leader].Name
}

// HealthyCount is the number of healthy members.
func (e *Etcd) HealthyCount() int {
	n := 0
	for _, m := range e.members {
		if m.Healthy() {
			n++
		}
	}
	return n
}

// Quorum reports whether a majority is healthy and a leader is elected.
func (e *Etcd) Quorum() bool { return e.HealthyCount() > len(e.members)/2 && e.Leader() != "" }

var (
	errNoLeader = errors.New("etcdserver: leader changed")
	errTimeout  = errors.New("etcdserver: request timed out")
)

func (e *Etcd) writeGate() error {
	if e.HealthyCount() <= len(e.members)/2 {
		return errTimeout
	}
	if e.electing || e.leader < 0 {
		return errNoLeader
	}
	return nil
}

func (e *Etcd) member(name string) (int, error) {
	for i, m := range e.members {
		if m.Name == name {
			return i, nil
		}
	}
	return 0, fmt.Errorf("no etcd member %q (members are etcd-1 … etcd-%d)", name, len(e.members))
}

// Stop stops a member (etcd process down).
func (e *Etcd) Stop(name string) error {
	return e.set(name, "stop", flip(isDown, true, "already stopped"), (*etcd.Cluster).Stop)
}

// Start starts a stopped member again; it catches up from the leader.
func (e *Etcd) Start(name string) error {
	return e.set(name, "start", flip(isDown, false, "already running"), (*etcd.Cluster).Start)
}

// Partition cuts a member off from its peers.
func (e *Etcd) Partition(name string) error {
	return e.set(name, "partition", flip(isPartitioned, true, "already partitioned"), (*etcd.Cluster).Partition)
}

// Heal reconnects a partitioned member.
func (e *Etcd) Heal(name string) error {
	return e.set(name, "heal", flip(isPartitioned, false, "not partitioned"), (*etcd.Cluster).Heal)
}

func isDown(m *EtcdMember) *bool        { return &m.Down }
func isPartitioned(m *EtcdMember) *bool { return &m.Partitioned }

// flip sets one of a member's flags to to, or, when it is to already,
// fails saying the member is that.
func flip(flag func(*EtcdMember) *bool, to bool, already string) func(*EtcdMember) error {
	return func(m *EtcdMember) error {
		if *flag(m) == to {
			return fmt.Errorf("etcd member %s is %s", m.Name, already)
		}
		*flag(m) = to
		return nil
	}
}

// set changes one member in the model, then on the raft cluster. A raft
// failure is recorded (Err) but does not change what the simulation saw.
func (e *Etcd) set(name, verb string, fn func(*EtcdMember) error, onRaft func(*etcd.Cluster, string) error) error {
	i, err := e.member(name)
	if err != nil {
		return err
	}
	if err := fn(e.members[i]); err != nil {
		return err
	}
	if r := e.repl; r != nil && e.err == nil {
		_ = e.fail(onRaft(r, name))
	}
	e.trace(verb, name, "")
	e.reconsider()
	return nil
}

// reconsider starts an election when the leader is lost and a majority can
// elect a new one.
func (e *Etcd) reconsider() {
	if e.leader >= 0 && !e.members[e.leader].Healthy() {
		e.leader = -1
	}
	if e.HealthyCount() <= len(e.members)/2 {
		// A leader without quorum steps down (CheckQuorum).
		e.leader = -1
		return
	}
	if e.leader >= 0 || e.electing {
		return
	}
	e.electing = true
	d := etcdElectionTimeout + time.Duration(e.rand.Int64N(int64(etcdElectionTimeout))) + 2*etcdHeartbeat
	e.c.Engine.After(d, "etcd/election", e.elect)
}

// elect ends an election: a random healthy member wins, and raft is made
// to agree.
func (e *Etcd) elect() {
	e.electing = false
	if e.HealthyCount() <= len(e.members)/2 {
		return
	}
	var healthy []int
	for i, m := range e.members {
		if m.Healthy() {
			healthy = append(healthy, i)
		}
	}
	e.leader = healthy[e.rand.IntN(len(healthy))]
	name := e.members[e.leader].Name
	if r := e.repl; r != nil && e.err == nil {
		_ = e.fail(r.SetLeader(name))
	}
	e.trace("leader", name, "")
}

func (e *Etcd) trace(verb, name, extra string) {
	summary := "healthy=" + strconv.Itoa(e.HealthyCount()) + "/" + strconv.Itoa(len(e.members))
	if extra != "" {
		summary += " " + extra
	}
	e.c.Engine.Trace().Add(sim.Record{T: e.c.Engine.Elapsed(), Component: "etcd", Verb: verb, Kind: "EtcdMember",
		Name: name, RV: e.c.Store.Rev(), Summary: summary})
}

// EtcdMemberStatus is one member in the report: its state and, with
// replication on, the batches its FSM applied, the store revision it
// reached and the SHA-256 of its content.
type EtcdMemberStatus struct {
	Name         string
	State        string // leader, follower, down, partitioned
	AppliedIndex uint64
	Revision     int64
	FSMHash      string
}

// Status reports every member. It waits for raft to settle, so it is
// deterministic; a member out of contact shows the state it left with.
func (e *Etcd) Status() ([]EtcdMemberStatus, error) { return e.StartStatus()() }

// StartStatus is Status in two calls (see etcd.Cluster.StartStatus): the
// members' content is sorted for its hash while the caller does other
// work, which may read the cluster's objects but not write them nor
// advance the cluster. The returned function must be called.
func (e *Etcd) StartStatus() func() ([]EtcdMemberStatus, error) {
	r := e.raft()
	if r == nil {
		return func() ([]EtcdMemberStatus, error) { return e.memberStates(), e.err }
	}
	finish := r.StartStatus()
	return func() ([]EtcdMemberStatus, error) { return e.status(finish) }
}

// memberStates is every member's name and state.
func (e *Etcd) memberStates() []EtcdMemberStatus {
	out := make([]EtcdMemberStatus, len(e.members))
	leader := e.Leader()
	for i, m := range e.members {
		out[i] = EtcdMemberStatus{Name: m.Name, State: m.State(leader)}
	}
	return out
}

// status is Status once raft's status is pending in finish.
func (e *Etcd) status(finish func() ([]etcd.MemberStatus, error)) ([]EtcdMemberStatus, error) {
	out := e.memberStates()
	st, err := finish()
	if e.fail(err) != nil {
		return out, err
	}
	for i, s := range st {
		out[i].AppliedIndex, out[i].Revision, out[i].FSMHash = s.Applied, s.Revision, s.Hash
	}
	return out, nil
}

// Raft is the raft cluster underneath (nil until the first commit, or
// with replication off); tests inspect the members' content through it.
func (e *Etcd) Raft() *etcd.Cluster { return e.repl }

// etcdSnapshot is a named `etcdctl snapshot save`.
type etcdSnapshot = *etcd.Snapshot

// Snapshot saves the cluster state under name, like `etcdctl snapshot
// save`: the content of the leader's FSM (what etcd committed; writes of
// the current instant are not committed yet). With replication off it is
// the store's content.
func (e *Etcd) Snapshot(name string) error {
	snap := &etcd.Snapshot{}
	if r := e.raft(); r != nil {
		objs, rev, err := r.Objects()
		if err != nil {
			return e.fail(err)
		}
		snap.Objects, snap.Revision = objs, rev
	} else if e.err != nil {
		return e.err
	} else {
		for _, k := range store.Kinds() {
			snap.Objects = append(snap.Objects, e.c.Store.List(k, "")...)
		}
		snap.Revision = e.c.Store.Rev()
	}
	e.snapshots[name] = snap
	e.trace("snapshot", name, fmt.Sprintf("objects=%d revision=%d", len(snap.Objects), snap.Revision))
	return nil
}

// Restore rewinds the cluster state to a snapshot, like `etcdutl snapshot
// restore` followed by restarting etcd and the control plane: stopped
// members come back (the restore recreates every member's data), and the
// components resynchronise through their watches (see etcd.Restore).
// Partitioned members stay cut off: a restore does not fix a network.
//
// It returns what changed, for the person who ran it.
func (e *Etcd) Restore(name string) (string, error) {
	snap, ok := e.snapshots[name]
	if !ok {
		return "", fmt.Errorf("no etcd snapshot %q was taken", name)
	}
	for _, m := range e.members {
		if m.Down {
			if err := e.Start(m.Name); err != nil {
				return "", err
			}
		}
	}
	if e.HealthyCount() <= len(e.members)/2 {
		return "", fmt.Errorf("etcd restore %q: only %d of %d members are reachable; heal the partition first", name, e.HealthyCount(), len(e.members))
	}
	res, err := etcd.Restore(e.c.Store, snap)
	if err != nil {
		return "", err
	}
	e.trace("restore", name, fmt.Sprintf("revision=%d created=%d updated=%d deleted=%d", snap.Revision, res.Created, res.Updated, res.Deleted))
	return fmt.Sprintf("restored revision %d: %d objects created, %d updated, %d deleted", snap.Revision, res.Created, res.Updated, res.Deleted), nil
}

// SnapshotNames lists the snapshots taken so far, sorted.
func (e *Etcd) SnapshotNames() []string { return slices.Sorted(maps.Keys(e.snapshots)) }
