// Package etcd replicates the simulated cluster's state over a real
// hashicorp/raft cluster of 1, 3 or 5 in-process members, the way etcd
// holds a real control plane's state.
//
// The simulation stays in charge of everything that enters the trace:
// which members are up or cut off, who leads and when. This package
// enforces those decisions on the real raft cluster (shutdown and restart
// over the member's retained log, transport disconnects both ways,
// leadership transfer to the chosen member) and blocks the simulation
// until each virtual instant's batch of mutations is committed. raft's
// goroutines, wall-clock timers, terms and indexes stay in here: what the
// simulation reads back (applied batches, revision, content hash) is
// taken only at quiescent points, after every live member caught up, so
// it does not depend on how fast raft happened to run.
//
// This is the one package under sim/ that runs goroutines and waits on
// the wall clock (raft needs both); nothing it does decides virtual time.
package etcd

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/raft"

	"github.com/kubesim/kubesim/sim/store"
)

// Wall-clock limits of the real raft cluster. They bound how long the
// simulation waits for raft; they never influence virtual time.
//
// An idle cluster costs what its timers cost: a leader heartbeats each
// follower every raftTimeout/10 to raftTimeout/5 and sends it the commit
// index every commitTimeout to 2*commitTimeout. Those are the only wake-ups
// of a session with nothing to do, so they are kept at a few dozen a
// second (about 0.5% of a core for three members; TestIdleClusterCPU).
// Nothing waits on them: leadership moves by transfer before a leader
// leaves (leave), and a sync that finds a follower behind pushes the
// commit index at once (nudge). The lease is also what a loaded machine
// must beat: a leader that cannot reach a quorum within it steps down, so
// it is long enough for a starved goroutine to be scheduled.
const (
	// raftTimeout is raft's heartbeat and election timeout: a follower
	// that heard nothing from a leader for that long stands for election
	// on its own (the simulation models etcd's real 100 ms / 1000 ms
	// separately). When the simulation needs a leader and raft has none
	// it does not wait that long: campaign.
	raftTimeout = time.Second
	// leaseTimeout is how long a leader stays one without hearing from a
	// quorum; its heartbeats go out every raftTimeout/10 to raftTimeout/5.
	leaseTimeout = 500 * time.Millisecond
	// commitTimeout is how long a follower may go without hearing the
	// leader's commit index while nothing new is written.
	commitTimeout = 100 * time.Millisecond
	// campaignEvery is how often campaign asks a member to stand while
	// raft has no leader.
	campaignEvery = 50 * time.Millisecond
	// transportTimeout bounds one RPC between members.
	transportTimeout = 200 * time.Millisecond
	// waitLimit is how long the simulation waits for raft to commit, elect
	// or catch up before giving up with an error.
	waitLimit = 30 * time.Second
	pollEvery = 200 * time.Microsecond
)

// Log compaction: the members snapshot every compactMutations mutations
// replicated (afterCommit), and raft keeps trailingLogs entries for
// followers slightly behind (an entry holds up to groupMutations). A
// variable so that tests can force catching up from a snapshot.
var trailingLogs uint64 = 16

// Cluster is a running raft cluster holding the object store's data.
// Its methods are called from the simulation's goroutine only.
type Cluster struct {
	members   []*member
	want      int      // the leader the simulation chose, -1 none
	next      uint64   // sequence number of the last batch handed in
	committed uint64   // sequence number of the last batch committed
	pending   [][]byte // encoded batches waiting for a quorum, in order
	jobs      chan job
	results   chan result
	worker    chan struct{} // closed when the encoder goroutine ends
	inflight  int           // entries handed to the pipeline, not yet waited for
	closeOnce sync.Once

	// open is the raft entry being filled (nil: none), drafts the
	// emptied drafts the pipeline gives back for reuse.
	open   *draft
	drafts chan *draft
	shared *sharedTable
	// hist is the history the members of the new cluster share (see
	// history.go); a member that restarts once it holds batches gets one
	// of its own.
	hist *history
	// sinceCompact counts the mutations handed to raft since the members
	// last snapshotted; snapshots tracks the snapshot requests running.
	sinceCompact int
	snapshots    sync.WaitGroup
	gate         *gate
	// campaigned is when campaign last asked a member to stand; campaigns
	// counts the requests (which member is asked next).
	campaigned time.Time
	campaigns  int
}

