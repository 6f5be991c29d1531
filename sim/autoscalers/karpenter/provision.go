package karpenter

import (
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/component-helpers/scheduling/corev1/nodeaffinity"

	karpv1 "github.com/kubesim/kubesim/sim/apis/karpenter/v1"
	"github.com/kubesim/kubesim/sim/autoscalers/simulator"
	"github.com/kubesim/kubesim/sim/cloud"
	"github.com/kubesim/kubesim/sim/podutil"
	"github.com/kubesim/kubesim/sim/scheduler/framework"
	"github.com/kubesim/kubesim/sim/scheduler/plugins/noderesources"
	"github.com/kubesim/kubesim/sim/store"
)

func resourceInt(n int64) *resource.Quantity { return resource.NewQuantity(n, resource.DecimalSI) }

func resourceMilli(n int64) *resource.Quantity {
	return resource.NewMilliQuantity(n, resource.DecimalSI)
}

func resourceBytes(n int64) *resource.Quantity { return resource.NewQuantity(n, resource.BinarySI) }

// provisionable reports whether Karpenter provisions for a pod: not
// bound, not terminating, marked unschedulable by the scheduler, not a
// DaemonSet pod (those follow nodes), and not waiting for a NodeClaim.
func (c *Controller) provisionable(p *corev1.Pod) bool {
	if p.Spec.NodeName != "" || p.DeletionTimestamp != nil || podutil.IsTerminal(p) || simulator.IsDaemonSet(p) {
		return false
	}
	if _, ok := c.nominated[store.KeyOf(p)]; ok {
		return false
	}
	for _, cond := range p.Status.Conditions {
		if cond.Type == corev1.PodScheduled && cond.Status == corev1.ConditionFalse && cond.Reason == corev1.PodReasonUnschedulable {
			return true
		}
	}
	return false
}

// trigger opens or extends the batch window: it closes BatchIdleDuration
// after the last pending pod arrived, or BatchMaxDuration after it opened.
func (c *Controller) trigger() {
	now := c.now()
	if !c.batching {
		c.batching, c.batchStart = true, now
	}
	c.lastPending = now
	at := min(now+c.opts.BatchIdleDuration, c.batchStart+c.opts.BatchMaxDuration)
	c.Engine.Cancel(c.batchTimer)
	c.batchTimer = c.Engine.At(at, "karpenter/batch", c.provision)
}

// nodeLabels are the labels a NodePool's node of type t in zone with
// capacity type ct carries: the template's, single-valued custom
// requirements, the offering's well-known labels and karpenter.sh's.
func nodeLabels(np *karpv1.NodePool, t cloud.InstanceType, zone, ct string) map[string]string {
	out := map[string]string{}
	for k, v := range np.Spec.Template.Labels {
		out[k] = v
	}
	for _, r := range np.Spec.Template.Spec.Requirements {
		if !wellKnown[r.Key] && r.Operator == corev1.NodeSelectorOpIn && len(r.Values) > 0 {
			out[r.Key] = r.Values[0]
		}
	}
	for k, v := range typeLabels(t) {
		out[k] = v
	}
	out[corev1.LabelTopologyZone] = zone
	out[karpv1.LabelCapacityType] = ct
	out[karpv1.LabelNodePool] = np.Name
	if ref := np.Spec.Template.Spec.NodeClassRef; ref != nil {
		out[karpv1.LabelEC2NodeClass] = ref.Name
	}
	return out
}

// templateNode is the Node a NodeClaim of type t would register, Ready.
func templateNode(name string, np *karpv1.NodePool, t cloud.InstanceType, zone, ct string) *corev1.Node {
	n := cloud.NodeObject(cloud.NodeSpec{Name: name, Zone: zone, InstanceType: t.Name, CapacityType: eksCapacityType(ct),
		Labels: nodeLabels(np, t, zone, ct), Taints: np.Spec.Template.Spec.Taints, Capacity: t.Capacity(), Allocatable: t.Allocatable()})
	n.Labels[corev1.LabelHostname] = name
	n.Status.Conditions = []corev1.NodeCondition{{Type: corev1.NodeReady, Status: corev1.ConditionTrue}}
	return n
}

// templateNode is templateNode(...) remembered: simulations build the
// same hypothetical nodes ("nodeclaim-plan-1" of a type in a zone) over
// and over. The nodes are shared, only read; a NodePool object replaced
// (changed) makes new keys, and the map is dropped wholesale when it
// grows past a few hundred entries.
func (c *Controller) templateNode(name string, np *karpv1.NodePool, t cloud.InstanceType, zone, ct string) *corev1.Node {
	k := templateKey{name, np, t.Name, zone, ct}
	if n, ok := c.templates[k]; ok {
		return n
	}
	if c.templates == nil || len(c.templates) >= 512 {
		c.templates = map[templateKey]*corev1.Node{}
	}
	n := templateNode(name, np, t, zone, ct)
	c.templates[k] = n
	return n
}

