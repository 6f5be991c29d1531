package karpenter

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	karpv1 "github.com/kubesim/kubesim/sim/apis/karpenter/v1"
	"github.com/kubesim/kubesim/sim/autoscalers/simulator"
	"github.com/kubesim/kubesim/sim/cloud"
	"github.com/kubesim/kubesim/sim/cron"
	"github.com/kubesim/kubesim/sim/podutil"
	"github.com/kubesim/kubesim/sim/scheduler/framework"
	"github.com/kubesim/kubesim/sim/store"
)

// candidate is a node Karpenter may disrupt.
type candidate struct {
	cs    *claimState
	nc    *karpv1.NodeClaim
	np    *karpv1.NodePool
	node  *corev1.Node
	pods  []*corev1.Pod // pods to move
	price float64
	spot  bool
}

// command is a disruption decision.
type command struct {
	reason     string // Empty, Underutilized, Drifted
	method     string // for the trace
	cands      []*candidate
	plans      []*plan
	replaced   []string // replacement NodeClaims launched
	decidedAt  time.Duration
	validating bool
}

// disrupt is the disruption controller's poll: statuses first, then the
// methods in upstream's order (emptiness, drift, multi-node and
// single-node consolidation); one command at a time.
func (c *Controller) disrupt() {
	c.pollTimer = c.Engine.After(DisruptionPollPeriod, "karpenter/disruption", c.disrupt)
	c.syncStatus()
	if c.pendingCmd != nil {
		return
	}
	c.polling, c.pollCands, c.pollDone = true, nil, false
	defer func() {
		c.polling, c.pollCands, c.pollDone, c.reqs, c.cheaper, c.holds, c.allowedN = false, nil, false, nil, nil, nil, nil
		c.pollDeleting = nil
		c.forgetUnbound()
	}()
	for _, m := range []func() *command{c.emptiness, c.drift, c.multiNode, c.singleNode} {
		if cmd := m(); cmd != nil {
			if cmd.reason == karpv1.DisruptionReasonUnderutilized {
				// Consolidation decisions are validated after 15 s: the
				// cluster must still agree before anything is disrupted.
				cmd.validating, cmd.decidedAt = true, c.now()
				c.pendingCmd = cmd
				c.Engine.After(ConsolidationTTL, "karpenter/consolidation-validate", c.validate)
				return
			}
			c.pendingCmd = cmd
			c.execute(cmd)
			return
		}
	}
}

