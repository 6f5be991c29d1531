package runner

import (
	"cmp"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/utils/ptr"

	"github.com/kubesim/kubesim/scenarios"
	"github.com/kubesim/kubesim/sim/cluster"
	"github.com/kubesim/kubesim/sim/podutil"
)

// mode is how an expectation's timing is judged.
type mode int

const (
	// modeAt: holds at one moment.
	modeAt mode = iota
	// modeEventually (by, within/after): holds at the end of the window,
	// without a break since the moment reported.
	modeEventually
	// modeThroughout (always, from/until): holds after every event of
	// the window.
	modeThroughout
)

// check is one expectation being evaluated during the run.
type check struct {
	exp        scenarios.Expectation
	mode       mode
	start, end time.Duration // the window; end < 0 = the end of the run
	passed     bool
	done       bool
	when       time.Duration
	message    string

	// eventually: whether the condition holds at the latest instant
	// evaluated, and since when without a break.
	holding bool
	since   time.Duration

	// cache: conditions that read only the store are re-evaluated when its
	// revision moved.
	cached  bool
	lastRev int64
	lastOK  bool
	lastMsg string
	// deploymentReady and available read one Deployment: their answer
	// moves only with that object (its resourceVersion; "" = not found),
	// not with every lease renewal in the cluster.
	lastObjRV string
	// lastKindRev: the store's Deployment revision at lastObjRV (when it
	// has not moved, neither has the Deployment: no lookup).
	lastKindRev int64
	// revs is shared by a run's checks: the Deployment revision is looked
	// up once per instant, not once per check.
	revs *kindRevs
	// pendingFor: the oldest Pending pod at lastRev ("" when none).
	oldest     time.Time
	oldestName string
}

// kindRevs caches the store's Deployment revision (store.KindRev) while
// the checks are evaluated at one moment: the run invalidates it before
// each round, and the checks only read.
type kindRevs struct {
	valid       bool
	deployments int64
}

func (k *kindRevs) invalidate() { k.valid = false }

func (k *kindRevs) deploymentRev(c *cluster.Cluster) int64 {
	if !k.valid {
		k.valid, k.deployments = true, c.Store.KindRev("Deployment")
	}
	return k.deployments
}

func newChecks(exps []scenarios.Expectation, revs *kindRevs) []*check {
	out := make([]*check, len(exps))
	for i, e := range exps {
		ck := &check{exp: e, end: -1, revs: revs}
		switch {
		case e.At != nil:
			ck.mode, ck.start, ck.end = modeAt, *e.At, *e.At
		case e.By != nil:
			ck.mode, ck.end = modeEventually, *e.By
		case e.Within != nil:
			ck.mode, ck.start, ck.end = modeEventually, e.AfterAt, e.AfterAt+*e.Within
		case e.From != nil:
			ck.mode, ck.start, ck.passed = modeThroughout, *e.From, true
			if e.Until != nil {
				ck.end = *e.Until
			}
		default: // always
			ck.mode, ck.passed = modeThroughout, true
		}
		out[i] = ck
	}
	return out
}

// inWindow reports whether now is inside [start, end].
func (ck *check) inWindow(now time.Duration) bool {
	return now >= ck.start && (ck.end < 0 || now <= ck.end)
}

// evaluateInstant runs at the end of every virtual instant.
func (ck *check) evaluateInstant(c *cluster.Cluster, now time.Duration) {
	if ck.done {
		return
	}
	switch ck.mode {
	case modeEventually:
		if ck.end >= 0 && now > ck.end {
			return
		}
		ok, msg := ck.holds(c)
		if ok && !ck.holding {
			ck.holding, ck.since = true, now
		}
		if !ok {
			ck.holding, ck.message = false, msg
		}
	case modeThroughout:
		if !ck.inWindow(now) {
			return
		}
		if ok, msg := ck.holds(c); !ok {
			ck.passed, ck.done, ck.when, ck.message = false, true, now, msg
		}
	}
}

// evaluateAt runs once the clock reached a stop time: an "at" check's
// moment, the start of a throughout window (the state carried into it
// from an earlier instant must hold too).
func (ck *check) evaluateAt(c *cluster.Cluster) {
	now := c.Engine.Elapsed()
	switch ck.mode {
	case modeAt:
		ok, msg := ck.holds(c)
		ck.passed, ck.done, ck.when, ck.message = ok, true, now, msg
	case modeThroughout:
		ck.evaluateInstant(c, now)
	}
}