type templateKey struct {
	name string
	np   *karpv1.NodePool
	typ  string
	zone string
	ct   string
}

// labelNode is a Node with only the labels of an offering, for
// nodeaffinity matching.
func labelNode(np *karpv1.NodePool, t cloud.InstanceType, zone, ct string) *corev1.Node {
	return &corev1.Node{ObjectMeta: metav1.ObjectMeta{Labels: nodeLabels(np, t, zone, ct)}}
}

// plan is one new NodeClaim being packed.
type plan struct {
	np       *karpv1.NodePool
	zone     string
	cts      []string
	types    []cloud.InstanceType // still fitting, cheapest first
	node     string               // its hypothetical node in the snapshot
	nodeType string               // the type the hypothetical node has now
	pods     []*corev1.Pod
	requests podutil.Resources // pods and daemon pods
}

// packer packs pods onto existing capacity and new NodeClaims.
type packer struct {
	c     *Controller
	u     *simulator.Undo
	pools []*karpv1.NodePool
	// usage is nodePoolUsage(exclude), summed when a plan is first
	// opened (most consolidation simulations never open one).
	usage map[string]corev1.ResourceList
	plans []*plan
	seq   int
	// exclude names snapshot nodes pods may not go to (candidates of a
	// consolidation, nodes being deleted).
	exclude map[string]bool
	// inflight records the pods packed onto NodeClaims in flight.
	inflight map[*corev1.Pod]string
	// existingOnly makes add fail for a pod no existing node takes,
	// without opening a plan.
	existingOnly bool
}

// Name prefixes of the snapshot's hypothetical nodes.
const (
	planPrefix     = "nodeclaim-plan-"
	inflightPrefix = "inflight-"
)

func (c *Controller) newPacker(u *simulator.Undo, exclude map[string]bool) *packer {
	return &packer{c: c, u: u, pools: c.readyNodePools(), exclude: exclude}
}

// readyNodePools lists the NodePools that can launch (not deleting, their
// EC2NodeClass present), by weight (highest first) then name.
func (c *Controller) readyNodePools() []*karpv1.NodePool {
	var out []*karpv1.NodePool
	for _, o := range c.Store.List("NodePool", "") {
		np := o.(*karpv1.NodePool)
		if np.DeletionTimestamp != nil || c.nodeClass(np) == nil {
			continue
		}
		out = append(out, np)
	}
	weight := func(np *karpv1.NodePool) int32 {
		if np.Spec.Weight == nil {
			return 0
		}
		return *np.Spec.Weight
	}
	slices.SortStableFunc(out, func(a, b *karpv1.NodePool) int {
		if wa, wb := weight(a), weight(b); wa != wb {
			return int(wb - wa)
		}
		return strings.Compare(a.Name, b.Name)
	})
	return out
}

// nodeClass is the EC2NodeClass a NodePool references, or nil.
func (c *Controller) nodeClass(np *karpv1.NodePool) *karpv1.EC2NodeClass {
	ref := np.Spec.Template.Spec.NodeClassRef
	if ref == nil {
		return nil
	}
	o, ok := c.Store.Get("EC2NodeClass", "", ref.Name)
	if !ok || o.GetDeletionTimestamp() != nil {
		return nil
	}
	return o.(*karpv1.EC2NodeClass)
}

// nodePoolUsage sums the capacity of each NodePool's NodeClaims (not
// those excluded), plus a "nodes" count.
func (c *Controller) nodePoolUsage(exclude map[string]bool) map[string]corev1.ResourceList {
	out := map[string]corev1.ResourceList{}
	for _, o := range c.Store.List("NodeClaim", "") {
		nc := o.(*karpv1.NodeClaim)
		if exclude[nc.Status.NodeName] && nc.Status.NodeName != "" {
			continue
		}
		np := nc.Labels[karpv1.LabelNodePool]
		if out[np] == nil {
			out[np] = corev1.ResourceList{}
		}
		for name, q := range nc.Status.Capacity {
			cur := out[np][name]
			cur.Add(q)
			out[np][name] = cur
		}
		n := out[np]["nodes"]
		n.Add(*resourceInt(1))
		out[np]["nodes"] = n
	}
	return out
}