// title is how upstream's events spell a reason ("Underutilized").
func title(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// syncStatus writes the Consolidatable and Drifted conditions and the
// NodePools' status.
func (c *Controller) syncStatus() {
	pools := map[string]*karpv1.NodePool{}
	for _, o := range c.Store.List("NodePool", "") {
		pools[o.GetName()] = o.(*karpv1.NodePool)
	}
	for _, name := range sortedKeys(c.claims) {
		cs := c.claims[name]
		o, ok := c.Store.Get("NodeClaim", "", name)
		if !ok || cs.deleting || cs.initializedAt == 0 {
			continue
		}
		nc := o.(*karpv1.NodeClaim)
		np := pools[cs.nodePool]
		if np == nil {
			continue
		}
		want := metav1.ConditionFalse
		if d, ok, _ := np.Spec.Disruption.ConsolidateAfter.Get(); ok && c.now() >= max(cs.lastPodEvent, cs.initializedAt)+d {
			want = metav1.ConditionTrue
		}
		cons := karpv1.Condition(nc.Status.Conditions, karpv1.ConditionConsolidatable)
		drift := c.driftReason(nc, np)
		dc := karpv1.Condition(nc.Status.Conditions, karpv1.ConditionDrifted)
		consChanged := (cons == nil && want == metav1.ConditionTrue) || (cons != nil && cons.Status != want)
		driftChanged := (drift != "" && (dc == nil || dc.Reason != drift)) || (drift == "" && dc != nil)
		if !consChanged && !driftChanged {
			continue
		}
		c.update(name, nil, func(nc *karpv1.NodeClaim) {
			if want == metav1.ConditionTrue {
				karpv1.SetCondition(&nc.Status.Conditions, c.condition(karpv1.ConditionConsolidatable, metav1.ConditionTrue, "Consolidatable", "", nc.Generation))
			} else {
				karpv1.RemoveCondition(&nc.Status.Conditions, karpv1.ConditionConsolidatable)
			}
			if drift != "" {
				karpv1.SetCondition(&nc.Status.Conditions, c.condition(karpv1.ConditionDrifted, metav1.ConditionTrue, drift, "", nc.Generation))
			} else {
				karpv1.RemoveCondition(&nc.Status.Conditions, karpv1.ConditionDrifted)
			}
		})
	}
	c.syncNodePools()
}

// driftReason says why a NodeClaim no longer matches its NodePool or
// EC2NodeClass ("" when it does).
func (c *Controller) driftReason(nc *karpv1.NodeClaim, np *karpv1.NodePool) string {
	// The answer only depends on the three objects (replaced, never
	// changed), asked about every NodeClaim at every poll.
	k := driftKey{nc, np, c.nodeClass(np)}
	if r, ok := c.drifts[k]; ok {
		return r
	}
	r := c.computeDrift(nc, np)
	if c.drifts == nil || len(c.drifts) >= 1024 { // replaced objects are forgotten wholesale
		c.drifts = map[driftKey]string{}
	}
	c.drifts[k] = r
	return r
}

type driftKey struct {
	nc   *karpv1.NodeClaim
	np   *karpv1.NodePool
	ncls *karpv1.EC2NodeClass
}

func (c *Controller) computeDrift(nc *karpv1.NodeClaim, np *karpv1.NodePool) string {
	if h := nc.Annotations[karpv1.AnnotationNodePoolHash]; h != "" && h != c.hashes.nodePool(np) {
		return "NodePoolDrifted"
	}
	if !admits(np.Spec.Template.Spec.Requirements, nc.Labels) {
		return "RequirementsDrifted"
	}
	ncls := c.nodeClass(np)
	if ncls == nil {
		return ""
	}
	if h := nc.Annotations[karpv1.AnnotationNodeClassHash]; h != "" && h != c.hashes.nodeClass(ncls) {
		return "NodeClassDrifted"
	}
	if nc.Status.ImageID != "" && nc.Status.ImageID != c.hashes.image(ncls, nc.Labels[corev1.LabelArchStable]) {
		return "AMIDrift"
	}
	return ""
}

// driftHashes remembers the hashes and AMI ids driftReason compares
// every NodeClaim against at every poll, per NodePool and EC2NodeClass
// object (objects in the store are replaced, never changed).
type driftHashes struct {
	pools   map[*karpv1.NodePool]string
	classes map[*karpv1.EC2NodeClass]string
	images  map[imageKey]string
}

type imageKey struct {
	ncls *karpv1.EC2NodeClass
	arch string
}

// remember is m[k], computed by f the first time; a map grown past a
// few entries (objects since replaced) is dropped wholesale.
func remember[K comparable](m *map[K]string, k K, f func() string) string {
	if v, ok := (*m)[k]; ok {
		return v
	}
	if *m == nil || len(*m) >= 64 {
		*m = map[K]string{}
	}
	v := f()
	(*m)[k] = v
	return v
}

func (h *driftHashes) nodePool(np *karpv1.NodePool) string {
	return remember(&h.pools, np, func() string { return nodePoolHash(np) })
}

func (h *driftHashes) nodeClass(ncls *karpv1.EC2NodeClass) string {
	return remember(&h.classes, ncls, func() string { return nodeClassHash(ncls) })
}

func (h *driftHashes) image(ncls *karpv1.EC2NodeClass, arch string) string {
	return remember(&h.images, imageKey{ncls, arch}, func() string { return imageID(ncls, arch) })
}

// syncNodePools writes each NodePool's status: its nodes, their
// resources, and its readiness.
func (c *Controller) syncNodePools() {
	usage := c.nodePoolUsage(nil)
	for _, o := range c.Store.List("NodePool", "") {
		np := o.(*karpv1.NodePool)
		// The status alone first (conditions are values, cloned): the
		// whole NodePool is copied only to write a change.
		st := np.Status
		st.Conditions = slices.Clone(np.Status.Conditions)
		res := corev1.ResourceList{}
		var nodes int64
		if u := usage[np.Name]; u != nil {
			for k, v := range u {
				if k == "nodes" {
					nodes = v.Value()
					continue
				}
				res[k] = v
			}
		}
		st.Resources = res
		st.Nodes = &nodes
		ready, reason, msg := metav1.ConditionTrue, "Ready", ""
		classOK := c.nodeClass(np) != nil
		if !classOK {
			ready, reason, msg = metav1.ConditionFalse, "NodeClassNotReady", "NodeClassReady=False"
		}
		karpv1.SetCondition(&st.Conditions, c.condition(karpv1.ConditionValidationSucceeded, metav1.ConditionTrue, "ValidationSucceeded", "", np.Generation))
		if classOK {
			karpv1.SetCondition(&st.Conditions, c.condition(karpv1.ConditionNodeClassReady, metav1.ConditionTrue, "NodeClassReady", "", np.Generation))
		} else {
			karpv1.SetCondition(&st.Conditions, c.condition(karpv1.ConditionNodeClassReady, metav1.ConditionFalse, "NodeClassNotFound", "Failed to resolve NodeClass", np.Generation))
		}
		karpv1.SetCondition(&st.Conditions, c.condition(karpv1.ConditionReady, ready, reason, msg, np.Generation))
		if !equality.Semantic.DeepEqual(np.Status, st) { // as upstream's NodePool counter compares
			next := np.DeepCopy()
			next.Status = st
			_, _ = c.Client.UpdateStatus(next)
		}
	}
}

// onNodePool keeps NodePool status current and reconsiders pending pods
// (a new NodePool may fit them).
func (c *Controller) onNodePool(ev store.Event) {
	if ev.Type != store.Modified || ev.Old.(*karpv1.NodePool).Generation != ev.Object.(*karpv1.NodePool).Generation {
		c.markUnconsolidated() // the NodePool changed (not its status): as upstream's NodePool state controller
	}
	if ev.Type == store.Deleted {
		return
	}
	if ev.Type == store.Added {
		c.Engine.After(0, "karpenter/nodepool-status", c.syncNodePools)
		c.retrigger()
	}
}

// onNodeClass resolves an EC2NodeClass's subnets, security groups and
// AMIs into its status and marks it Ready.
func (c *Controller) onNodeClass(ev store.Event) {
	if ev.Type == store.Deleted {
		return
	}
	ncls := ev.Object.(*karpv1.EC2NodeClass)
	next := ncls.DeepCopy()
	next.Status.Subnets = nil
	for i, z := range c.cloud.Zones() {
		next.Status.Subnets = append(next.Status.Subnets, karpv1.Subnet{ID: "subnet-0" + hexID("subnet/" + ncls.Name + "/" + z)[:16], Zone: z,
			ZoneID: zoneID(z, i)})
	}
	next.Status.SecurityGroups = []karpv1.SecurityGroup{{ID: "sg-0" + hexID("sg/" + ncls.Name)[:16], Name: "eks-cluster-sg"}}
	next.Status.AMIs = nil
	for _, arch := range []string{"amd64", "arm64"} {
		next.Status.AMIs = append(next.Status.AMIs, karpv1.AMI{ID: imageID(ncls, arch), Name: amiName(ncls, arch),
			Requirements: []corev1.NodeSelectorRequirement{{Key: corev1.LabelArchStable, Operator: corev1.NodeSelectorOpIn, Values: []string{arch}}}})
	}
	if ncls.Spec.InstanceProfile != nil {
		next.Status.InstanceProfile = *ncls.Spec.InstanceProfile
	} else {
		next.Status.InstanceProfile = "kubesim_" + hexID("profile/" + ncls.Spec.Role)[:19]
	}
	for _, t := range []string{"AMIsReady", "SubnetsReady", "SecurityGroupsReady", "InstanceProfileReady", karpv1.ConditionValidationSucceeded, karpv1.ConditionReady} {
		karpv1.SetCondition(&next.Status.Conditions, c.condition(t, metav1.ConditionTrue, t, "", ncls.Generation))
	}
	a, _ := json.Marshal(ncls.Status)
	b, _ := json.Marshal(next.Status)
	if string(a) != string(b) {
		_, _ = c.Client.UpdateStatus(next)
	}
	c.retrigger()
}

// hexID is a deterministic 32-hex-digit id for s.
func hexID(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:16])
}

