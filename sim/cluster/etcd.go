package cluster

import (
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/kubesim/kubesim/sim"
)

// Etcd models the membership and availability of the etcd cluster under
// the API server: which members are up, who leads, whether a quorum
// exists. Writes fail while there is no leader (an election lasts about
// one election timeout, 1000 ms, with seeded jitter) and time out without
// quorum; reads keep being served from the watch cache. (Replication
// itself — hashicorp/raft under the store — is a later step; the store
// already commits each virtual instant as one batch for it.)
type Etcd struct {
	c        *Cluster
	members  []*EtcdMember
	leader   int // index, -1 = none
	electing bool
	rand     *sim.Rand
}

// EtcdMember is one etcd member.
type EtcdMember struct {
	Name, Zone  string
	Down        bool
	Partitioned bool
}

// Healthy reports whether the member takes part in the quorum.
func (m *EtcdMember) Healthy() bool { return !m.Down && !m.Partitioned }

// etcd's default timings.
const (
	etcdHeartbeat       = 100 * time.Millisecond
	etcdElectionTimeout = 1000 * time.Millisecond
)

func newEtcd(c *Cluster, n int, zones []string) *Etcd {
	e := &Etcd{c: c, rand: c.Engine.Rand("etcd/election")}
	for i := 0; i < n; i++ {
		e.members = append(e.members, &EtcdMember{Name: "etcd-" + strconv.Itoa(i+1), Zone: zones[i%len(zones)]})
	}
	return e
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
	return e.set(name, "stop", func(m *EtcdMember) { m.Down = true })
}

// Start starts a stopped member again; it catches up from the leader.
func (e *Etcd) Start(name string) error {
	return e.set(name, "start", func(m *EtcdMember) { m.Down = false })
}

// Partition cuts a member off from its peers.
func (e *Etcd) Partition(name string) error {
	return e.set(name, "partition", func(m *EtcdMember) { m.Partitioned = true })
}

// Heal reconnects a partitioned member.
func (e *Etcd) Heal(name string) error {
	return e.set(name, "heal", func(m *EtcdMember) { m.Partitioned = false })
}

func (e *Etcd) set(name, verb string, fn func(*EtcdMember)) error {
	i, err := e.member(name)
	if err != nil {
		return err
	}
	fn(e.members[i])
	e.trace(verb, name)
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
	e.c.Engine.After(d, "etcd/election", func() {
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
		e.trace("leader", e.members[e.leader].Name)
	})
}

func (e *Etcd) trace(verb, name string) {
	e.c.Engine.Trace().Add(sim.Record{T: e.c.Engine.Elapsed(), Component: "etcd", Verb: verb, Kind: "EtcdMember",
		Name: name, RV: e.c.Store.Rev(), Summary: "healthy=" + strconv.Itoa(e.HealthyCount()) + "/" + strconv.Itoa(len(e.members))})
}