// stops are the virtual times at which Finish pauses for this check.
func (ck *check) stops() []time.Duration {
	switch ck.mode {
	case modeAt:
		return []time.Duration{ck.start}
	case modeThroughout:
		return []time.Duration{ck.start}
	}
	return nil
}

func (ck *check) result(end time.Duration) ExpectationResult {
	e := ck.exp
	res := ExpectationResult{Index: e.Index, Line: e.Line(), Description: e.Description(), Passed: ck.passed}
	switch ck.mode {
	case modeEventually:
		deadline := ck.end
		ck.passed = ck.holding && deadline <= end
		res.Passed = ck.passed
		switch {
		case deadline > end:
			res.Message = fmt.Sprintf("the run ended at %s, before the deadline %s", end, deadline)
		case ck.passed:
			at := max(ck.since, ck.start)
			res.setAt(at)
			if e.Within != nil {
				rec := (at - ck.start).Seconds()
				res.RecoverySeconds = &rec
			}
		default:
			res.Message = "did not hold at " + deadline.String()
			if ck.message != "" {
				res.Message += ": " + ck.message
			}
		}
	case modeAt:
		res.setAt(ck.when)
		if !ck.passed {
			res.Message = ck.message
		}
	case modeThroughout:
		if !ck.passed {
			res.setAt(ck.when)
			res.Message = ck.message
		}
	}
	return res
}

func (r *ExpectationResult) setAt(d time.Duration) {
	r.At = d.String()
	s := d.Seconds()
	r.AtSeconds = &s
}

// holds evaluates the expectation now, re-using the last answer when the
// store did not change and the condition reads nothing else.
func (ck *check) holds(c *cluster.Cluster) (bool, string) {
	rev := c.Store.Rev()
	if pf := ck.exp.PendingFor; pf != nil {
		// The answer moves with the clock too: cache the oldest Pending
		// pod (a scan of every pod) per store revision, compare its age now.
		if !ck.cached || rev != ck.lastRev {
			ck.oldest, ck.oldestName = oldestPending(c)
			ck.cached, ck.lastRev = true, rev
		}
		if ck.oldestName == "" {
			return true, ""
		}
		age := c.Engine.Now().Sub(ck.oldest)
		return age <= pf.AtMost, fmt.Sprintf("pod %s Pending for %s, want at most %s", ck.oldestName, age, pf.AtMost)
	}
	if ns, name, one := oneDeployment(ck.exp); one {
		kr := ck.revs.deploymentRev(c)
		if ck.cached && kr == ck.lastKindRev {
			return ck.lastOK, ck.lastMsg
		}
		ck.lastKindRev = kr
		rv := ""
		if o, found := c.Store.Get("Deployment", ns, name); found {
			rv = o.GetResourceVersion()
		}
		if ck.cached && rv == ck.lastObjRV {
			return ck.lastOK, ck.lastMsg
		}
		ok, msg := holds(c, ck.exp)
		ck.cached, ck.lastObjRV, ck.lastOK, ck.lastMsg = true, rv, ok, msg
		return ok, msg
	}
	storeOnly := ck.exp.EtcdQuorum == nil
	if storeOnly && ck.cached && rev == ck.lastRev {
		return ck.lastOK, ck.lastMsg
	}
	ok, msg := holds(c, ck.exp)
	ck.cached, ck.lastRev, ck.lastOK, ck.lastMsg = true, rev, ok, msg
	return ok, msg
}

// oneDeployment names the Deployment an expectation reads, when that is
// all it reads.
func oneDeployment(e scenarios.Expectation) (namespace, name string, ok bool) {
	switch {
	case e.DeploymentReady != nil:
		return nsOr(e.DeploymentReady.Namespace), e.DeploymentReady.Name, true
	case e.Available != nil:
		return nsOr(e.Available.Namespace), e.Available.Deployment, true
	}
	return "", "", false
}