func zoneID(zone string, i int) string {
	r := cloud.Region(zone)
	short := map[string]string{"us-east-1": "use1", "us-east-2": "use2", "us-west-2": "usw2", "eu-west-1": "euw1", "eu-central-1": "euc1"}[r]
	if short == "" {
		short = r
	}
	return short + "-az" + strconv.Itoa(i+1)
}

func amiName(ncls *karpv1.EC2NodeClass, arch string) string {
	alias := "al2023@latest"
	if len(ncls.Spec.AMISelectorTerms) > 0 && ncls.Spec.AMISelectorTerms[0].Alias != "" {
		alias = ncls.Spec.AMISelectorTerms[0].Alias
	}
	fam, ver, _ := strings.Cut(alias, "@")
	a := "x86_64"
	if arch == "arm64" {
		a = "arm64"
	}
	return "amazon-eks-node-" + fam + "-" + a + "-standard-1.37-" + ver
}

// --- candidates and budgets ---

// candidates lists the disruptable nodes (sorted by disruption cost:
// fewest pods first, then name). blocked reports the reason a node is not
// one, for the DisruptionBlocked events.
func (c *Controller) candidates() []*candidate {
	if c.polling && c.pollDone {
		return c.pollCands
	}
	out := c.listCandidates()
	if c.polling {
		c.pollCands, c.pollDone = out, true
	}
	return out
}

func (c *Controller) listCandidates() []*candidate {
	pools := map[string]*karpv1.NodePool{}
	for _, o := range c.Store.List("NodePool", "") {
		pools[o.GetName()] = o.(*karpv1.NodePool)
	}
	pdbs := c.Snap.PDBBudgets()
	var out []*candidate
	next := make(map[string]dndEntry, len(c.dnd))
	defer func() { c.dnd = next }() // the nodes not listed now are forgotten
	for _, name := range sortedKeys(c.claims) {
		cs := c.claims[name]
		if cs.deleting || cs.initializedAt == 0 || cs.nodeName == "" {
			continue
		}
		o, ok := c.Store.Get("NodeClaim", "", name)
		if !ok || o.GetDeletionTimestamp() != nil {
			continue
		}
		no, ok := c.Store.Get("Node", "", cs.nodeName)
		np := pools[cs.nodePool]
		if !ok || np == nil {
			continue
		}
		node := no.(*corev1.Node)
		nc := o.(*karpv1.NodeClaim)
		if node.Annotations[karpv1.AnnotationDoNotDisrupt] == "true" {
			c.blocked(node, nc, `disruption is blocked through the "karpenter.sh/do-not-disrupt" annotation`)
			continue
		}
		if slices.ContainsFunc(node.Spec.Taints, func(t corev1.Taint) bool { return t.Key == karpv1.TaintDisrupted }) {
			continue
		}
		pods := c.Snap.Drainable(node.Name)
		dnd := c.firstDoNotDisrupt(node.Name, pods, next)
		why := ""
		for i, p := range pods {
			if i == dnd {
				why = fmt.Sprintf(`pod %q has "karpenter.sh/do-not-disrupt" annotation`, p.Namespace+"/"+p.Name)
				break
			}
			for _, k := range c.Snap.MatchingPDBs(p) {
				if pdbs[k] <= 0 {
					why = fmt.Sprintf("pdb %q prevents pod evictions", k)
					break
				}
			}
			if why != "" {
				break
			}
		}
		if why != "" {
			c.blocked(node, nc, why)
			continue
		}
		ct := nc.Labels[karpv1.LabelCapacityType]
		price, _ := c.cloud.Price(nc.Labels[corev1.LabelInstanceTypeStable], eksCapacityType(ct))
		out = append(out, &candidate{cs: cs, nc: nc, np: np, node: node, pods: pods, price: price, spot: ct == karpv1.CapacityTypeSpot})
	}
	slices.SortStableFunc(out, func(a, b *candidate) int {
		if len(a.pods) != len(b.pods) {
			return len(a.pods) - len(b.pods)
		}
		return strings.Compare(a.node.Name, b.node.Name)
	})
	return out
}

