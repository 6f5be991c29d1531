package scheduler

import (
	"errors"
	"fmt"
	"slices"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/sets"

	"github.com/kubesim/kubesim/sim/apiserver"
	"github.com/kubesim/kubesim/sim/scheduler/framework"
	"github.com/kubesim/kubesim/sim/scheduler/plugins/volumebinding"
	"github.com/kubesim/kubesim/sim/scheduler/queue"
	"github.com/kubesim/kubesim/sim/store"
	"github.com/kubesim/kubesim/sim/volumeutil"
)

// ErrNoNodesAvailable is upstream's error when the cluster has no nodes.
var ErrNoNodesAvailable = errors.New("no nodes available to schedule pods")

// Adaptive percentageOfNodesToScore bounds.
const (
	minFeasibleNodesToFind           = 100
	minFeasibleNodesPercentageToFind = 5
)

// kick starts a cycle PerPodLatency from now if none is pending: a cycle
// is modelled as taking that long, its decision landing at its end. One
// timer serves every cycle (a cycle per pod allocates no timer).
func (s *Scheduler) kick() {
	if s.cycleDue || s.inCycle || !s.started {
		return
	}
	s.cycleDue = true
	if s.cycleTimer == nil {
		s.cycleTimer = s.engine.After(s.cfg.PerPodLatency, "scheduler/cycle", s.cycle)
		return
	}
	s.engine.Reschedule(s.cycleTimer, s.engine.Elapsed()+s.cfg.PerPodLatency)
}

func (s *Scheduler) cycle() {
	s.cycleDue = false
	s.inCycle = true
	if p := s.queue.Pop(); p != nil {
		s.scheduleOne(p)
	}
	s.inCycle = false
	if a, _, _ := s.queue.Lens(); a > 0 {
		s.kick()
	}
}

// scheduleOne runs one scheduling cycle for p and binds or requeues it.
func (s *Scheduler) scheduleOne(p *queue.QueuedPodInfo) {
	o, ok := s.st.Follow(&p.Ref, "Pod", p.Pod.Namespace, p.Pod.Name)
	if !ok || o.GetUID() != p.Pod.UID || !s.responsible(o.(*corev1.Pod)) {
		s.queue.Done(p) // deleted or bound meanwhile
		return
	}
	pod := o.(*corev1.Pod)
	p.Pod = pod
	if tr := s.engine.Trace(); tr.Linking() { // explain: this attempt is about the pod, not the last one
		tr.SetCause(tr.LastOf("Pod", pod.Namespace, pod.Name))
	}
	cycle := s.queue.SchedulingCycle()
	s.stats.Attempts++
	pi := p.PodInfo
	if pi == nil || pi.Pod != pod {
		pi = framework.Derive(s.derived, pod)
		p.PodInfo, s.derived = pi, pi
	}
	ni, err := s.schedulePod(pi)
	if err != nil {
		s.handleFailure(p, pod, err, cycle)
		return
	}
	node := ni.Name()
	claims, err := s.selectNodeForClaims(node)
	if err != nil {
		s.handleFailure(p, pod, fmt.Errorf("running PreBind plugin %q: %w", volumebinding.Name, err), cycle)
		return
	}
	if len(claims) > 0 {
		s.waitForVolumes(p, pod, node, claims, cycle)
		return
	}
	s.bind(p, pod, node, ni, cycle)
}

