package etcd

import (
	"errors"
	"fmt"
	"time"

	"github.com/hashicorp/raft"

	"github.com/kubesim/kubesim/sim/store"
)

// window is how many raft entries may be in flight: entries are handed
// to raft in order and their commits waited for in order, at most window
// entries later, and always before a membership change, a snapshot or a
// status read. It also sets how long the shared table keeps the objects
// of entries the logs dropped (graceEntries): at 64 entries of up to 256
// mutations, that grace kept 32,000 superseded objects alive (at the end
// of a run, old Leases: 14 MiB at 1k nodes); 16 entries (4,096 mutations)
// still keep raft busy while the simulation runs on.
const window = 16

// Grouping: the batches of consecutive virtual instants travel in one
// raft entry of up to groupMutations mutations (or groupBatches batches),
// because raft costs per entry (futures, channels, replication round
// trips) far more than per mutation, and at scale most instants carry one
// or two mutations (a lease renewal). Every batch keeps its own sequence number inside the
// entry, so the members count and skip batches exactly as before; what
// the simulation reads back never depends on the grouping. Variables so
// that tests can force one batch per entry.
var (
	groupMutations = 256
	groupBatches   = 1024
)

// compactMutations is how many replicated mutations (in raft entries
// handed in) trigger a snapshot on every member once they all caught up,
// so that the log is truncated as it grows (etcd compacts by revision).
// raft's own trigger, which counts entries and checks every few seconds
// of wall time, is off (raftConfig): what the logs hold depended on how
// fast the host ran. What the logs hold past the last snapshot (every
// version of every object written since, which the FSMs no longer need)
// is live heap until the next one; a snapshot costs only the keys changed
// while it is kept (fsm.Snapshot).
var compactMutations = 2048

// job is one raft entry for the goroutine that encodes it and hands it
// to raft.
type job struct {
	seq uint64 // sequence number of the entry's last batch
	d   *draft
	r   *raft.Raft
}

// result is an entry handed to raft, to be waited for in order.
type result struct {
	seq  uint64
	data []byte
	f    raft.ApplyFuture
	err  error
}

// startPipeline starts the goroutine that encodes raft entries and hands
// them to raft, so that both overlap with the simulation. Entries refer
// to the store's objects without encoding them (see codec.go).
func (c *Cluster) startPipeline() {
	c.jobs = make(chan job, window)
	c.results = make(chan result, window)
	c.drafts = make(chan *draft, window+2)
	c.worker = make(chan struct{})
	go func() {
		defer close(c.worker)
		var enc encoder
		for j := range c.jobs {
			data, vals, err := enc.encode(j.d)
			if err != nil {
				c.results <- result{seq: j.seq, err: err}
				continue
			}
			c.shared.put(j.d.first, vals)
			c.recycle(j.d)
			c.results <- result{seq: j.seq, data: data, f: j.r.Apply(data, waitLimit)}
		}
	}()
}

// newDraft returns an empty draft for the entry whose first batch is
// first, reusing one the pipeline gave back if any.
func (c *Cluster) newDraft(first uint64) *draft {
	select {
	case d := <-c.drafts:
		d.first = first
		return d
	default:
		return &draft{first: first}
	}
}

// recycle gives an encoded draft back for reuse, unless a burst grew it
// past four full entries (an instant creating thousands of pods at once:
// not worth keeping) or enough are kept.
func (c *Cluster) recycle(d *draft) {
	if cap(d.muts) > 4*groupMutations {
		return
	}
	d.reset()
	select {
	case c.drafts <- d:
	default:
	}
}

