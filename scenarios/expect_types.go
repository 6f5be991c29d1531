package scenarios

import (
	"fmt"
	"strconv"
	"time"
)

// Expectation is one check of the run: exactly one timing and exactly
// one check are set.
//
// Timings:
//   - At: holds at exactly that virtual time.
//   - By: holds at the deadline, and has held without a break since the
//     moment reported (a condition that was true early and broke before
//     the deadline fails: "by" judges the state the run reached, not an
//     early moment before a fault).
//   - Within/After: the same, with the window opening at a timeline
//     entry (its `name:`, or the first entry of an action kind): the
//     condition holds Within after it, and the moment it last became
//     true (not earlier than the entry) is the recovery time.
//   - From/Until, Always: holds after every event in the range (Always:
//     the whole run).
type Expectation struct {
	Index int
	Pos   Pos
	By    *time.Duration
	At    *time.Duration
	// Always: holds after every event of the run.
	Always bool
	// Within and After: a window relative to a timeline entry; AfterAt
	// is the entry's time (resolved at load).
	Within  *time.Duration
	After   string
	AfterAt time.Duration
	// From and Until: holds after every event in [From, Until]; Until nil
	// means to the end of the run.
	From, Until *time.Duration

	DeploymentReady *DeploymentReady
	PodsRunning     *PodsRunning
	PodsReady       *PodsRunning
	NodesReady      *NodesReady
	NoOvercommit    bool
	Pending         *Pending
	PendingFor      *PendingFor
	EtcdQuorum      *bool
	Restarts        *Restarts
	CrashLoop       *PodsRunning
	Available       *Available
	NoPDBViolated   bool
	Image           *ImageCheck
	Revision        *RevisionCheck
	Reachable       *Reachable
}

// Count is a comparison against a number: exactly (==), at least (>=) or
// at most (<=).
type Count struct {
	Op string // "==", ">=" or "<="
	N  int
}

// Holds reports whether n satisfies the comparison.
func (c Count) Holds(n int) bool {
	switch c.Op {
	case ">=":
		return n >= c.N
	case "<=":
		return n <= c.N
	}
	return n == c.N
}

// String renders "=6", ">=4" or "<=0".
func (c Count) String() string {
	if c.Op == "" || c.Op == "==" {
		return "=" + strconv.Itoa(c.N)
	}
	return c.Op + strconv.Itoa(c.N)
}

// Want is the comparison's wording in messages ("want 6", "want at least 4").
func (c Count) Want() string {
	switch c.Op {
	case ">=":
		return "want at least " + strconv.Itoa(c.N)
	case "<=":
		return "want at most " + strconv.Itoa(c.N)
	}
	return "want " + strconv.Itoa(c.N)
}

// DeploymentReady: the Deployment has Replicas ready replicas.
type DeploymentReady struct {
	Namespace, Name string
	Replicas        int32
}

// PodsRunning counts the pods matching Selector in Namespace: for
// podsRunning those Running with every container running (a pod whose
// container waits in CrashLoopBackOff is in phase Running but is not
// counted), for podsReady those with the Ready condition, for
// crashLoopBackOff those with a container waiting in CrashLoopBackOff.
// Count is the number of the exact form (`count: N`), Want the comparison.
type PodsRunning struct {
	Namespace, Selector string
	Count               int
	Want                Count
}

// NodesReady: the number of Ready nodes satisfies Want (`count`,
// `atLeast` or `atMost`); Count is Want's number.
type NodesReady struct {
	Count int
	Want  Count
}

// Pending: Count pods (all namespaces) are in phase Pending.
type Pending struct {
	Count int
}

// PendingFor: no pod (all namespaces) has been Pending for longer than
// AtMost since it was created.
type PendingFor struct {
	AtMost time.Duration
}

// Restarts: no container of a pod matching Selector restarted more than
// AtMost times.
type Restarts struct {
	Namespace, Selector string
	AtMost              int
}

// Available: the Deployment has at least AtLeast available replicas.
type Available struct {
	Namespace, Deployment string
	AtLeast               int32
}