// bind binds the pod to node (the binding cycle's last step). ni is the
// cache's NodeInfo of node when the cycle chose it just now (nil after a
// wait for volumes): the binding then follows its store handle and the
// cache accounts the pod there, neither looking node up by name.
func (s *Scheduler) bind(p *queue.QueuedPodInfo, pod *corev1.Pod, node string, ni *framework.NodeInfo, cycle int64) {
	nodeRef := &store.Ref{}
	if ni != nil {
		nodeRef = &ni.StoreRef
	}
	bound, err := s.client.BindRef(&p.Ref, pod.Namespace, pod.Name, nodeRef, node)
	if err != nil {
		s.handleFailure(p, pod, fmt.Errorf("binding rejected: %w", err), cycle)
		return
	}
	// Assumed at once, confirmed by the watch. Bind changed only the node
	// name and the PodScheduled condition, so what the cycle derived from
	// pod holds for the bound object too.
	if pi := p.PodInfo; pi != nil && pi.Pod == pod {
		pi.Pod = bound
		s.cache.AddPodInfoOn(pi, ni)
	} else {
		s.cache.AddPod(bound)
	}
	s.client.Event(bound, corev1.EventTypeNormal, "Scheduled",
		"Successfully assigned "+pod.Namespace+"/"+pod.Name+" to "+node) // one allocation, where Sprintf boxes its arguments
	p.PodInfo = nil // the cache's now
	s.queue.Done(p)
	delete(s.pending, p.Key)
	s.stats.Scheduled++
}

// selectNodeForClaims is the first half of VolumeBinding's PreBind: the
// pod's unbound WaitForFirstConsumer claims learn the chosen node (the
// volume.kubernetes.io/selected-node annotation), so the PersistentVolume
// controller binds or provisions them there. It returns their keys.
func (s *Scheduler) selectNodeForClaims(node string) ([]string, error) {
	var keys []string
	for _, pvc := range volumebinding.UnboundWaitingClaims(s.state) {
		keys = append(keys, store.KeyOf(pvc))
		if pvc.Annotations[volumeutil.AnnSelectedNode] == node {
			continue
		}
		n := pvc.DeepCopy()
		if n.Annotations == nil {
			n.Annotations = map[string]string{}
		}
		n.Annotations[volumeutil.AnnSelectedNode] = node
		if _, err := s.client.Update(n); err != nil {
			return nil, err
		}
	}
	return keys, nil
}

// Volume binding waits: upstream's PreBind polls its claims every
// second until they are bound, for --bind-timeout-seconds at most.
const (
	bindPollInterval = time.Second
	bindTimeout      = 600 * time.Second
)

// waitForVolumes is the second half of VolumeBinding's PreBind: the pod
// is assumed on node (its room taken) while its claims are provisioned
// or bound, and bound once all are; the Scheduled event comes then. A
// claim still unbound after the bind timeout fails the attempt.
func (s *Scheduler) waitForVolumes(p *queue.QueuedPodInfo, pod *corev1.Pod, node string, claims []string, cycle int64) {
	key := store.KeyOf(pod)
	assumed := pod.DeepCopy()
	assumed.Spec.NodeName = node
	s.cache.AddPod(assumed)
	s.binding[key] = true
	start := s.engine.Elapsed()
	var poll func()
	poll = func() {
		o, ok := s.st.Get("Pod", pod.Namespace, pod.Name)
		if !ok || o.GetUID() != pod.UID || !s.responsible(o.(*corev1.Pod)) {
			delete(s.binding, key)
			s.cache.RemovePod(assumed)
			s.queue.Done(p) // deleted meanwhile
			s.moveOnEvent(framework.AssignedPodDelete)
			return
		}
		cur := o.(*corev1.Pod)
		if s.claimsBound(claims) {
			delete(s.binding, key)
			s.cache.RemovePod(assumed) // bind accounts the bound pod, or fails
			s.bind(p, cur, node, nil, cycle)
			return
		}
		if s.engine.Elapsed()-start >= bindTimeout {
			delete(s.binding, key)
			s.cache.RemovePod(assumed)
			s.handleFailure(p, cur, fmt.Errorf("running PreBind plugin %q: binding volumes: context deadline exceeded", volumebinding.Name), cycle)
			s.moveOnEvent(framework.AssignedPodDelete)
			return
		}
		s.engine.After(bindPollInterval, "scheduler/bind-volumes", poll)
	}
	s.engine.After(bindPollInterval, "scheduler/bind-volumes", poll)
}

