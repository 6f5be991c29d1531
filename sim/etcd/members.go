package etcd

import (
	"fmt"

	"github.com/hashicorp/raft"

	"github.com/kubesim/kubesim/sim/store"
)

// Stop shuts a member down (the etcd process stops); its log and
// snapshots are kept for Start.
func (c *Cluster) Stop(name string) error {
	i, m, err := c.lookup(name)
	if err != nil {
		return err
	}
	if !m.running() {
		return fmt.Errorf("etcd: member %s is already stopped", name)
	}
	if err := c.leave(i); err != nil {
		return err
	}
	c.disconnect(i)
	err = m.raft.Shutdown().Error()
	m.raft = nil
	return err
}

// Start restarts a stopped member over its retained log: it catches up
// from the leader's log, or from a snapshot if the leader compacted it.
func (c *Cluster) Start(name string) error {
	i, m, err := c.lookup(name)
	if err != nil {
		return err
	}
	if err := c.drain(); err != nil {
		return err
	}
	if m.running() {
		return fmt.Errorf("etcd: member %s is already running", name)
	}
	if err := c.boot(i); err != nil {
		return err
	}
	c.rejoined(i)
	return c.Sync()
}

// Partition cuts a running member off from its peers (both ways).
func (c *Cluster) Partition(name string) error {
	i, m, err := c.lookup(name)
	if err != nil {
		return err
	}
	if m.partitioned {
		return fmt.Errorf("etcd: member %s is already partitioned", name)
	}
	if m.running() {
		if err := c.leave(i); err != nil {
			return err
		}
		c.disconnect(i)
	}
	m.partitioned = true
	return nil
}

// Heal reconnects a partitioned member.
func (c *Cluster) Heal(name string) error {
	i, m, err := c.lookup(name)
	if err != nil {
		return err
	}
	if err := c.drain(); err != nil {
		return err
	}
	if !m.partitioned {
		return fmt.Errorf("etcd: member %s is not partitioned", name)
	}
	m.partitioned = false
	if m.running() {
		c.connect(i)
		c.rejoined(i)
	}
	return c.Sync()
}

func (c *Cluster) lookup(name string) (int, *member, error) {
	i, err := c.index(name)
	if err != nil {
		return 0, nil, err
	}
	return i, c.members[i], nil
}

// leave prepares member i to drop out of the quorum: every live member
// catches up (so the state the member keeps is exactly the committed
// one), its state is frozen for the report, and if it leads and the rest
// keep a quorum, leadership moves to the first other live member first, so
// that raft does not wait out an election timeout (the simulation models
// the election and then picks the real successor with SetLeader).
func (c *Cluster) leave(i int) error {
	if err := c.Sync(); err != nil {
		return err
	}
	m := c.members[i]
	st := m.fsm.state()
	if m.frozen == nil {
		m.frozen = &st
	}
	if !m.live() || m.raft.State() != raft.Leader {
		return nil
	}
	succ := -1
	n := 0
	for j, p := range c.members {
		if j != i && p.live() {
			n++
			if succ < 0 {
				succ = j
			}
		}
	}
	if n <= len(c.members)/2 {
		return nil
	}
	prev := c.want
	c.want = succ
	err := c.enforceLeader()
	c.want = prev
	return err
}

// MemberStatus is what `etcdctl endpoint status` shows of a member, with
// the simulation's own numbering: Applied counts the batches (virtual
// instants) the member applied, not raft's log index, which also counts
// raft's own entries and depends on wall-clock elections.
type MemberStatus struct {
	Name     string
	Applied  uint64
	Revision int64
	Hash     string // SHA-256 of the FSM content (sorted keys and values)
}

// Status syncs the members and reports each one; a member out of contact
// reports the state it had when it left.
func (c *Cluster) Status() ([]MemberStatus, error) { return c.StartStatus()() }

// StartStatus is Status in two calls: it syncs the members and starts
// hashing the content of the first one in contact (see fsm.startState),
// and returns the function that finishes, which must be called. In
// between the caller may read the cluster's objects but must not write
// any, nor call the cluster: the first member stays locked.
func (c *Cluster) StartStatus() func() ([]MemberStatus, error) {
	if err := c.Sync(); err != nil {
		return func() ([]MemberStatus, error) { return nil, err }
	}
	var first func() state
	for _, m := range c.members {
		if m.frozen == nil {
			first = m.fsm.startState()
			break
		}
	}
	return func() ([]MemberStatus, error) { return c.status(first) }
}

// status reports every member, after Sync; first is the pending hash of
// the first member in contact (nil if none is).
func (c *Cluster) status(first func() state) ([]MemberStatus, error) {
	out := make([]MemberStatus, len(c.members))
	var hashed *fsm // the last member whose content was hashed
	var hashedState state
	if first != nil { // finished before anything can return
		hashedState = first()
	}
	for i, m := range c.members {
		st := m.frozen
		if st == nil {
			// Members in contact hold the same bytes (shared encodings):
			// hashing a second copy of the same content is wasted.
			switch {
			case hashed == nil: // the first in contact: its hash is first's
				hashed = m.fsm
			case !m.fsm.sameContent(hashed):
				hashed, hashedState = m.fsm, m.fsm.state()
			}
			s := hashedState
			st = &s
		}
		if st.Err != nil {
			return nil, st.Err
		}
		out[i] = MemberStatus{Name: m.name, Applied: st.Applied, Revision: st.Rev, Hash: st.Hash}
	}
	return out, nil
}

// Objects decodes the content of the leader (or, without one, of the
// first running member) like `etcdctl snapshot save` does, with the
// revision it reached.
func (c *Cluster) Objects() ([]store.Object, int64, error) {
	if err := c.Sync(); err != nil {
		return nil, 0, err
	}
	from := -1
	if c.quorum() {
		from = c.raftLeader()
	}
	if from < 0 {
		for i, m := range c.members {
			if m.running() && m.frozen == nil {
				from = i
				break
			}
		}
	}
	if from < 0 {
		return nil, 0, fmt.Errorf("etcd: no member is running")
	}
	return c.members[from].fsm.objects()
}

// Lookup returns the encoding member name holds for an object, and
// whether it holds it (tests: every acknowledged write is present).
func (c *Cluster) Lookup(name, kind, key string) ([]byte, bool) {
	_, m, err := c.lookup(name)
	if err != nil || m.fsm == nil {
		return nil, false
	}
	return m.fsm.get(kind, key)
}