// Append hands one virtual instant's mutations to raft (store.Log): the
// batch joins the open raft entry, which is handed in once it is large
// enough and before anything reads the members. Objects in the store are
// immutable, so they are replicated while the simulation goes on, and the
// entry is encoded on the pipeline's goroutine (see draft); the commit of
// every entry is waited for, in order (see window).
// Nothing the simulation does depends on raft's answer: a failed commit is
// retried until it succeeds or the run fails (Err). Without a quorum the
// batch waits, in order, for the quorum to return: the API server only
// lets writes through while etcd has a quorum, so these are the few
// writes the simulated API server does not gate (events).
func (c *Cluster) Append(batch []store.Mutation) error {
	c.next++
	if len(c.pending) > 0 || !c.quorum() {
		if err := c.ship(); err != nil {
			return err
		}
		data, vals, err := encodeBatch(nil, nil, c.next, batch)
		if err != nil {
			return err
		}
		c.shared.put(c.next, vals)
		c.pending = append(c.pending, data)
		return c.flush()
	}
	if err := encodable(batch); err != nil {
		return err
	}
	if c.open == nil {
		c.open = c.newDraft(c.next)
	}
	c.open.add(batch)
	if len(c.open.muts) >= groupMutations || len(c.open.sizes) >= groupBatches {
		return c.ship()
	}
	return nil
}

// ship hands the open entry to the pipeline, or without a quorum encodes
// it to wait with the others.
func (c *Cluster) ship() error {
	d := c.open
	if d == nil {
		return nil
	}
	c.open = nil
	if len(c.pending) > 0 || !c.quorum() {
		data, vals, err := d.encode(0, 0)
		if err != nil {
			return err
		}
		c.shared.put(d.first, vals)
		c.recycle(d)
		c.pending = append(c.pending, data)
		return nil
	}
	if c.inflight == window {
		if err := c.waitOne(); err != nil {
			return err
		}
	}
	l, err := c.leader()
	if err != nil {
		return err
	}
	c.sinceCompact += len(d.muts)
	c.jobs <- job{seq: d.last(), d: d, r: c.members[l].raft} // d is the pipeline's from here on
	c.inflight++
	return nil
}

// waitOne waits for the oldest batch in flight to commit, retrying it if
// raft lost it (a leader change) or applied it out of order (an earlier
// batch was lost and is being retried).
func (c *Cluster) waitOne() error {
	c.gate.wait()
	res := <-c.results
	var err error
	if res.err == nil {
		err = res.f.Error()
	}
	c.gate.resume()
	c.inflight--
	if res.err != nil {
		return res.err
	}
	if err == nil {
		resp, _ := res.f.Response().(error)
		if resp != nil && !errors.Is(resp, errOutOfOrder) {
			return resp
		}
		err = resp
	}
	if err != nil {
		if !retryable(err) {
			return fmt.Errorf("etcd: commit batch %d: %w", res.seq, err)
		}
		if err := c.apply(res.data); err != nil {
			return err
		}
	}
	c.committed = res.seq
	c.released(res.data)
	c.afterCommit()
	return nil
}

// released lets go of the cluster's hold on a committed entry's shared
// values: from now on the logs holding the entry keep them.
func (c *Cluster) released(data []byte) {
	if first, err := peekSeq(data); err == nil {
		c.shared.release(first)
	}
}

// afterCommit, once enough was replicated and every live member caught
// up with the commits, has every member snapshot so that raft truncates
// its log (and the shared values only the dropped entries held go).
func (c *Cluster) afterCommit() {
	min := c.committed
	for _, m := range c.members {
		if m.live() {
			if applied, _ := m.fsm.progress(); applied < min {
				min = applied
			}
		}
	}
	if c.sinceCompact < compactMutations || min < c.committed {
		return
	}
	c.sinceCompact = 0
	for _, m := range c.members {
		if r := m.raft; r != nil {
			// Snapshot blocks until raft's snapshot goroutine takes the
			// request; nothing waits for the result (raft reports
			// "nothing new to snapshot" and the like as errors).
			c.snapshots.Add(1)
			go func() {
				defer c.snapshots.Done()
				_ = r.Snapshot().Error()
			}()
		}
	}
}

// drain hands in the open entry and waits for every entry in flight.
func (c *Cluster) drain() error {
	if err := c.ship(); err != nil {
		return err
	}
	for c.inflight > 0 {
		if err := c.waitOne(); err != nil {
			return err
		}
	}
	return nil
}