// claimsBound: every claim is bound to a volume (the PV controller
// completed the bind).
func (s *Scheduler) claimsBound(keys []string) bool {
	for _, k := range keys {
		ns, name := store.SplitKey(k)
		o, ok := s.st.Get("PersistentVolumeClaim", ns, name)
		if !ok {
			return false
		}
		pvc := o.(*corev1.PersistentVolumeClaim)
		if pvc.Spec.VolumeName == "" || pvc.Annotations[volumeutil.AnnBindCompleted] == "" {
			return false
		}
	}
	return true
}

// schedulePod picks a node for pi.Pod or returns a *framework.FitError (or
// another error).
func (s *Scheduler) schedulePod(pi *framework.PodInfo) (*framework.NodeInfo, error) {
	pod := pi.Pod
	nodes := s.cache.NodeInfos()
	if len(nodes) == 0 {
		return nil, ErrNoNodesAvailable
	}
	s.state.Reset()
	s.state.SetPodInfo(pi) // derived once: plugins read it instead of deriving it again
	feasible, diag, err := s.findNodesThatFitPod(pod, nodes)
	if err != nil {
		return nil, err
	}
	if len(feasible) == 0 {
		return nil, &framework.FitError{Pod: pod, NumAllNodes: len(nodes), Diagnosis: diag}
	}
	if len(feasible) == 1 {
		return feasible[0], nil
	}
	if err := s.prioritize(pod, feasible); err != nil {
		return nil, err
	}
	return s.selectHost(feasible), nil
}

// useNodeRows lets the filter and score loops read the cache's node rows
// (framework.NodeTable); tests turn it off to compare with reading the
// NodeInfos.
var useNodeRows = true

// findNodesThatFitPod runs PreFilter, then Filter over the nodes starting
// at nextStartNodeIndex until enough feasible nodes are found.
func (s *Scheduler) findNodesThatFitPod(pod *corev1.Pod, nodes []*framework.NodeInfo) ([]*framework.NodeInfo, framework.Diagnosis, error) {
	var diag framework.Diagnosis
	if st := s.fwk.RunPreFilterPlugins(s.state, pod); !st.IsSuccess() {
		if st.Code() == framework.Error {
			return nil, diag, st.AsError()
		}
		diag.PreFilterMsg = st.Message()
		diag.UnschedulablePlugins = []string{st.Plugin()}
		for _, ni := range nodes {
			diag.NodeStatuses = append(diag.NodeStatuses, framework.NodeStatus{Node: ni, Status: st})
		}
		return nil, diag, nil
	}
	all := len(nodes)
	// A PreFilterResult (NodeAffinity on metadata.name, as DaemonSet pods
	// have) narrows the nodes filtered; the others count as rejected by
	// the narrowing plugins, as upstream's absent-nodes status.
	names, narrowedBy := s.state.PreFilterNodes()
	s.rows, s.rowFlagsKnown = nil, false
	if names != nil {
		nodes = s.narrowed(names)
		diag.UnschedulablePlugins = narrowedBy
		if len(nodes) == 0 { // named nodes that do not exist
			return nil, s.absent(diag, nil, narrowedBy, all), nil
		}
	}
	s.rule, s.quick = s.fwk.QuickFilterRule(s.state, pod)
	if rows := s.cache.Table().Rows; useNodeRows && names == nil && len(rows) == len(nodes) {
		s.rows = rows
	}
	want := s.numFeasibleNodesToFind(len(nodes))
	n := len(nodes)
	start := s.nextStartNodeIndex % n
	if s.rows != nil && s.quick {
		if feasible, ok := s.quickWindow(nodes, start, want); ok {
			s.nextStartNodeIndex = (s.nextStartNodeIndex + want) % all
			return feasible, diag, nil
		}
	}
	feasible, statuses, feasibleRows := s.feasible[:0], s.statuses[:0], s.feasibleRows[:0]
	processed := 0
	at := start
	// Candidates are filtered in rounds (in parallel when a round is
	// large, see parallel.go) and read back in rotation order until want
	// feasible nodes are found: the same nodes, statuses and count of
	// processed nodes as filtering one node after the other.
	for processed < n && len(feasible) < want {
		m := min(n-processed, max(want-len(feasible), filterChunk))
		results := s.filterRound(pod, nodes, start, processed, m)
		for k := 0; k < m && len(feasible) < want; k++ {
			ni, row := nodes[at], int32(at)
			if at++; at == n { // wrap without a division per node
				at = 0
			}
			processed++
			st := results[k]
			switch {
			case st.IsSuccess():
				feasible = append(feasible, ni)
				feasibleRows = append(feasibleRows, row)
			case st.Code() == framework.Error:
				return nil, diag, st.AsError()
			default:
				statuses = append(statuses, framework.NodeStatus{Node: ni, Status: st})
			}
		}
	}
	clear(s.filterOut) // drop the statuses for the garbage collector
	s.nextStartNodeIndex = (s.nextStartNodeIndex + processed) % all
	s.feasible, s.statuses, s.feasibleRows = feasible, statuses, feasibleRows
	s.rowOf = feasibleRows
	if len(feasible) == 0 {
		if names != nil {
			return feasible, s.absent(diag, statuses, narrowedBy, all), nil
		}
		diag.NodeStatuses = slices.Clone(statuses)
		diag.UnschedulablePlugins = rejectors(statuses)
	}
	return feasible, diag, nil
}