// ImageCheck: every container named Container (or every container when
// "") of the Deployment's pod template and of its live pods runs Image.
type ImageCheck struct {
	Namespace, Deployment, Container, Image string
}

// RevisionCheck: the Deployment is at rollout revision Revision (its
// deployment.kubernetes.io/revision annotation) and fully rolled out.
type RevisionCheck struct {
	Namespace, Deployment string
	Revision              int64
}

// Description is a one-line summary, e.g. "deploymentReady web=3 by 1m30s".
func (e Expectation) Description() string {
	return e.check() + e.timing()
}

// Line is the line of the scenario file the expectation starts on.
func (e Expectation) Line() int { return e.Pos.Line }

func (e Expectation) timing() string {
	switch {
	case e.By != nil:
		return " by " + e.By.String()
	case e.At != nil:
		return " at " + e.At.String()
	case e.Always:
		return " always"
	case e.Within != nil:
		return fmt.Sprintf(" within %s after %s (%s)", e.Within, e.After, e.AfterAt)
	case e.From != nil && e.Until != nil:
		return fmt.Sprintf(" from %s until %s", e.From, e.Until)
	case e.From != nil:
		return fmt.Sprintf(" from %s", e.From)
	}
	return ""
}

func (e Expectation) check() string {
	switch {
	case e.DeploymentReady != nil:
		d := e.DeploymentReady
		return fmt.Sprintf("deploymentReady %s=%d", nsName(d.Namespace, d.Name), d.Replicas)
	case e.PodsRunning != nil:
		return "podsRunning " + e.PodsRunning.describe()
	case e.PodsReady != nil:
		return "podsReady " + e.PodsReady.describe()
	case e.CrashLoop != nil:
		return "crashLoopBackOff " + e.CrashLoop.describe()
	case e.NodesReady != nil:
		if w := e.NodesReady.Want; w.Op != "" && w.Op != "==" {
			return "nodesReady " + w.Op + strconv.Itoa(w.N)
		}
		return fmt.Sprintf("nodesReady %d", e.NodesReady.Count)
	case e.NoOvercommit:
		return "noOvercommit"
	case e.Pending != nil:
		return fmt.Sprintf("pending %d", e.Pending.Count)
	case e.PendingFor != nil:
		return fmt.Sprintf("pendingFor <=%s", e.PendingFor.AtMost)
	case e.EtcdQuorum != nil:
		return fmt.Sprintf("etcdQuorum %t", *e.EtcdQuorum)
	case e.Restarts != nil:
		r := e.Restarts
		return fmt.Sprintf("restarts %s<=%d", nsName(r.Namespace, orAll(r.Selector)), r.AtMost)
	case e.Available != nil:
		a := e.Available
		return fmt.Sprintf("available %s>=%d", nsName(a.Namespace, a.Deployment), a.AtLeast)
	case e.NoPDBViolated:
		return "noPDBViolated"
	case e.Image != nil:
		i := e.Image
		c := ""
		if i.Container != "" {
			c = "/" + i.Container
		}
		return fmt.Sprintf("image %s%s=%s", nsName(i.Namespace, i.Deployment), c, i.Image)
	case e.Revision != nil:
		r := e.Revision
		return fmt.Sprintf("revision %s=%d", nsName(r.Namespace, r.Deployment), r.Revision)
	}
	return "?"
}

func (p *PodsRunning) describe() string {
	return nsName(p.Namespace, orAll(p.Selector)) + p.Want.String()
}

func orAll(sel string) string {
	if sel == "" {
		return "all"
	}
	return sel
}

// Reachable: every running pod matching From in Namespace can open a
// connection to Host:Port (Blocked: none can), as the network model
// judges it — DNS through CoreDNS, kube-proxy to ready endpoints, the
// NetworkPolicies of both ends, something listening.
type Reachable struct {
	Namespace, From string
	Host            string
	Port            int32
	Protocol        string // TCP or UDP
	Blocked         bool
}
