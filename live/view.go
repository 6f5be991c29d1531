package live

import (
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/utils/ptr"

	"github.com/kubesim/kubesim/sim/cluster"
	"github.com/kubesim/kubesim/sim/podutil"
	"github.com/kubesim/kubesim/sim/runner"
	"github.com/kubesim/kubesim/sim/store"
)

// View is an immutable snapshot of the cluster for frontends: plain data,
// no store objects, safe to read from any goroutine.
type View struct {
	Version   uint64
	Scenario  string
	Time      time.Duration
	Speed     float64
	Paused    bool
	Until     time.Duration
	Nodes     []NodeView
	Pending   []PodView // unscheduled pods, oldest first
	Workloads []WorkloadView
	Events    []EventView // the most recent last
	// EventsTotal is how many events the run has had: the last of Events
	// is event number EventsTotal (a frontend that has seen N sends or
	// shows only the last EventsTotal-N).
	EventsTotal int
	Etcd        EtcdView
	Counts      Counts
	TraceHash   string
	// Stopped is why the simulation stopped itself (a livelock: virtual
	// time could not advance), or "". The session is then paused for good.
	Stopped string
	// CatchingUp says the simulation runs behind its speed (more than
	// half a wall second): the cluster is too big for the speed, and the
	// frontends say so rather than look frozen.
	CatchingUp bool
}

// Counts are the header's numbers.
type Counts struct {
	Nodes, NodesReady                         int
	Pods, Running, Pending, Failed, Succeeded int
	// Machines are the EC2 instances being billed; CostPerHour is their
	// price per hour (USD, the cluster's region) and CostTotal what the
	// run has cost so far.
	Machines               int
	CostPerHour, CostTotal float64
}

// NodeView is one node and the pods bound to it.
type NodeView struct {
	Name, Zone, Group, InstanceType string
	Ready                           string // True, False, Unknown
	Unschedulable                   bool
	Taints                          []string
	Allocatable, Requested          podutil.Resources
	Pods                            []PodView
	// Stamp changes whenever the view of the node or of one of its pods
	// changes; two views of a session with the same node name and Stamp
	// are equal, so a frontend may reuse what it made of the last one
	// (the web page re-encodes only the nodes that changed).
	Stamp uint64
}

// PodView is one pod as a block.
type PodView struct {
	Namespace, Name string
	Node            string
	Owner           string // "Deployment/web", "DaemonSet/kube-proxy", "" for bare pods
	State           string // kubectl's STATUS column (podutil.LineOf): Pending, ContainerCreating, Running, Init:0/1, ...
	Ready           bool
	Restarts        int32 // kubectl's RESTARTS column
	Requests        podutil.Resources
	Reason          string // why it is pending (the scheduler's message)
	Created         time.Duration
	// Containers and ContainersReady make kubectl's READY column ("1/2").
	Containers, ContainersReady int
	// Labels are the pod's labels (the store's map: shared, read only),
	// for label-selector filters.
	Labels map[string]string
}

// WorkloadView is one Deployment, DaemonSet or StatefulSet.
type WorkloadView struct {
	Kind, Namespace, Name               string
	Desired, Ready, Available, UpToDate int32
}

// EventView is one line of `kubectl get events`.
type EventView struct {
	Time                          time.Duration
	Type, Reason, Object, Message string
	Count                         int32
}

// EtcdView is the etcd cluster's state.
type EtcdView struct {
	Members []EtcdMemberView
	Leader  string
	Quorum  bool
}

// EtcdMemberView is one member.
type EtcdMemberView struct {
	Name, Zone, State string // leader, follower, down, partitioned
}

// maxEvents bounds the events a view carries.
const maxEvents = 500

// Snapshot returns the current view (shared and immutable: do not
// modify). It never waits for the simulation.
func (s *Session) Snapshot() *View { return s.view.Load() }

// retimeLocked publishes the current view with the clock moved on, when
// time passed but no event ran (an idle session's clock); s.mu is held.
func (s *Session) retimeLocked() {
	s.version++
	v := *s.view.Load()
	v.Version, v.Time, v.CatchingUp = s.version, s.c.Engine.Elapsed(), s.behind
	s.view.Store(&v)
}