// holds evaluates an expectation's condition against the cluster now.
func holds(c *cluster.Cluster, e scenarios.Expectation) (bool, string) {
	st := c.Store
	switch {
	case e.DeploymentReady != nil:
		d := e.DeploymentReady
		dep, missing := namedDeployment(c, d.Namespace, d.Name)
		if dep == nil {
			return false, missing
		}
		ok := dep.Status.ReadyReplicas >= d.Replicas && dep.Status.AvailableReplicas >= d.Replicas && ptr.Deref(dep.Spec.Replicas, 1) == d.Replicas
		return ok, fmt.Sprintf("deployment %s: %d/%d ready", d.Name, dep.Status.ReadyReplicas, d.Replicas)
	case e.PodsRunning != nil:
		return countPods(c, e.PodsRunning, "running", podRunning)
	case e.PodsReady != nil:
		return countPods(c, e.PodsReady, "ready", func(p *corev1.Pod) bool {
			return p.DeletionTimestamp == nil && podutil.IsReady(p)
		})
	case e.CrashLoop != nil:
		return countPods(c, e.CrashLoop, "in CrashLoopBackOff", func(p *corev1.Pod) bool {
			return podutil.Status(p) == "CrashLoopBackOff"
		})
	case e.Reachable != nil:
		return reachable(c, e.Reachable)
	case e.NodesReady != nil:
		n := 0
		for _, o := range st.List("Node", "") {
			if podutil.NodeReady(o.(*corev1.Node)) == corev1.ConditionTrue {
				n++
			}
		}
		want := e.NodesReady.Want
		if want.Op == "" {
			want = scenarios.Count{Op: "==", N: e.NodesReady.Count}
		}
		return want.Holds(n), fmt.Sprintf("%d nodes ready, %s", n, want.Want())
	case e.NoOvercommit:
		for _, n := range c.Nodes() {
			o, ok := st.Get("Node", "", n.Name)
			if !ok {
				continue
			}
			alloc := podutil.NodeAllocatable(o.(*corev1.Node))
			if req := NodeRequests(c, n.Name); !req.Fits(alloc) {
				return false, fmt.Sprintf("node %s requests %dm cpu / %d bytes / %d pods over allocatable %dm / %d / %d",
					n.Name, req.MilliCPU, req.Memory, req.Pods, alloc.MilliCPU, alloc.Memory, alloc.Pods)
			}
		}
		return true, ""
	case e.Pending != nil:
		n := 0
		for _, o := range st.List("Pod", "") {
			if p := o.(*corev1.Pod); p.Status.Phase == corev1.PodPending || p.Status.Phase == "" {
				n++
			}
		}
		return n == e.Pending.Count, fmt.Sprintf("%d pods pending, want %d", n, e.Pending.Count)
	case e.EtcdQuorum != nil:
		q := c.Etcd.Quorum()
		return q == *e.EtcdQuorum, fmt.Sprintf("etcd quorum is %v", q)
	case e.Restarts != nil:
		r := e.Restarts
		sel, err := labels.Parse(r.Selector)
		if err != nil {
			return false, err.Error()
		}
		for _, o := range st.Select("Pod", nsOr(r.Namespace), sel) {
			p := o.(*corev1.Pod)
			for _, cs := range p.Status.ContainerStatuses {
				if int(cs.RestartCount) > r.AtMost {
					return false, fmt.Sprintf("container %s of pod %s restarted %d times, want at most %d", cs.Name, p.Name, cs.RestartCount, r.AtMost)
				}
			}
		}
		return true, ""
	case e.Available != nil:
		a := e.Available
		dep, missing := namedDeployment(c, a.Namespace, a.Deployment)
		if dep == nil {
			return false, missing
		}
		n := dep.Status.AvailableReplicas
		return n >= a.AtLeast, fmt.Sprintf("deployment %s: %d available, want at least %d", a.Deployment, n, a.AtLeast)
	case e.NoPDBViolated:
		for _, o := range st.List("PodDisruptionBudget", "") {
			pdb := o.(*policyv1.PodDisruptionBudget)
			if pdb.Status.ObservedGeneration > 0 && pdb.Status.CurrentHealthy < pdb.Status.DesiredHealthy {
				return false, fmt.Sprintf("PodDisruptionBudget %s/%s: %d healthy, desired %d", pdb.Namespace, pdb.Name, pdb.Status.CurrentHealthy, pdb.Status.DesiredHealthy)
			}
		}
		return true, ""
	case e.Image != nil:
		return imageHolds(c, e.Image)
	case e.Revision != nil:
		r := e.Revision
		d, missing := namedDeployment(c, r.Namespace, r.Deployment)
		if d == nil {
			return false, missing
		}
		rev := d.Annotations["deployment.kubernetes.io/revision"]
		done := d.Status.ObservedGeneration >= d.Generation && d.Status.UpdatedReplicas == ptr.Deref(d.Spec.Replicas, 1) &&
			d.Status.Replicas == d.Status.UpdatedReplicas && d.Status.AvailableReplicas == d.Status.UpdatedReplicas
		return rev == strconv.FormatInt(r.Revision, 10) && done,
			fmt.Sprintf("deployment %s at revision %s (%d/%d updated, %d available), want revision %d rolled out",
				r.Deployment, cmp.Or(rev, "<none>"), d.Status.UpdatedReplicas, ptr.Deref(d.Spec.Replicas, 1), d.Status.AvailableReplicas, r.Revision)
	}
	return false, "empty expectation"
}