// add places pod on existing capacity or a plan, or opens a new plan; it
// returns why it could not.
func (k *packer) add(pod *corev1.Pod) (string, bool) {
	c := k.c
	req := c.requests(pod)
	skip := func(ni *framework.NodeInfo) bool {
		if k.exclude[ni.Name()] || strings.HasPrefix(ni.Name(), planPrefix) {
			return true
		}
		// A node NodeResourcesFit rejects is skipped before the other
		// filters run (the same answer: every filter must pass).
		reasons, _ := noderesources.InsufficientResources(req, ni)
		return len(reasons) > 0
	}
	if node := c.Snap.FindPlace(pod, skip); node != "" {
		c.Snap.Place(k.u, pod, node)
		if claim, ok := strings.CutPrefix(node, inflightPrefix); ok && k.inflight != nil {
			k.inflight[pod] = claim
		}
		return "", true
	}
	if k.existingOnly {
		return "no existing node fits", false
	}
	for _, p := range k.plans {
		if k.addToPlan(p, pod) {
			return "", true
		}
	}
	if len(k.pools) == 0 {
		return "no nodepools found", false
	}
	var why []string
	for _, np := range k.pools {
		reason, ok := k.open(np, pod)
		if ok {
			return "", true
		}
		why = append(why, fmt.Sprintf("incompatible with nodepool %q, %s", np.Name, reason))
	}
	return strings.Join(why, "; "), false
}

// fitTypes narrows types to those whose offering labels the pod's
// required node affinity and node selector admit and whose allocatable
// holds req.
func fitTypes(pod *corev1.Pod, np *karpv1.NodePool, ts []cloud.InstanceType, zone, ct string, req podutil.Resources) []cloud.InstanceType {
	aff := nodeaffinity.GetRequiredNodeAffinity(pod)
	// Only a node selector or required node affinity looks at the labels.
	selects := len(pod.Spec.NodeSelector) > 0 || (pod.Spec.Affinity != nil && pod.Spec.Affinity.NodeAffinity != nil &&
		pod.Spec.Affinity.NodeAffinity.RequiredDuringSchedulingIgnoredDuringExecution != nil)
	out := make([]cloud.InstanceType, 0, len(ts))
	for _, t := range ts {
		if selects {
			if ok, _ := aff.Match(labelNode(np, t, zone, ct)); !ok {
				continue
			}
		}
		if req.Fits(allocatable(t)) {
			out = append(out, t)
		}
	}
	return out
}

// largest is the type with the most allocatable CPU (then memory).
func largest(ts []cloud.InstanceType) cloud.InstanceType {
	best := ts[0]
	for _, t := range ts[1:] {
		a, b := allocatable(t), allocatable(best)
		if a.MilliCPU > b.MilliCPU || (a.MilliCPU == b.MilliCPU && a.Memory > b.Memory) {
			best = t
		}
	}
	return best
}

// resize makes the plan's hypothetical node the largest type it may
// still become.
func (k *packer) resize(p *plan) {
	t := largest(p.types)
	if t.Name == p.nodeType {
		return
	}
	ni := k.c.Snap.Get(p.node)
	old := ni.Node()
	n := k.c.templateNode(p.node, p.np, t, p.zone, p.cts[0])
	k.c.Snap.UpdateNode(old, n)
	p.nodeType = t.Name
}

func (k *packer) addToPlan(p *plan, pod *corev1.Pod) bool {
	req := p.requests.Add(k.c.requests(pod))
	ts := fitTypes(pod, p.np, p.types, p.zone, p.cts[0], req)
	if len(ts) == 0 {
		return false
	}
	if !k.c.Snap.Check(pod, k.c.Snap.Get(p.node)).IsSuccess() {
		return false
	}
	k.c.Snap.Place(k.u, pod, p.node)
	p.pods, p.requests, p.types = append(p.pods, pod), req, ts
	k.resize(p)
	return true
}