// quickWindow is the common cycle's filter: when the cycle's QuickRule
// passes every one of the want candidates from start on (rotation order),
// those candidates are the feasible nodes, and the loop of
// findNodesThatFitPod would have found exactly them, processing want
// nodes and recording no status. The rule is read off the rows (s.rows
// is set), so nothing but the candidates' rows is read, and when the
// candidates do not wrap past the end of the list the feasible nodes
// and their rows are subslices of the cache's list and of s.ordinals:
// nothing is copied. Either may alias memory the cycle does not own, so
// neither is kept in s.feasible or s.feasibleRows, and the cycle only
// reads them. It reports false (nothing changed) when some candidate
// fails the rule or there are fewer than want nodes.
func (s *Scheduler) quickWindow(nodes []*framework.NodeInfo, start, want int) ([]*framework.NodeInfo, bool) {
	n := len(nodes)
	if want > n {
		return nil, false
	}
	rows, rule := s.rows[:n], &s.rule
	end := start + want
	var union framework.RowFlags
	for i := start; i < min(end, n); i++ {
		if !rule.PassesRow(&rows[i]) {
			return nil, false
		}
		union |= rows[i].Flags
	}
	for i := 0; i < end-n; i++ { // the candidates past the wrap
		if !rule.PassesRow(&rows[i]) {
			return nil, false
		}
		union |= rows[i].Flags
	}
	s.rowFlags, s.rowFlagsKnown = union, true
	if len(s.ordinals) < n {
		s.ordinals = make([]int32, n)
		for i := range s.ordinals {
			s.ordinals[i] = int32(i)
		}
	}
	if end <= n {
		s.rowOf = s.ordinals[start:end]
		return nodes[start:end], true
	}
	feasible := append(append(s.feasible[:0], nodes[start:]...), nodes[:end-n]...)
	rowOf := append(append(s.feasibleRows[:0], s.ordinals[start:n]...), s.ordinals[:end-n]...)
	s.feasible, s.feasibleRows, s.rowOf = feasible, rowOf, rowOf
	return feasible, true
}

// narrowed returns the existing nodes among names, sorted by name
// (upstream walks its set in no particular order; one name is the common
// case).
func (s *Scheduler) narrowed(names sets.Set[string]) []*framework.NodeInfo {
	var out []*framework.NodeInfo
	for _, name := range sets.List(names) {
		if ni := s.cache.Get(name); ni != nil && ni.Node() != nil {
			out = append(out, ni)
		}
	}
	return out
}