// oldestPending is the creation time and name of the pod Pending the
// longest (earliest created; ties by name), "" when none is.
func oldestPending(c *cluster.Cluster) (time.Time, string) {
	var t time.Time
	name := ""
	for _, o := range c.Store.List("Pod", "") {
		p := o.(*corev1.Pod)
		if (p.Status.Phase != corev1.PodPending && p.Status.Phase != "") || p.DeletionTimestamp != nil {
			continue
		}
		n := p.Namespace + "/" + p.Name
		if ct := p.CreationTimestamp.Time; name == "" || ct.Before(t) || ct.Equal(t) && n < name {
			t, name = ct, n
		}
	}
	return t, name
}

// podRunning: phase Running, not being deleted, and every container
// running (a container waiting in CrashLoopBackOff, or between restarts,
// keeps the pod's phase Running but the pod serves nothing).
func podRunning(p *corev1.Pod) bool {
	if p.Status.Phase != corev1.PodRunning || p.DeletionTimestamp != nil {
		return false
	}
	for _, cs := range p.Status.ContainerStatuses {
		if cs.State.Running == nil {
			return false
		}
	}
	return true
}

func countPods(c *cluster.Cluster, q *scenarios.PodsRunning, what string, match func(*corev1.Pod) bool) (bool, string) {
	sel, err := labels.Parse(q.Selector)
	if err != nil {
		return false, err.Error()
	}
	n, others := 0, map[string]int{}
	for _, o := range c.Store.Select("Pod", nsOr(q.Namespace), sel) {
		if p := o.(*corev1.Pod); match(p) {
			n++
		} else {
			others[podutil.Status(p)]++
		}
	}
	holds := q.Want.Holds(n)
	msg := fmt.Sprintf("%d pods %s, %s", n, what, q.Want.Want())
	if !holds && len(others) > 0 {
		// What kubectl would show for the others says why.
		var parts []string
		for _, s := range slices.Sorted(maps.Keys(others)) {
			parts = append(parts, fmt.Sprintf("%d %s", others[s], s))
		}
		msg += " (others: " + strings.Join(parts, ", ") + ")"
	}
	return holds, msg
}

func imageHolds(c *cluster.Cluster, q *scenarios.ImageCheck) (bool, string) {
	d, missing := namedDeployment(c, q.Namespace, q.Deployment)
	if d == nil {
		return false, missing
	}
	check := func(where string, cs []corev1.Container) (bool, string) {
		seen := false
		for _, ct := range cs {
			if q.Container != "" && ct.Name != q.Container {
				continue
			}
			seen = true
			if ct.Image != q.Image {
				return false, fmt.Sprintf("%s: container %s runs %s, want %s", where, ct.Name, ct.Image, q.Image)
			}
		}
		if !seen {
			return false, fmt.Sprintf("%s: no container %s", where, q.Container)
		}
		return true, ""
	}
	if ok, msg := check("deployment "+d.Name, d.Spec.Template.Spec.Containers); !ok {
		return false, msg
	}
	sel, err := metav1.LabelSelectorAsSelector(d.Spec.Selector)
	if err != nil {
		return false, err.Error()
	}
	for _, po := range c.Store.Select("Pod", d.Namespace, sel) {
		p := po.(*corev1.Pod)
		if p.DeletionTimestamp != nil || podutil.IsTerminal(p) {
			continue
		}
		if ok, msg := check("pod "+p.Name, p.Spec.Containers); !ok {
			return false, msg
		}
	}
	return true, ""
}

// namedDeployment is the Deployment an expectation names, or nil and the
// check's "not found" message.
func namedDeployment(c *cluster.Cluster, ns, name string) (*appsv1.Deployment, string) {
	o, ok := c.Store.Get("Deployment", nsOr(ns), name)
	if !ok {
		return nil, "deployment " + name + " not found"
	}
	return o.(*appsv1.Deployment), ""
}

func nsOr(ns string) string {
	return cmp.Or(ns, metav1.NamespaceDefault)
}