// dndEntry is firstDoNotDisrupt's answer for a node's drainable pods.
type dndEntry struct {
	pods  []*corev1.Pod
	first int
}

// firstDoNotDisrupt is the index in pods (the node's Drainable list) of
// the first pod annotated karpenter.sh/do-not-disrupt "true", -1 if none.
// Drainable hands out the same slice while the node's pods are the same
// objects and a new one when they change, and pod objects never change,
// so the answer is kept per node with the slice it was computed from (and
// carried into next): every poll lists every node's pods, and their
// annotation maps are cold memory.
func (c *Controller) firstDoNotDisrupt(node string, pods []*corev1.Pod, next map[string]dndEntry) int {
	if len(pods) == 0 {
		return -1
	}
	if e, ok := c.dnd[node]; ok && len(e.pods) == len(pods) && &e.pods[0] == &pods[0] {
		next[node] = e
		return e.first
	}
	e := dndEntry{pods: pods, first: -1}
	for i, p := range pods {
		if p.Annotations[karpv1.AnnotationDoNotDisrupt] == "true" {
			e.first = i
			break
		}
	}
	next[node] = e
	return e.first
}

// blocked emits DisruptionBlocked on the node and NodeClaim, at most once
// per 15 minutes per message, as upstream dedupes it.
func (c *Controller) blocked(node *corev1.Node, nc *karpv1.NodeClaim, msg string) {
	key := nc.Name + "|" + msg
	if at, ok := c.blockedAt[key]; ok && c.now()-at < 15*time.Minute {
		return
	}
	c.blockedAt[key] = c.now()
	c.Client.Event(node, corev1.EventTypeNormal, "DisruptionBlocked", msg)
	c.Client.Event(nc, corev1.EventTypeNormal, "DisruptionBlocked", msg)
}

// allowed is how many more of np's nodes may be disrupted for reason now:
// the smallest active budget (a percentage of the NodePool's nodes,
// rounded up), less the nodes already being disrupted or not yet ready.
func (c *Controller) allowed(np *karpv1.NodePool, reason string) int {
	return pollCached(c, &c.allowedN, allowedKey{np, reason}, func() int { return c.countAllowed(np, reason) })
}

type allowedKey struct {
	np     *karpv1.NodePool
	reason string
}

func (c *Controller) countAllowed(np *karpv1.NodePool, reason string) int {
	total, disrupting := 0, 0
	for _, cs := range c.claims { // counted: order does not matter
		if cs.nodePool != np.Name {
			continue
		}
		total++
		if cs.deleting || cs.initializedAt == 0 || c.isDisrupting(cs) {
			disrupting++
		}
	}
	limit := math.MaxInt32
	for _, b := range np.Spec.Disruption.Budgets {
		if len(b.Reasons) > 0 && !slices.Contains(b.Reasons, reason) {
			continue
		}
		if !c.budgetActive(b) {
			continue
		}
		n := 0
		if p, ok := strings.CutSuffix(b.Nodes, "%"); ok {
			pct, _ := strconv.Atoi(p)
			n = int(math.Ceil(float64(total) * float64(pct) / 100))
		} else {
			n, _ = strconv.Atoi(b.Nodes)
		}
		limit = min(limit, n)
	}
	return max(0, limit-disrupting)
}

func (c *Controller) isDisrupting(cs *claimState) bool {
	if c.pendingCmd == nil || c.pendingCmd.validating {
		return false
	}
	return slices.ContainsFunc(c.pendingCmd.cands, func(x *candidate) bool { return x.cs == cs })
}

// budgetActive reports whether a scheduled budget is in its window: the
// schedule (UTC) fired no longer than duration ago.
func (c *Controller) budgetActive(b karpv1.Budget) bool {
	if b.Schedule == nil || b.Duration == nil {
		return true
	}
	s, err := cron.Parse(*b.Schedule)
	if err != nil {
		return false
	}
	now := c.Engine.Now().UTC()
	next := s.Next(now.Add(-b.Duration.Duration).Add(-time.Minute))
	return !next.IsZero() && !next.After(now)
}

// --- methods ---

func consolidatable(cd *candidate) bool {
	return karpv1.IsTrue(cd.nc.Status.Conditions, karpv1.ConditionConsolidatable)
}

// emptiness deletes consolidatable nodes with no pods to move, within
// the Empty budget of each NodePool.
func (c *Controller) emptiness() *command {
	var picked []*candidate
	used := map[string]int{}
	for _, cd := range c.candidates() {
		if len(cd.pods) > 0 || !consolidatable(cd) {
			continue
		}
		if used[cd.np.Name] >= c.allowed(cd.np, karpv1.DisruptionReasonEmpty) {
			c.budgetBlocked(cd.np, karpv1.DisruptionReasonEmpty)
			continue
		}
		used[cd.np.Name]++
		picked = append(picked, cd)
	}
	if len(picked) == 0 {
		return nil
	}
	return &command{reason: karpv1.DisruptionReasonEmpty, method: "emptiness", cands: picked}
}