// open starts a new plan for pod in NodePool np: the zone with the fewest
// of the NodePool's nodes first, each zone tried until the scheduler's
// filters pass on the largest type that fits.
func (k *packer) open(np *karpv1.NodePool, pod *corev1.Pod) (string, bool) {
	c := k.c
	allCTs := capacityTypes(np.Spec.Template.Spec.Requirements)
	if len(allCTs) == 0 {
		return "incompatible requirements, key karpenter.sh/capacity-type", false
	}
	if k.usage == nil {
		k.usage = c.nodePoolUsage(k.exclude)
	}
	var types []cloud.InstanceType
	for _, t := range c.nodePoolTypes(np) {
		if limitsAllow(np, k.usage[np.Name], t) {
			types = append(types, t)
		}
	}
	if len(types) == 0 {
		return fmt.Sprintf("all available instance types exceed limits for nodepool: %q", np.Name), false
	}
	reason := "no instance type satisfied resources and requirements"
	for _, zone := range k.zoneOrder(np) {
		var avail []cloud.InstanceType
		for _, t := range types {
			for _, ct := range allCTs {
				if c.available(offeringKey{t.Name, zone, ct}) {
					avail = append(avail, t)
					break
				}
			}
		}
		if len(avail) == 0 {
			continue
		}
		k.seq++
		name := planPrefix + strconv.Itoa(k.seq)
		big := largest(avail)
		n := c.templateNode(name, np, big, zone, allCTs[0])
		c.Snap.AddTemporaryNode(k.u, n)
		overhead := c.Snap.AddDaemonPods(k.u, name)
		req := overhead.Add(c.requests(pod))
		// The capacity types the pod admits, and the types that fit it
		// under the first of them (spot first when allowed).
		var cts []string
		var ts []cloud.InstanceType
		for _, ct := range allCTs {
			if fit := fitTypes(pod, np, avail, zone, ct, req); len(fit) > 0 {
				if len(cts) == 0 {
					ts = fit
				}
				cts = append(cts, ct)
			}
		}
		if len(ts) == 0 {
			c.Snap.RemoveTemporaryNode(k.u, name)
			continue
		}
		if cts[0] != allCTs[0] {
			old := c.Snap.Get(name).Node()
			c.Snap.UpdateNode(old, c.templateNode(name, np, big, zone, cts[0]))
		}
		p := &plan{np: np, zone: zone, cts: cts, types: ts, node: name, nodeType: big.Name, requests: overhead}
		k.resize(p)
		if st := c.Snap.Check(pod, c.Snap.Get(name)); !st.IsSuccess() {
			reason = strings.Join(st.Reasons(), ", ")
			c.Snap.RemoveTemporaryNode(k.u, name)
			continue
		}
		c.Snap.Place(k.u, pod, name)
		p.pods, p.requests = []*corev1.Pod{pod}, req
		k.plans = append(k.plans, p)
		return "", true
	}
	return reason, false
}

// zoneOrder lists a NodePool's zones, those with fewest of its NodeClaims
// first (ties by name).
func (k *packer) zoneOrder(np *karpv1.NodePool) []string {
	count := map[string]int{}
	for _, o := range k.c.Store.List("NodeClaim", "") {
		nc := o.(*karpv1.NodeClaim)
		if nc.Labels[karpv1.LabelNodePool] == np.Name {
			count[nc.Labels[corev1.LabelTopologyZone]]++
		}
	}
	for _, p := range k.plans {
		if p.np.Name == np.Name {
			count[p.zone]++
		}
	}
	zones := k.c.zones(np)
	slices.SortStableFunc(zones, func(a, b string) int { return count[a] - count[b] })
	return zones
}

// sortPods orders pods as upstream's queue does: largest requests first
// (CPU, then memory), then by key for a stable order.
func sortPods(pods []*corev1.Pod, requests func(*corev1.Pod) podutil.Resources) {
	type keyed struct {
		req podutil.Resources
		pod *corev1.Pod
	}
	ks := make([]keyed, len(pods))
	for i, p := range pods {
		ks[i] = keyed{requests(p), p}
	}
	slices.SortStableFunc(ks, func(a, b keyed) int {
		ra, rb := a.req, b.req
		switch {
		case ra.MilliCPU != rb.MilliCPU:
			return int(rb.MilliCPU - ra.MilliCPU)
		case ra.Memory != rb.Memory:
			if ra.Memory > rb.Memory {
				return -1
			}
			return 1
		}
		return store.CompareKeys(a.pod, b.pod)
	})
	for i, k := range ks {
		pods[i] = k.pod
	}
}

// nodePoolTypes is nodePoolTypes(np), kept while the NodePool object is
// the same.
func (c *Controller) nodePoolTypes(np *karpv1.NodePool) []cloud.InstanceType {
	if e, ok := c.npTypes[np.Name]; ok && e.np == np {
		return e.types
	}
	ts := nodePoolTypes(np)
	if c.npTypes == nil {
		c.npTypes = map[string]nodePoolTypeList{}
	}
	c.npTypes[np.Name] = nodePoolTypeList{np: np, types: ts}
	return ts
}

// requests is a pod's requests, remembered per pod object (an object in
// the store is replaced, never changed, so its requests hold) for the
// rest of a disruption poll: the map is dropped after each poll, so it
// never holds on to pods the store has replaced.
func (c *Controller) requests(p *corev1.Pod) podutil.Resources {
	if r, ok := c.reqs[p]; ok {
		return r
	}
	r := podutil.PodRequests(p)
	if c.reqs == nil || len(c.reqs) >= 4096 { // pods gone or replaced are forgotten wholesale
		c.reqs = map[*corev1.Pod]podutil.Resources{}
	}
	c.reqs[p] = r
	return r
}