// absent completes the diagnosis of a narrowed cycle that found no node:
// the filtered nodes' statuses, then every other node as rejected with
// "node(s) didn't satisfy plugin(s) [X]", so that the FailedScheduling
// histogram counts all nodes as upstream's does.
func (s *Scheduler) absent(diag framework.Diagnosis, statuses []framework.NodeStatus, narrowedBy []string, all int) framework.Diagnosis {
	st := framework.NewStatus(framework.UnschedulableAndUnresolvable,
		fmt.Sprintf("node(s) didn't satisfy plugin(s) %v", narrowedBy)).WithPlugin(narrowedBy[0])
	seen := make(map[string]bool, len(statuses))
	diag.NodeStatuses = make([]framework.NodeStatus, 0, all)
	for _, ns := range statuses {
		seen[ns.Node.Name()] = true
		diag.NodeStatuses = append(diag.NodeStatuses, ns)
	}
	for _, ni := range s.cache.NodeInfos() {
		if !seen[ni.Name()] {
			diag.NodeStatuses = append(diag.NodeStatuses, framework.NodeStatus{Node: ni, Status: st})
		}
	}
	plugins := rejectors(statuses)
	for _, p := range narrowedBy {
		if !slices.Contains(plugins, p) {
			plugins = append(plugins, p)
		}
	}
	slices.Sort(plugins)
	diag.UnschedulablePlugins = plugins
	return diag
}

func rejectors(statuses []framework.NodeStatus) []string {
	var out []string
	for _, ns := range statuses {
		if name := ns.Status.Plugin(); name != "" && !slices.Contains(out, name) {
			out = append(out, name)
		}
	}
	slices.Sort(out)
	return out
}

// numFeasibleNodesToFind is upstream's adaptive percentageOfNodesToScore:
// all nodes below 100; else max(5, 50 - N/125) percent, at least 100.
func (s *Scheduler) numFeasibleNodesToFind(numAll int) int {
	return NumFeasibleNodesToFind(s.cfg.PercentageOfNodesToScore, numAll)
}

// NumFeasibleNodesToFind is how many feasible nodes a cycle looks for
// among numAll nodes (pct 0 = adaptive).
func NumFeasibleNodesToFind(pct int32, numAll int) int {
	if numAll < minFeasibleNodesToFind || pct >= 100 {
		return numAll
	}
	if pct <= 0 {
		pct = int32(50 - numAll/125)
		if pct < minFeasibleNodesPercentageToFind {
			pct = minFeasibleNodesPercentageToFind
		}
	}
	n := numAll * int(pct) / 100
	return max(n, minFeasibleNodesToFind)
}

// prioritize runs PreScore and Score into s.totals.
func (s *Scheduler) prioritize(pod *corev1.Pod, feasible []*framework.NodeInfo) error {
	if cap(s.totals) < len(feasible) {
		s.totals = make([]int64, len(feasible))
	}
	s.totals = s.totals[:len(feasible)]
	if !s.fwk.HasScorePlugins() {
		clear(s.totals)
		return nil
	}
	if s.rows != nil { // rowOf[j] is feasible[j]'s row
		s.state.SetScoreTable(s.cache.Table(), s.rowOf) // s.rows is its Rows
		if s.rowFlagsKnown {
			s.state.SetScoreRowFlags(s.rowFlags)
		}
	}
	if st := s.fwk.RunPreScorePlugins(s.state, pod, feasible); !st.IsSuccess() {
		return st.AsError()
	}
	if st := s.fwk.RunScorePlugins(s.state, pod, feasible, s.totals); !st.IsSuccess() { // sets every total
		return st.AsError()
	}
	return nil
}