func (c *Controller) budgetBlocked(np *karpv1.NodePool, reason string) {
	key := "nodepool/" + np.Name + "|" + reason
	if at, ok := c.blockedAt[key]; ok && c.now()-at < time.Minute {
		return
	}
	c.blockedAt[key] = c.now()
	c.Client.Event(np, corev1.EventTypeNormal, "DisruptionBlocked", fmt.Sprintf("No allowed disruptions for disruption reason %s due to blocking budget", reason))
}

// drift replaces one drifted node per poll, within the Drifted budget.
func (c *Controller) drift() *command {
	for _, cd := range c.candidates() {
		if !karpv1.IsTrue(cd.nc.Status.Conditions, karpv1.ConditionDrifted) {
			continue
		}
		if c.allowed(cd.np, karpv1.DisruptionReasonDrifted) < 1 {
			c.budgetBlocked(cd.np, karpv1.DisruptionReasonDrifted)
			continue
		}
		plans, ok := c.simulate([]*candidate{cd})
		if !ok {
			continue
		}
		return &command{reason: karpv1.DisruptionReasonDrifted, method: "drift", cands: []*candidate{cd}, plans: plans}
	}
	return nil
}

// underutilized lists the consolidation candidates: consolidatable, of a
// WhenEmptyOrUnderutilized NodePool, within the Underutilized budget.
func (c *Controller) underutilized() []*candidate { return c.underutilizedBy(true) }

// underutilizedBy lists the consolidation candidates; with count, each
// candidate takes one of its NodePool's allowed disruptions (multi-node
// consolidation disrupts them all at once), without, a NodePool's
// candidates are all listed while it allows one (single-node
// consolidation disrupts only the one it picks), as upstream.
func (c *Controller) underutilizedBy(count bool) []*candidate {
	var out []*candidate
	used := map[string]int{}
	c.budgetHit = false
	for _, cd := range c.candidates() {
		if !consolidatable(cd) || cd.np.Spec.Disruption.ConsolidationPolicy != karpv1.ConsolidationPolicyWhenEmptyOrUnderutilized {
			continue
		}
		if used[cd.np.Name] >= c.allowed(cd.np, karpv1.DisruptionReasonUnderutilized) {
			c.budgetHit = true
			c.budgetBlocked(cd.np, karpv1.DisruptionReasonUnderutilized)
			continue
		}
		if count {
			used[cd.np.Name]++
		}
		out = append(out, cd)
	}
	return out
}

// mayBeWorth is worth's test for a single plan, without narrowing it:
// false when no type the plan may still become is cheaper than the
// candidates.
func (c *Controller) mayBeWorth(cands []*candidate, p *plan) bool {
	total := 0.0
	allSpot := true
	for _, cd := range cands {
		total += cd.price
		allSpot = allSpot && cd.spot
	}
	cts := p.cts
	if allSpot && slices.Contains(cts, karpv1.CapacityTypeSpot) && !c.opts.SpotToSpotConsolidation {
		if len(cands) == 1 {
			return false
		}
		cts = []string{karpv1.CapacityTypeOnDemand}
	}
	for _, t := range p.types {
		if off, ok := c.cheapest([]cloud.InstanceType{t}, p.zone, cts); ok && off.price < total {
			return true
		}
	}
	return false
}

// worth reports whether a consolidation of cands into plans saves money:
// deleting always does; a single replacement must be cheaper than the
// candidates together, and spot is not replaced by spot unless the
// SpotToSpotConsolidation feature gate is on.
func (c *Controller) worth(cands []*candidate, plans []*plan) bool {
	switch len(plans) {
	case 0:
		return true
	case 1:
	default:
		return false
	}
	total := 0.0
	allSpot := true
	for _, cd := range cands {
		total += cd.price
		allSpot = allSpot && cd.spot
	}
	p := plans[0]
	if allSpot && slices.Contains(p.cts, karpv1.CapacityTypeSpot) && !c.opts.SpotToSpotConsolidation {
		if len(cands) == 1 {
			return false
		}
		p.cts = []string{karpv1.CapacityTypeOnDemand}
	}
	// Only the types cheaper than what they replace are launched.
	var cheaper []cloud.InstanceType
	for _, t := range p.types {
		if off, ok := c.cheapest([]cloud.InstanceType{t}, p.zone, p.cts); ok && off.price < total {
			cheaper = append(cheaper, t)
		}
	}
	if len(cheaper) == 0 {
		return false
	}
	p.types = cheaper
	return true
}

// multiNode finds the largest prefix of the candidates (at most 100) that
// can go at once, replaced by at most one cheaper node (binary search, as
// upstream).
func (c *Controller) multiNode() *command {
	const method = "multi-node consolidation"
	if c.isConsolidated(method) {
		return nil
	}
	cands := c.underutilized()
	if len(cands) > 100 {
		cands = cands[:100]
	}
	if len(cands) < 2 {
		return nil
	}
	var best *command
	lo, hi := 2, len(cands)
	for lo <= hi {
		mid := (lo + hi) / 2
		plans, ok := c.consolidation(cands[:mid])
		if ok {
			best = &command{reason: karpv1.DisruptionReasonUnderutilized, method: method, cands: slices.Clone(cands[:mid]), plans: plans}
			lo = mid + 1
		} else {
			hi = mid - 1
		}
	}
	if best == nil {
		c.markConsolidated(method)
	}
	return best
}

// singleNode finds the first candidate that can be deleted or replaced
// by a cheaper node.
func (c *Controller) singleNode() *command {
	const method = "single-node consolidation"
	if c.isConsolidated(method) {
		return nil
	}
	cands := c.underutilizedBy(false)
	if len(cands) == 0 {
		return nil // no candidates: upstream does not get as far as computing
	}
	for _, cd := range cands {
		plans, ok := c.consolidation([]*candidate{cd})
		if ok {
			return &command{reason: karpv1.DisruptionReasonUnderutilized, method: method, cands: []*candidate{cd}, plans: plans}
		}
	}
	c.markConsolidated(method)
	return nil
}