// Pending is the number of raft entries waiting for a quorum.
func (c *Cluster) Pending() int { return len(c.pending) }

// Committed is the sequence number of the last batch raft committed.
func (c *Cluster) Committed() uint64 { return c.committed }

// flush commits the waiting batches if there is a quorum.
func (c *Cluster) flush() error {
	if err := c.drain(); err != nil {
		return err
	}
	if len(c.pending) == 0 || !c.quorum() {
		return nil
	}
	for len(c.pending) > 0 {
		if err := c.apply(c.pending[0]); err != nil {
			return err
		}
		seq, err := lastSeq(c.pending[0])
		if err != nil {
			return err
		}
		c.committed = seq
		c.released(c.pending[0])
		c.pending = c.pending[1:]
	}
	c.pending = nil
	c.afterCommit()
	return nil
}

// apply commits one encoded batch through the current leader and waits,
// retrying through leader changes raft makes on its own (a retried batch
// that did commit the first time is skipped by the FSMs: batches carry
// their sequence number).
func (c *Cluster) apply(data []byte) error {
	deadline := time.Now().Add(waitLimit)
	for {
		l, err := c.leader()
		if err != nil {
			return err
		}
		f := c.members[l].raft.Apply(data, waitLimit)
		c.gate.wait()
		err = f.Error()
		c.gate.resume()
		if err == nil {
			resp, _ := f.Response().(error)
			if resp == nil {
				return nil
			}
			err = resp
		}
		if !retryable(err) || time.Now().After(deadline) {
			return fmt.Errorf("etcd: commit batch: %w", err)
		}
	}
}

func retryable(err error) bool {
	return errors.Is(err, raft.ErrNotLeader) || errors.Is(err, raft.ErrLeadershipLost) ||
		errors.Is(err, raft.ErrLeadershipTransferInProgress) || errors.Is(err, raft.ErrRaftShutdown) ||
		errors.Is(err, raft.ErrEnqueueTimeout) || errors.Is(err, errOutOfOrder)
}

// leader returns the live member raft has elected, enforcing the
// simulation's choice if raft picked another one on its own.
func (c *Cluster) leader() (int, error) {
	if c.want >= 0 && c.members[c.want].live() {
		if err := c.enforceLeader(); err != nil {
			return 0, err
		}
		return c.want, nil
	}
	l := -1
	err := c.waitFor("a leader", func() bool {
		if l = c.raftLeader(); l < 0 {
			c.campaign()
		}
		return l >= 0
	})
	return l, err
}

// raftLeader is the live member that raft currently has as leader.
func (c *Cluster) raftLeader() int {
	for i, m := range c.members {
		if m.live() && m.raft.State() == raft.Leader {
			return i
		}
	}
	return -1
}

// SetLeader makes the named member the leader (the simulation's election
// picked it). Without a quorum the choice is remembered and enforced once
// the quorum is back.
func (c *Cluster) SetLeader(name string) error {
	i, err := c.index(name)
	if err != nil {
		return err
	}
	if err := c.drain(); err != nil {
		return err
	}
	c.want = i
	if !c.quorum() || !c.members[i].live() {
		return nil
	}
	if err := c.enforceLeader(); err != nil {
		return err
	}
	return c.flush()
}

// enforceLeader transfers leadership to c.want until raft has it there.
func (c *Cluster) enforceLeader() error {
	target := c.members[c.want]
	return c.waitFor("leadership on "+target.name, func() bool {
		l := c.raftLeader()
		switch {
		case l == c.want:
			return true
		case l >= 0:
			// An error (a transfer already running, the target not yet
			// caught up) is retried on the next poll.
			_ = c.members[l].raft.LeadershipTransferToServer(target.id, target.addr).Error()
			return c.raftLeader() == c.want
		}
		c.campaign()
		return false
	})
}