// member is one etcd member: its durable stores survive a stop, its FSM
// and raft instance do not (a restarted process rebuilds them).
type member struct {
	name        string
	id          raft.ServerID
	addr        raft.ServerAddress
	logs        *logStore
	snaps       *snapStore
	trans       *raft.InmemTransport
	fsm         *fsm
	raft        *raft.Raft // nil while stopped
	partitioned bool
	// frozen is the state last seen while the member was in contact with
	// the quorum; reported while it is out of contact.
	frozen *state
}

func (m *member) running() bool { return m.raft != nil }
func (m *member) live() bool    { return m.raft != nil && !m.partitioned }

// Name is the conventional name of member i (0-based): etcd-1, etcd-2, ...
func Name(i int) string { return "etcd-" + strconv.Itoa(i+1) }

// New starts an n-member cluster (n = 1, 3 or 5) led by member 0.
func New(n int) (*Cluster, error) {
	if n != 1 && n != 3 && n != 5 {
		return nil, fmt.Errorf("etcd: %d members: must be 1, 3 or 5", n)
	}
	c := &Cluster{want: 0, shared: newSharedTable(), gate: newGate(), hist: newHistory(nil, 0)}
	c.startPipeline()
	var servers []raft.Server
	for i := 0; i < n; i++ {
		m := &member{name: Name(i), id: raft.ServerID(Name(i)), addr: raft.ServerAddress(Name(i)),
			logs: newLogStore(c.shared), snaps: &snapStore{gate: c.gate}}
		c.members = append(c.members, m)
		servers = append(servers, raft.Server{Suffrage: raft.Voter, ID: m.id, Address: m.addr})
	}
	for _, m := range c.members {
		if err := raft.BootstrapCluster(raftConfig(m.id), m.logs, m.logs, m.snaps, nopTransport(m.addr), raft.Configuration{Servers: servers}); err != nil {
			return nil, fmt.Errorf("etcd: bootstrap %s: %w", m.name, err)
		}
	}
	for i := range c.members {
		if err := c.boot(i); err != nil {
			c.Close()
			return nil, err
		}
	}
	if err := c.enforceLeader(); err != nil {
		c.Close()
		return nil, err
	}
	return c, nil
}

// nopTransport is a throwaway transport for BootstrapCluster, which only
// asks it for its address.
func nopTransport(addr raft.ServerAddress) raft.Transport {
	_, t := raft.NewInmemTransportWithTimeout(addr, transportTimeout)
	return t
}

func raftConfig(id raft.ServerID) *raft.Config {
	cfg := raft.DefaultConfig()
	cfg.LocalID = id
	cfg.HeartbeatTimeout = raftTimeout
	cfg.ElectionTimeout = raftTimeout
	cfg.LeaderLeaseTimeout = leaseTimeout
	cfg.CommitTimeout = commitTimeout
	// The members snapshot when the cluster asks them to (afterCommit),
	// not on raft's wall-clock timer: raft checks its threshold of
	// entries every SnapshotInterval, so what it compacted depended on the
	// host's speed, and a leader may snapshot only at points where every
	// live follower has what it needs from the log (a snapshot sent while
	// the simulation runs would be refused; see gate).
	cfg.SnapshotInterval = 24 * time.Hour
	cfg.SnapshotThreshold = math.MaxUint64
	cfg.TrailingLogs = trailingLogs
	cfg.NoLegacyTelemetry = true
	cfg.Logger = hclog.NewNullLogger()
	return cfg
}

// boot starts member i's raft over its retained stores with a fresh FSM
// and transport (a restarted process), and connects it to every reachable
// peer.
func (c *Cluster) boot(i int) error {
	m := c.members[i]
	_, m.trans = raft.NewInmemTransportWithTimeout(m.addr, transportTimeout)
	if m.fsm != nil {
		m.fsm.retire()
	}
	if m.fsm = joinFSM(c.shared, c.hist); m.fsm == nil {
		m.fsm = newFSM(c.shared)
	}
	// Restoring the member's own snapshot encodes it: the simulation
	// waits here.
	c.gate.wait()
	r, err := raft.NewRaft(raftConfig(m.id), m.fsm, m.logs, m.logs, m.snaps, m.trans)
	c.gate.resume()
	if err != nil {
		return fmt.Errorf("etcd: start %s: %w", m.name, err)
	}
	m.raft = r
	if !m.partitioned {
		c.connect(i)
	}
	return nil
}

