package runner

import (
	"fmt"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"

	"github.com/kubesim/kubesim/scenarios"
	"github.com/kubesim/kubesim/sim/cluster"
	"github.com/kubesim/kubesim/sim/podutil"
)

// check is one expectation being evaluated during the run.
type check struct {
	exp     scenarios.Expectation
	at, by  *time.Duration
	always  bool
	passed  bool // by: held once; always: never failed so far
	done    bool
	when    time.Duration
	message string
}

func newChecks(exps []scenarios.Expectation) []*check {
	out := make([]*check, len(exps))
	for i, e := range exps {
		out[i] = &check{exp: e, at: e.At, by: e.By, always: e.Always, passed: e.Always}
	}
	return out
}

// evaluateInstant runs at the end of every virtual instant: "by" holds if
// the condition is true at some instant no later than its deadline;
// "always" fails at the first instant it is false.
func (ck *check) evaluateInstant(c *cluster.Cluster, now time.Duration) {
	switch {
	case ck.done:
	case ck.by != nil:
		if now > *ck.by {
			return
		}
		if ok, _ := holds(c, ck.exp); ok {
			ck.passed, ck.done, ck.when = true, true, now
		}
	case ck.always:
		if ok, msg := holds(c, ck.exp); !ok {
			ck.passed, ck.done, ck.when, ck.message = false, true, now, msg
		}
	}
}

// evaluateAt runs once the clock reached the "at" time.
func (ck *check) evaluateAt(c *cluster.Cluster) {
	ok, msg := holds(c, ck.exp)
	ck.passed, ck.done, ck.when, ck.message = ok, true, c.Engine.Elapsed(), msg
}

func (ck *check) result(end time.Duration) ExpectationResult {
	res := ExpectationResult{Index: ck.exp.Index, Description: ck.exp.Description(), Passed: ck.passed}
	switch {
	case ck.passed && !ck.always:
		res.At = ck.when.String()
	case !ck.passed && ck.by != nil:
		if *ck.by > end {
			res.Message = fmt.Sprintf("the run ended at %s, before the deadline %s", end, *ck.by)
		} else {
			res.Message = "did not hold by " + ck.by.String()
		}
	case !ck.passed:
		res.At = ck.when.String()
		res.Message = ck.message
	}
	return res
}

// holds evaluates an expectation's condition against the cluster now.
func holds(c *cluster.Cluster, e scenarios.Expectation) (bool, string) {
	st := c.Store
	switch {
	case e.DeploymentReady != nil:
		d := e.DeploymentReady
		o, ok := st.Get("Deployment", nsOr(d.Namespace), d.Name)
		if !ok {
			return false, "deployment " + d.Name + " not found"
		}
		dep := o.(*appsv1.Deployment)
		ok = dep.Status.ReadyReplicas >= d.Replicas && dep.Status.AvailableReplicas >= d.Replicas && deref(dep.Spec.Replicas) == d.Replicas
		return ok, fmt.Sprintf("deployment %s: %d/%d ready", d.Name, dep.Status.ReadyReplicas, d.Replicas)
	case e.PodsRunning != nil:
		p := e.PodsRunning
		sel, err := labels.Parse(p.Selector)
		if err != nil {
			return false, err.Error()
		}
		n := 0
		for _, o := range st.Select("Pod", nsOr(p.Namespace), sel) {
			pod := o.(*corev1.Pod)
			if pod.Status.Phase == corev1.PodRunning && pod.DeletionTimestamp == nil {
				n++
			}
		}
		return n == p.Count, fmt.Sprintf("%d pods running, want %d", n, p.Count)
	case e.NodesReady != nil:
		n := 0
		for _, o := range st.List("Node", "") {
			if podutil.NodeReady(o.(*corev1.Node)) == corev1.ConditionTrue {
				n++
			}
		}
		return n == e.NodesReady.Count, fmt.Sprintf("%d nodes ready, want %d", n, e.NodesReady.Count)
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
	}
	return false, "empty expectation"
}

func nsOr(ns string) string {
	if ns == "" {
		return metav1.NamespaceDefault
	}
	return ns
}