// markUnconsolidated records that something changed that may make
// consolidation possible.
func (c *Controller) markUnconsolidated() {
	c.stateSeq++
	c.stateAt = c.now()
}

// consolidationState is the counter, moved on when nothing changed for
// ConsolidationStateTTL.
func (c *Controller) consolidationState() uint64 {
	if c.now()-c.stateAt >= ConsolidationStateTTL {
		c.markUnconsolidated()
	}
	return c.stateSeq
}

// isConsolidated reports whether method found nothing to do in the
// current consolidation state.
func (c *Controller) isConsolidated(method string) bool {
	return c.consolidated[method] == c.consolidationState()
}

// markConsolidated records that method found nothing to do, unless a
// disruption budget left candidates out (they may be allowed next time).
func (c *Controller) markConsolidated(method string) {
	if !c.budgetHit {
		c.consolidated[method] = c.consolidationState()
	}
}

// simulate moves the candidates' pods to the rest of the cluster (and
// NodeClaims in flight), opening new plans for what does not fit. It
// fails when a pod fits nowhere.
func (c *Controller) simulate(cands []*candidate) ([]*plan, bool) {
	return c.simulateFor(cands, false)
}

// anyCheaper reports whether some offering of the pools (any type, zone
// and allowed capacity type, available now) costs less than the
// candidates together: without one, no plan is worth it (mayBeWorth).
// The answer is kept for the rest of the poll, per total price.
func (c *Controller) anyCheaper(pools []*karpv1.NodePool, cands []*candidate) bool {
	total := totalPrice(cands)
	return pollCached(c, &c.cheaper, total, func() bool {
		for _, np := range pools {
			for _, ct := range capacityTypes(np.Spec.Template.Spec.Requirements) {
				for _, z := range c.zones(np) {
					if off, ok := c.cheapest(c.nodePoolTypes(np), z, []string{ct}); ok && off.price < total {
						return true
					}
				}
			}
		}
		return false
	})
}

// pollCached is (*m)[k], computed by f when not known yet; during a
// disruption poll the answer is kept in *m (dropped after the poll).
func pollCached[K comparable, V any](c *Controller, m *map[K]V, k K, f func() V) V {
	if v, ok := (*m)[k]; ok && c.polling {
		return v
	}
	v := f()
	if c.polling {
		if *m == nil {
			*m = map[K]V{}
		}
		(*m)[k] = v
	}
	return v
}

func totalPrice(cands []*candidate) float64 {
	total := 0.0
	for _, cd := range cands {
		total += cd.price
	}
	return total
}

// consolidation is simulate for a consolidation, which only goes ahead
// when worth says so: it gives up as soon as the outcome cannot be worth
// it (a second new node, or one with no type cheaper than the
// candidates, as a plan's types only narrow as pods are added), which
// is the same answer without packing the rest of the pods.
func (c *Controller) consolidation(cands []*candidate) ([]*plan, bool) {
	plans, ok := c.simulateFor(cands, true)
	if !ok || !c.worth(cands, plans) {
		return nil, false
	}
	return plans, true
}

func (c *Controller) simulateFor(cands []*candidate, consolidating bool) ([]*plan, bool) {
	c.stats.Simulations++
	u := &simulator.Undo{}
	defer c.Snap.Revert(u)
	exclude := c.deletingNodes()
	for _, cd := range cands {
		exclude[cd.node.Name] = true
	}
	// With no NodeClaim in flight, mayHold reads nothing the hiding of
	// the candidates' pods changes (it skips their nodes, and addInflight
	// adds nothing), so it answers first: most consolidations it rejects
	// then cost no taking off and putting back of their pods.
	hideFirst := c.hideFirst || !consolidating || c.anyInflight()
	var pods []*corev1.Pod
	for _, cd := range cands {
		for _, p := range cd.pods {
			var pi *framework.PodInfo
			if hideFirst {
				pi = c.Snap.Hide(u, p)
			} else {
				pi = c.Snap.PodInfo(p.Namespace, p.Name) // what Hide will return
			}
			var r podutil.Resources
			if pi != nil && pi.Pod == p {
				r = pi.Requests // what the cache derived, PodRequests(p)
			} else {
				r = c.requests(p)
			}
			cp := c.unbound(p)
			pods = append(pods, cp)
			if c.reqs == nil {
				c.reqs = map[*corev1.Pod]podutil.Resources{}
			}
			c.reqs[cp] = r
		}
	}
	defer func() {
		for _, p := range pods {
			delete(c.reqs, p)
		}
	}()
	sortPods(pods, c.requests)
	c.addInflight(u)
	k := c.newPacker(u, exclude)
	// A consolidation whose candidates no offering undercuts cannot
	// replace them: any plan opened would fail mayBeWorth, so the pods
	// either all fit the existing nodes or the simulation fails.
	k.existingOnly = consolidating && !c.anyCheaper(k.pools, cands)
	if consolidating && !c.mayHold(k, cands, pods) {
		return nil, false
	}
	if !hideFirst {
		for _, cd := range cands {
			for _, p := range cd.pods {
				c.Snap.Hide(u, p)
			}
		}
	}
	for _, p := range pods {
		if _, ok := k.add(p); !ok {
			return nil, false
		}
		if consolidating && len(k.plans) > 0 && (len(k.plans) > 1 || !c.mayBeWorth(cands, k.plans[0])) {
			return nil, false
		}
	}
	return k.plans, true
}