// connect links member i with every other live member, both ways.
func (c *Cluster) connect(i int) {
	m := c.members[i]
	for j, p := range c.members {
		if j != i && p.live() {
			m.trans.Connect(p.addr, p.trans)
			p.trans.Connect(m.addr, m.trans)
		}
	}
}

// disconnect cuts member i off from every peer, both ways
// (InmemTransport links are one-way).
func (c *Cluster) disconnect(i int) {
	m := c.members[i]
	for j, p := range c.members {
		if j != i && p.trans != nil {
			p.trans.Disconnect(m.addr)
		}
	}
	if m.trans != nil {
		m.trans.DisconnectAll()
	}
}

func (c *Cluster) quorum() bool {
	n := 0
	for _, m := range c.members {
		if m.live() {
			n++
		}
	}
	return n > len(c.members)/2
}

func (c *Cluster) index(name string) (int, error) {
	for i, m := range c.members {
		if m.name == name {
			return i, nil
		}
	}
	return 0, fmt.Errorf("etcd: no member %q (members are etcd-1 … etcd-%d)", name, len(c.members))
}

// Close shuts every member down and waits for raft's goroutines to end.
// It is safe to call more than once.
func (c *Cluster) Close() {
	c.closeOnce.Do(func() {
		_ = c.drain()
		close(c.jobs)
		<-c.worker
		for i := range c.members {
			c.disconnect(i)
		}
		for _, m := range c.members {
			if m.raft != nil {
				_ = m.raft.Shutdown().Error()
				m.raft = nil
			}
		}
		c.snapshots.Wait()
	})
}

// errWait is wrapped by the errors of waits that ran out of wall time.
var errWait = errors.New("etcd: raft did not converge")

// waitFor polls cond until it holds or waitLimit passes; raft may
// encode objects meanwhile (see gate).
func (c *Cluster) waitFor(what string, cond func() bool) error {
	c.gate.wait()
	defer c.gate.resume()
	deadline := time.Now().Add(waitLimit)
	for !cond() {
		if time.Now().After(deadline) {
			return fmt.Errorf("%w: %s within %s", errWait, what, waitLimit)
		}
		time.Sleep(pollEvery)
	}
	return nil
}

// gate lets raft's goroutines encode objects only while the simulation's
// goroutine waits for raft inside this package. Encoding an object may
// write to it (a resource.Quantity caches its string form when first
// formatted) and the simulation reads and formats the same objects, so a
// leader sending a member a snapshot (raft's goroutine opens it, which
// encodes the image) must not overlap the simulation. The simulation's
// goroutine holds the write lock except while it waits (waitFor, the
// commit waits, a member's restart); an encoder on raft's goroutine tries
// a read lock and, failing, refuses: raft tries again at its next
// replication round (every commitTimeout), and the waits that need the
// snapshot (a member catching up: Start, Heal, Sync) let it through. The
// lock also orders an encoder's writes before the simulation's next reads.
// Snapshots are taken only where every live member has what it needs
// from the logs (afterCommit), so in a run a snapshot is sent only to a
// member that was stopped or cut off, which catches up in those waits.
type gate struct {
	mu      sync.RWMutex
	refused atomic.Int64 // encodings refused (tests)
}

// newGate returns a gate held by the calling (the simulation's) goroutine.
func newGate() *gate {
	g := &gate{}
	g.mu.Lock()
	return g
}

// wait: the simulation's goroutine starts waiting for raft.
func (g *gate) wait() { g.mu.Unlock() }

// resume: the simulation's goroutine goes on, once no encoder runs.
func (g *gate) resume() { g.mu.Lock() }

// enter reports whether an encoder on raft's goroutine may run now; if so
// it calls leave when done.
func (g *gate) enter() bool {
	if g.mu.TryRLock() {
		return true
	}
	g.refused.Add(1)
	return false
}

func (g *gate) leave() { g.mu.RUnlock() }

// Members is the number of members.
func (c *Cluster) Members() int { return len(c.members) }

var _ store.Log = (*Cluster)(nil)