// Sync waits until every live member applied every committed batch, so
// that what the simulation reads of the members does not depend on how
// fast raft replicated. Without a quorum nothing can have moved since the
// last sync.
func (c *Cluster) Sync() error {
	if err := c.flush(); err != nil {
		return err
	}
	if !c.quorum() {
		return nil
	}
	c.nudge()
	for _, m := range c.members {
		if !m.live() {
			continue
		}
		f := m.fsm
		var ferr error
		if err := c.waitFor(m.name+" catching up", func() bool {
			applied, err := f.progress()
			ferr = err
			if err == nil && applied < c.committed && c.raftLeader() < 0 {
				c.campaign() // only a leader tells a member what is committed
			}
			return err != nil || applied >= c.committed
		}); err != nil {
			return err
		}
		if ferr != nil {
			return ferr
		}
		m.frozen = nil
	}
	c.afterCommit()
	return nil
}

// nudge has the leader tell every follower its commit index now, if a
// live member has not applied every committed batch yet: a follower
// learns the index from the next append, which an idle leader sends only
// every commitTimeout. A barrier is an empty entry; appending it
// replicates at once, carrying the index. Nothing waits for the barrier
// itself, and it changes no member's state.
func (c *Cluster) nudge() {
	behind := false
	for _, m := range c.members {
		if m.live() {
			if applied, err := m.fsm.progress(); err == nil && applied < c.committed {
				behind = true
			}
		}
	}
	if l := c.raftLeader(); behind && l >= 0 {
		c.members[l].raft.Barrier(0)
	}
}

// campaign has a live member stand for election now, when raft has no
// leader and the live members form a quorum (the cluster just started, or
// regained its quorum): raft would wait out a heartbeat timeout first
// (raftTimeout, kept long so that an idle cluster sleeps). It sends the
// member raft's TimeoutNow, the message a leadership transfer ends with,
// as etcd's Campaign does. The simulation's choice stands first; if its
// log is too far behind to win, the next attempt (campaignEvery later)
// asks the next live member. enforceLeader moves leadership on to the
// chosen member afterwards.
func (c *Cluster) campaign() {
	if !c.quorum() || time.Since(c.campaigned) < campaignEvery {
		return
	}
	c.campaigned = time.Now()
	var live []int
	for i, m := range c.members {
		if m.live() {
			live = append(live, i)
		}
	}
	first := 0
	for k, i := range live {
		if i == c.want {
			first = k
		}
	}
	c.timeoutNow(live[(first+c.campaigns)%len(live)])
	c.campaigns++
}

// rejoined refreshes the leader's replication after member i rejoined
// (Start, Heal): while a follower is out of reach, the leader retries it
// ever more slowly (raft backs off up to ten seconds) and would bring it
// up to date only at its next try. A leader that just took over
// replicates to every member at once, so leadership moves to another
// member that stayed in contact (a transfer: one round trip), and the
// next enforceLeader moves it back to the simulation's choice. Without
// such a member the leader lost its quorum while i was away, and the
// election that follows starts replication afresh anyway.
func (c *Cluster) rejoined(i int) {
	l := c.raftLeader()
	if l < 0 {
		return
	}
	for j, m := range c.members {
		if j != i && j != l && m.live() {
			// A failed transfer leaves the leader in place: the member
			// then catches up at the leader's next try.
			_ = c.members[l].raft.LeadershipTransferToServer(m.id, m.addr).Error()
			return
		}
	}
}

// timeoutNow sends member i raft's TimeoutNow: it stands for election at
// once, without a pre-vote, as the target of a leadership transfer does.
func (c *Cluster) timeoutNow(i int) {
	m := c.members[i]
	_, t := raft.NewInmemTransportWithTimeout("kubesim-campaign", transportTimeout)
	defer func() { _ = t.Close() }()
	t.Connect(m.addr, m.trans)
	req := raft.TimeoutNowRequest{RPCHeader: raft.RPCHeader{ProtocolVersion: raft.ProtocolVersionMax}}
	// A member that is shutting down may not answer; whoever waits for a
	// leader polls raft and asks again.
	_ = t.TimeoutNow(m.id, m.addr, &req, &raft.TimeoutNowResponse{})
}