// unbound is p as a simulation moves it: a copy without its node (its
// own spec; the rest shared and only read). A pod object never changes
// (the store replaces it), so its copy is made once and reused by every
// simulation that moves it, poll after poll, instead of one ~1 KiB copy
// per pod and simulation. One copy is kept per pod name, of its latest
// object (an older object's copy is dropped, not kept alive), and the
// copies no poll used are forgotten (forgetUnbound).
func (c *Controller) unbound(p *corev1.Pod) *corev1.Pod {
	k := unboundKey{p.Namespace, p.Name}
	if e, ok := c.unboundOf[k]; ok && e.pod == p {
		e.used = true
		return e.copy
	}
	cp := *p
	cp.Spec.NodeName = ""
	if c.unboundOf == nil {
		c.unboundOf = map[unboundKey]*unboundEntry{}
	}
	c.unboundOf[k] = &unboundEntry{pod: p, copy: &cp, used: true}
	return &cp
}

type unboundKey struct{ namespace, name string }

type unboundEntry struct {
	pod, copy *corev1.Pod
	used      bool // since the last forgetUnbound
}

// forgetUnbound drops the copies not used since it last ran (at the end
// of each poll): pods deleted or no longer on a candidate.
func (c *Controller) forgetUnbound() {
	for k, e := range c.unboundOf { // deletions only: order does not matter
		if !e.used {
			delete(c.unboundOf, k)
		}
		e.used = false
	}
}

// mayHold is a bound a consolidation's pods must pass to fit: every pod
// placed takes at least the smallest of their requests (per resource)
// on a node with that much room, so no more of them fit on the existing
// nodes than each node's room divided by that smallest request, added
// up, plus what one new node of a type cheaper than the candidates holds
// (a consolidation opens at most one, and only a cheaper one: worth and
// mayBeWorth). When the pods outnumber that, the simulation would fail
// after packing some of them; mayHold says so first, with the same
// answer. Taints no pod tolerates and the NodeResourcesFit limits are the
// only filters it looks at: the others can only place fewer pods.
func (c *Controller) mayHold(k *packer, cands []*candidate, pods []*corev1.Pod) bool {
	if len(pods) == 0 {
		return true
	}
	least := c.requests(pods[0])
	for _, p := range pods[1:] {
		r := c.requests(p)
		least.MilliCPU, least.Memory = min(least.MilliCPU, r.MilliCPU), min(least.Memory, r.Memory)
	}
	room := 0
	for _, ni := range c.Snap.NodeInfos() {
		if k.exclude[ni.Name()] || strings.HasPrefix(ni.Name(), planPrefix) || !anyTolerates(pods, ni) {
			continue
		}
		a, r := ni.Allocatable, ni.Requested // (not Sub: its scalars are not read, and would be allocated)
		room += podsFitting(least, podutil.Resources{MilliCPU: a.MilliCPU - r.MilliCPU, Memory: a.Memory - r.Memory, Pods: a.Pods - r.Pods})
		if room >= len(pods) {
			return true
		}
	}
	if k.existingOnly {
		return false
	}
	return room+c.cheaperHolds(k.pools, cands, least) >= len(pods)
}

// podsFitting is how many pods of at least least's CPU and memory (and
// one pod slot each) fit in free.
func podsFitting(least, free podutil.Resources) int {
	n := max(0, free.Pods)
	if least.MilliCPU > 0 {
		n = min(n, max(0, free.MilliCPU)/least.MilliCPU)
	}
	if least.Memory > 0 {
		n = min(n, max(0, free.Memory)/least.Memory)
	}
	return int(n)
}

// anyTolerates reports whether some pod tolerates the node's NoSchedule
// and NoExecute taints (as TaintToleration and NodeUnschedulable filter).
func anyTolerates(pods []*corev1.Pod, ni *framework.NodeInfo) bool {
	taints := ni.Taints
	if ni.Unschedulable {
		taints = append(slices.Clip(taints), corev1.Taint{Key: corev1.TaintNodeUnschedulable, Effect: corev1.TaintEffectNoSchedule})
	}
	if len(taints) == 0 {
		return true
	}
	hard := func(t *corev1.Taint) bool {
		return t.Effect == corev1.TaintEffectNoSchedule || t.Effect == corev1.TaintEffectNoExecute
	}
	for _, p := range pods {
		if _, found := framework.FindUntoleratedTaint(taints, p.Spec.Tolerations, hard); !found {
			return true
		}
	}
	return false
}

// cheaperHolds is the most pods of at least least's requests one node
// holds whose type has an offering (any zone and capacity type of the
// pools, available now) cheaper than the candidates together; kept for
// the rest of the poll.
func (c *Controller) cheaperHolds(pools []*karpv1.NodePool, cands []*candidate, least podutil.Resources) int {
	total := totalPrice(cands)
	return pollCached(c, &c.holds, holdKey{total, least.MilliCPU, least.Memory}, func() int {
		most := 0
		for _, np := range pools {
			for _, t := range c.nodePoolTypes(np) {
				if n := podsFitting(least, allocatable(t)); n > most && c.anyOfferingBelow(np, t, total) {
					most = n
				}
			}
		}
		return most
	})
}