// addInflight puts every launched NodeClaim whose node is not initialized
// yet into the snapshot as a Ready node holding the pods nominated to it.
func (c *Controller) addInflight(u *simulator.Undo) {
	if !c.anyInflight() {
		return
	}
	byClaim := map[string][]*corev1.Pod{}
	for _, key := range sortedKeys(c.nominated) {
		if p := c.Snap.Pending[key]; p != nil {
			byClaim[c.nominated[key]] = append(byClaim[c.nominated[key]], p)
		}
	}
	for _, name := range sortedKeys(c.claims) {
		cs := c.claims[name]
		if cs.deleting || cs.initializedAt > 0 {
			continue
		}
		o, ok := c.Store.Get("NodeClaim", "", name)
		if !ok {
			continue
		}
		nc := o.(*karpv1.NodeClaim)
		np, ok := c.Store.Get("NodePool", "", cs.nodePool)
		t, known := cloud.Lookup(nc.Labels[corev1.LabelInstanceTypeStable])
		if !ok || !known {
			continue
		}
		n := c.templateNode(inflightPrefix+name, np.(*karpv1.NodePool), t, nc.Labels[corev1.LabelTopologyZone], nc.Labels[karpv1.LabelCapacityType])
		c.Snap.AddTemporaryNode(u, n)
		c.Snap.AddDaemonPods(u, n.Name)
		for _, p := range byClaim[name] {
			c.Snap.Place(u, p, n.Name)
		}
	}
}

// anyInflight reports whether a NodeClaim is launched and not yet
// initialized (addInflight has nothing to add otherwise).
func (c *Controller) anyInflight() bool {
	for _, cs := range c.claims { // any: order does not matter
		if !cs.deleting && cs.initializedAt == 0 {
			return true
		}
	}
	return false
}

// provision closes the batch: it packs the provisionable pods and
// creates a NodeClaim per new node needed.
func (c *Controller) provision() {
	c.batching = false
	c.stats.Batches++
	var pods []*corev1.Pod
	for _, key := range sortedKeys(c.Snap.Pending) {
		if p := c.Snap.Pending[key]; c.provisionable(p) {
			pods = append(pods, p)
		}
	}
	if len(pods) == 0 {
		return
	}
	sortPods(pods, c.requests)
	u := &simulator.Undo{}
	c.addInflight(u)
	k := c.newPacker(u, c.deletingNodes())
	k.inflight = map[*corev1.Pod]string{}
	failed := map[*corev1.Pod]string{}
	for _, p := range pods {
		if why, ok := k.add(p); !ok {
			failed[p] = why
		}
	}
	plans := k.plans
	c.Snap.Revert(u)
	for _, p := range pods {
		if claim, ok := k.inflight[p]; ok {
			c.nominated[store.KeyOf(p)] = claim
			c.Client.Event(p, corev1.EventTypeNormal, "Nominated", "Pod should schedule on: nodeclaim/"+claim)
		}
	}
	for _, p := range pods {
		if why, ok := failed[p]; ok {
			c.Client.Event(p, corev1.EventTypeWarning, "FailedScheduling", "Failed to schedule pod, "+why)
		}
	}
	for _, p := range plans {
		c.createNodeClaim(p, "")
	}
}

// deletingNodes names the nodes whose NodeClaims are being deleted or
// disrupted: no pod is packed onto them.
//
// While a disruption poll looks for a command nothing it reads is
// written (see polling; executing the command found writes), so the
// first answer is kept for the poll and each call gets a copy to add to.
func (c *Controller) deletingNodes() map[string]bool {
	looking := c.polling && c.pendingCmd == nil
	if looking && c.pollDeleting != nil {
		return maps.Clone(c.pollDeleting)
	}
	out := c.listDeletingNodes()
	if looking {
		c.pollDeleting = maps.Clone(out)
	}
	return out
}

func (c *Controller) listDeletingNodes() map[string]bool {
	out := map[string]bool{}
	for _, name := range sortedKeys(c.claims) {
		if cs := c.claims[name]; cs.deleting && cs.nodeName != "" {
			out[cs.nodeName] = true
		}
	}
	for _, o := range c.Store.List("Node", "") {
		n := o.(*corev1.Node)
		for _, t := range n.Spec.Taints {
			if t.Key == karpv1.TaintDisrupted {
				out[n.Name] = true
			}
		}
	}
	return out
}