// selectHost returns the highest-scoring node, breaking ties uniformly at
// random by reservoir sampling over the seeded "scheduler/ties" stream.
// A tie draws with sim.Rand's Int64N, which draws what math/rand/v2's
// IntN draws (both are its uint64n on a 64-bit machine) from the PCG held
// in the stream, not through the Source interface: a cycle at 5,000
// nodes draws for a few hundred ties.
//
// The totals and the best one so far are locals: the draw is a call,
// after which fields of s would be loaded (and bounds-checked) again.
func (s *Scheduler) selectHost(feasible []*framework.NodeInfo) *framework.NodeInfo {
	totals, ties := s.totals[:len(feasible)], s.ties
	best, top, count := 0, totals[0], int64(1)
	for i := 1; i < len(totals); i++ {
		switch t := totals[i]; {
		case t > top:
			best, top, count = i, t, 1
		case t == top:
			count++
			if ties.Int64N(count) == 0 {
				best = i
			}
		}
	}
	return feasible[best]
}

// handleFailure records a failed cycle the way upstream does: PostFilter
// (preemption) for a FitError, requeue, a FailedScheduling event and the
// PodScheduled=False condition.
func (s *Scheduler) handleFailure(p *queue.QueuedPodInfo, pod *corev1.Pod, err error, cycle int64) {
	reason := corev1.PodReasonSchedulerError
	nominated := ""
	var fitErr *framework.FitError
	if errors.As(err, &fitErr) {
		reason = corev1.PodReasonUnschedulable
		s.stats.Unschedulable++
		p.UnschedulablePlugins = fitErr.Diagnosis.UnschedulablePlugins
		res, st := s.fwk.RunPostFilterPlugins(s.state, pod, fitErr.Diagnosis.NodeStatuses)
		if st != nil {
			fitErr.Diagnosis.PostFilterMsg = st.Message()
		}
		if res != nil && res.NominatedNodeName != "" {
			nominated = res.NominatedNodeName
			s.preempt(pod, res)
		}
	} else {
		s.stats.Errors++
		p.UnschedulablePlugins = nil
	}
	s.queue.AddUnschedulable(p, cycle)
	msg := err.Error()
	s.pending[p.Key] = msg
	s.client.Event(pod, corev1.EventTypeWarning, "FailedScheduling", msg)
	s.updatePodCondition(pod, reason, msg, nominated)
}

// preempt deletes the victims chosen by the PostFilter.
func (s *Scheduler) preempt(pod *corev1.Pod, res *framework.PostFilterResult) {
	for _, v := range res.Victims {
		s.client.Event(v, corev1.EventTypeNormal, "Preempted",
			fmt.Sprintf("Preempted by pod %s on node %s", pod.UID, res.NominatedNodeName))
		if err := s.client.Delete("Pod", v.Namespace, v.Name, apiserver.DeleteOptions{}); err == nil {
			s.stats.Preemptions++
		}
	}
}

// updatePodCondition sets PodScheduled=False with reason and message (and
// the nominated node), skipping the write when nothing changes.
func (s *Scheduler) updatePodCondition(pod *corev1.Pod, reason, msg, nominated string) {
	cur, ok := s.st.Get("Pod", pod.Namespace, pod.Name)
	if !ok {
		return
	}
	p := cur.(*corev1.Pod)
	if nominated == "" {
		nominated = p.Status.NominatedNodeName
	}
	for _, c := range p.Status.Conditions {
		if c.Type == corev1.PodScheduled && c.Status == corev1.ConditionFalse && c.Reason == reason && c.Message == msg && p.Status.NominatedNodeName == nominated {
			return
		}
	}
	np := p.DeepCopy()
	np.Status.NominatedNodeName = nominated
	cond := corev1.PodCondition{Type: corev1.PodScheduled, Status: corev1.ConditionFalse, Reason: reason, Message: msg,
		LastTransitionTime: metav1.NewTime(s.engine.Now())}
	replaced := false
	for i := range np.Status.Conditions {
		if np.Status.Conditions[i].Type == corev1.PodScheduled {
			if np.Status.Conditions[i].Status == cond.Status {
				cond.LastTransitionTime = np.Status.Conditions[i].LastTransitionTime
			}
			np.Status.Conditions[i] = cond
			replaced = true
		}
	}
	if !replaced {
		np.Status.Conditions = append(np.Status.Conditions, cond)
	}
	_, _ = s.client.UpdateStatus(np) // best effort, as upstream
}