// anyOfferingBelow reports whether type t has an offering in one of np's
// zones and capacity types cheaper than price.
func (c *Controller) anyOfferingBelow(np *karpv1.NodePool, t cloud.InstanceType, price float64) bool {
	for _, ct := range capacityTypes(np.Spec.Template.Spec.Requirements) {
		for _, z := range c.zones(np) {
			if off, ok := c.cheapest([]cloud.InstanceType{t}, z, []string{ct}); ok && off.price < price {
				return true
			}
		}
	}
	return false
}

type holdKey struct {
	price         float64
	milliCPU, mem int64
}

// validate re-checks a consolidation decision 15 s later: every
// candidate must still be one, and the simulation must still give the
// same outcome.
func (c *Controller) validate() {
	cmd := c.pendingCmd
	if cmd == nil || !cmd.validating {
		return
	}
	c.pendingCmd = nil
	current := map[string]*candidate{}
	for _, cd := range c.underutilizedBy(len(cmd.cands) > 1) { // as the method listed them
		current[cd.cs.name] = cd
	}
	var fresh []*candidate
	for _, cd := range cmd.cands {
		n, ok := current[cd.cs.name]
		if !ok {
			c.trace("consolidation-invalid", cd.cs.name, "no longer a candidate")
			return
		}
		fresh = append(fresh, n)
	}
	plans, ok := c.consolidation(fresh)
	if !ok || len(plans) > len(cmd.plans) {
		c.trace("consolidation-invalid", fresh[0].cs.name, "simulation changed")
		return
	}
	cmd.cands, cmd.plans, cmd.validating = fresh, plans, false
	c.pendingCmd = cmd
	c.execute(cmd)
}

// execute carries a command out: replacements first (the candidates
// tainted so nothing new lands on them), the candidates deleted once the
// replacements are initialized.
func (c *Controller) execute(cmd *command) {
	names := make([]string, len(cmd.cands))
	for i, cd := range cmd.cands {
		names[i] = cd.node.Name
		c.update(cd.cs.name, nil, func(nc *karpv1.NodeClaim) {
			karpv1.SetCondition(&nc.Status.Conditions, c.condition(karpv1.ConditionDisruptionReason, metav1.ConditionTrue, title(cmd.reason), "", nc.Generation))
		})
		c.taintDisrupted(cd.node.Name)
	}
	summary := fmt.Sprintf("%s: %s, %d pods", cmd.method, strings.Join(names, ","), podCount(cmd.cands))
	if len(cmd.plans) > 0 {
		summary += fmt.Sprintf(", %d replacement(s)", len(cmd.plans))
	}
	c.trace("disrupt", cmd.cands[0].cs.name, summary)
	switch cmd.reason {
	case karpv1.DisruptionReasonEmpty:
		c.stats.EmptyDeletes += len(cmd.cands)
	case karpv1.DisruptionReasonUnderutilized:
		c.stats.Consolidations++
	}
	for _, p := range cmd.plans {
		if name := c.createNodeClaim(p, title(cmd.reason)); name != "" {
			cmd.replaced = append(cmd.replaced, name)
			c.stats.Replacements++
		}
	}
	if len(cmd.plans) > 0 && len(cmd.replaced) < len(cmd.plans) {
		c.abort(cmd, "replacement could not be launched")
		return
	}
	c.proceed(cmd)
}

func podCount(cands []*candidate) int {
	n := 0
	for _, cd := range cands {
		n += len(cd.pods)
	}
	return n
}

// proceed deletes a command's candidates once its replacements are
// initialized (re-checked every second while waiting).
func (c *Controller) proceed(cmd *command) {
	if c.pendingCmd != cmd {
		return
	}
	for _, name := range cmd.replaced {
		cs := c.claims[name]
		if cs == nil || cs.deleting {
			c.abort(cmd, "replacement "+name+" was deleted")
			return
		}
		if cs.initializedAt == 0 {
			if o, ok := c.Store.Get("NodeClaim", "", name); ok {
				if cd := cmd.cands[0]; c.now()-cs.launchedAt < time.Second {
					c.Client.Event(cd.nc, corev1.EventTypeNormal, "DisruptionWaitingReadiness", "Waiting on readiness to continue disruption")
					_ = o
				}
			}
			c.Engine.After(time.Second, "karpenter/disruption-wait", func() { c.proceed(cmd) })
			return
		}
	}
	for _, cd := range cmd.cands {
		c.Client.Event(cd.node, corev1.EventTypeNormal, "DisruptionTerminating", "Disrupting Node: "+title(cmd.reason))
		c.Client.Event(cd.nc, corev1.EventTypeNormal, "DisruptionTerminating", "Disrupting NodeClaim: "+title(cmd.reason))
		c.deleteClaim(cd.cs.name)
	}
	c.pendingCmd = nil
}

// abort gives a command up: the candidates lose the disrupted taint.
func (c *Controller) abort(cmd *command, why string) {
	for _, cd := range cmd.cands {
		c.updateNode(cd.node.Name, func(n *corev1.Node) bool {
			n.Spec.Taints = slices.DeleteFunc(n.Spec.Taints, func(t corev1.Taint) bool { return t.Key == karpv1.TaintDisrupted })
			return true
		})
		c.update(cd.cs.name, nil, func(nc *karpv1.NodeClaim) {
			karpv1.RemoveCondition(&nc.Status.Conditions, karpv1.ConditionDisruptionReason)
		})
	}
	c.trace("disrupt-aborted", cmd.cands[0].cs.name, why)
	if c.pendingCmd == cmd {
		c.pendingCmd = nil
	}
}