// refreshLocked rebuilds the view; s.mu is held.
func (s *Session) refreshLocked() {
	began := time.Now()
	defer func() {
		s.viewWall = time.Now()
		s.refreshCost = s.viewWall.Sub(began)
	}()
	s.version++
	s.viewSteps = s.c.Engine.Steps()
	c := s.c
	st := c.Store
	e := c.Engine
	v := &View{Version: s.version, Scenario: s.scenario.Name, Time: e.Elapsed(), Speed: s.speed,
		Paused: s.paused, Until: s.until, TraceHash: e.Trace().Hash(), CatchingUp: s.behind}
	if c.EC2 != nil {
		v.Counts.Machines, v.Counts.CostPerHour, v.Counts.CostTotal = bill(c, e.Elapsed())
	}
	start := e.Now().Add(-e.Elapsed())
	since := func(t time.Time) time.Duration { return t.Sub(start) }
	m := s.memo.begin(c)
	m.update(st, since)
	v.Nodes = make([]NodeView, 0, len(c.Nodes()))
	for _, n := range c.Nodes() {
		nv, ok := m.node(st, n, since)
		if !ok {
			continue
		}
		v.Counts.Nodes++
		if nv.Ready == "True" {
			v.Counts.NodesReady++
		}
		v.Nodes = append(v.Nodes, nv)
	}
	p := m.phases
	v.Counts.Pods, v.Counts.Running, v.Counts.Pending, v.Counts.Failed, v.Counts.Succeeded = p.Pods, p.Running, p.Pending, p.Failed, p.Succeeded
	v.Pending = m.pendingPods()
	v.Workloads = m.workloadViews(st)
	v.Events = m.eventViews(s.run.Report().Timeline)
	v.EventsTotal = len(s.run.Report().Timeline)
	v.Etcd = etcdView(s)
	if err := s.stoppedLocked(); err != nil {
		v.Stopped = err.Error()
	}
	m.end()
	s.view.Store(v)
}

// bill is the header's cost: the machines billed now, what they cost
// per hour and what the run has cost so far (what cost.Meter's Now and
// Summary say, without Summary's per-pod breakdown: at 30,000 pods that
// sorted every pod's charge on each refresh).
func bill(c *cluster.Cluster, now time.Duration) (machines int, perHour, total float64) {
	for _, in := range c.EC2.Instances() {
		total += in.Cost(now)
		if in.Billed() {
			machines++
			perHour += in.PricePerHour
		}
	}
	return machines, perHour, total
}

// workloadViews lists the Deployments, DaemonSets, StatefulSets and
// ReplicationControllers: the last list while none of them changed.
func (m *viewMemo) workloadViews(st *store.Store) []WorkloadView {
	revs := [4]int64{st.KindRev("Deployment"), st.KindRev("DaemonSet"), st.KindRev("StatefulSet"), st.KindRev("ReplicationController")}
	if m.workloadsOK && revs == m.workloadRevs {
		return m.workloads
	}
	var out []WorkloadView
	for _, o := range st.List("Deployment", "") {
		d := o.(*appsv1.Deployment)
		out = append(out, WorkloadView{"Deployment", d.Namespace, d.Name, ptr.Deref(d.Spec.Replicas, 1), d.Status.ReadyReplicas, d.Status.AvailableReplicas, d.Status.UpdatedReplicas})
	}
	for _, o := range st.List("DaemonSet", "") {
		d := o.(*appsv1.DaemonSet)
		out = append(out, WorkloadView{"DaemonSet", d.Namespace, d.Name, d.Status.DesiredNumberScheduled, d.Status.NumberReady, d.Status.NumberAvailable, d.Status.UpdatedNumberScheduled})
	}
	for _, o := range st.List("StatefulSet", "") {
		d := o.(*appsv1.StatefulSet)
		out = append(out, WorkloadView{"StatefulSet", d.Namespace, d.Name, ptr.Deref(d.Spec.Replicas, 1), d.Status.ReadyReplicas, d.Status.AvailableReplicas, d.Status.UpdatedReplicas})
	}
	for _, o := range st.List("ReplicationController", "") {
		// An RC has no rollout: every pod is of its one template.
		d := o.(*corev1.ReplicationController)
		out = append(out, WorkloadView{"ReplicationController", d.Namespace, d.Name, ptr.Deref(d.Spec.Replicas, 1), d.Status.ReadyReplicas, d.Status.AvailableReplicas, d.Status.Replicas})
	}
	m.workloads, m.workloadRevs, m.workloadsOK = out, revs, true
	return out
}

// eventViews is the newest maxEvents entries of the timeline: the last
// list while the timeline did not grow (it only ever appends).
func (m *viewMemo) eventViews(tl []runner.TimelineEntry) []EventView {
	if m.events != nil && len(tl) == m.eventsLen {
		return m.events
	}
	m.eventsLen = len(tl)
	if len(tl) > maxEvents {
		tl = tl[len(tl)-maxEvents:]
	}
	out := make([]EventView, len(tl))
	for i, t := range tl {
		out[i] = EventView{Time: t.T, Type: t.Type, Reason: t.Reason, Object: t.Object, Message: t.Message, Count: t.Count}
	}
	m.events = out
	return out
}

func etcdView(s *Session) EtcdView {
	e := s.c.Etcd
	ev := EtcdView{Leader: e.Leader(), Quorum: e.Quorum()}
	for _, m := range e.Members() {
		ev.Members = append(ev.Members, EtcdMemberView{Name: m.Name, Zone: m.Zone, State: m.State(ev.Leader)})
	}
	return ev
}
