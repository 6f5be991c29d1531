package karpenter

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/ptr"

	"github.com/kubesim/kubesim/sim"
	karpv1 "github.com/kubesim/kubesim/sim/apis/karpenter/v1"
	"github.com/kubesim/kubesim/sim/apiserver"
	"github.com/kubesim/kubesim/sim/cloud"
	"github.com/kubesim/kubesim/sim/podutil"
	"github.com/kubesim/kubesim/sim/store"
)

// nameAlphabet is the apiserver's generateName alphabet.
const nameAlphabet = "bcdfghjklmnpqrstvwxz2456789"

func (c *Controller) claimName(np string) string {
	for {
		b := make([]byte, 5)
		for i := range b {
			b[i] = nameAlphabet[c.Rand.IntN(len(nameAlphabet))]
		}
		name := np + "-" + string(b)
		if _, ok := c.Store.Get("NodeClaim", "", name); !ok {
			return name
		}
	}
}

// hashOf is a decimal hash of v's JSON (upstream's hashes are decimal
// uint64s too).
func hashOf(v any) string {
	b, _ := json.Marshal(v)
	sum := sha256.Sum256(b)
	return strconv.FormatUint(binary.BigEndian.Uint64(sum[:8]), 10)
}

// nodePoolHash hashes what of a NodePool's template drifts its nodes when
// changed: labels, annotations, taints, nodeClassRef, expireAfter,
// terminationGracePeriod (requirements drift separately).
func nodePoolHash(np *karpv1.NodePool) string {
	t := np.Spec.Template
	t.Spec.Requirements = nil
	return hashOf(t)
}

// nodeClassHash hashes the EC2NodeClass fields that drift nodes (the
// selector terms drift through what they resolve to, the AMI).
func nodeClassHash(nc *karpv1.EC2NodeClass) string {
	s := nc.Spec
	return hashOf([]any{s.UserData, s.Role, s.InstanceProfile, s.Tags})
}

// imageID is the AMI the EC2NodeClass's amiSelectorTerms resolve to (a
// deterministic id per term: an alias pinned to a version resolves to
// another AMI than @latest, so changing it drifts the nodes).
func imageID(nc *karpv1.EC2NodeClass, arch string) string {
	terms := ""
	if nc != nil {
		b, _ := json.Marshal(nc.Spec.AMISelectorTerms)
		terms = string(b)
	}
	sum := sha256.Sum256([]byte(terms + "/" + arch))
	return "ami-0" + hex.EncodeToString(sum[:])[:16]
}

func (c *Controller) condition(t string, status metav1.ConditionStatus, reason, msg string, gen int64) metav1.Condition {
	return metav1.Condition{Type: t, Status: status, Reason: reason, Message: msg, ObservedGeneration: gen,
		LastTransitionTime: metav1.NewTime(c.Engine.Now())}
}

// createNodeClaim creates the NodeClaim of a plan and launches it; reason
// is the disruption it replaces capacity for ("" when provisioning).
func (c *Controller) createNodeClaim(p *plan, reason string) string {
	np := p.np
	name := c.claimName(np.Name)
	reqs := slices.Clone(np.Spec.Template.Spec.Requirements)
	var typeNames []string
	for i, t := range p.types {
		if i == MaxInstanceTypes {
			break
		}
		typeNames = append(typeNames, t.Name)
	}
	reqs = append(reqs,
		karpv1.NodeSelectorRequirementWithMinValues{Key: corev1.LabelInstanceTypeStable, Operator: corev1.NodeSelectorOpIn, Values: typeNames},
		karpv1.NodeSelectorRequirementWithMinValues{Key: corev1.LabelTopologyZone, Operator: corev1.NodeSelectorOpIn, Values: []string{p.zone}},
		karpv1.NodeSelectorRequirementWithMinValues{Key: karpv1.LabelCapacityType, Operator: corev1.NodeSelectorOpIn, Values: p.cts},
	)
	labels := map[string]string{karpv1.LabelNodePool: np.Name}
	for k, v := range np.Spec.Template.Labels {
		labels[k] = v
	}
	annotations := map[string]string{karpv1.AnnotationNodePoolHash: nodePoolHash(np)}
	if ncls := c.nodeClass(np); ncls != nil {
		annotations[karpv1.AnnotationNodeClassHash] = nodeClassHash(ncls)
	}
	for k, v := range np.Spec.Template.Annotations {
		annotations[k] = v
	}
	nc := &karpv1.NodeClaim{
		ObjectMeta: metav1.ObjectMeta{Name: name, Labels: labels, Annotations: annotations,
			Finalizers: []string{karpv1.TerminationFinalizer},
			OwnerReferences: []metav1.OwnerReference{{APIVersion: karpv1.SchemeGroupVersion.String(), Kind: "NodePool", Name: np.Name,
				UID: np.UID, BlockOwnerDeletion: ptr.To(true)}}},
		Spec: karpv1.NodeClaimSpec{
			Taints: np.Spec.Template.Spec.Taints, StartupTaints: np.Spec.Template.Spec.StartupTaints,
			Requirements: reqs, NodeClassRef: np.Spec.Template.Spec.NodeClassRef,
			Resources:              karpv1.ResourceRequirements{Requests: toList(p.requests)},
			TerminationGracePeriod: np.Spec.Template.Spec.TerminationGracePeriod, ExpireAfter: np.Spec.Template.Spec.ExpireAfter,
		},
	}
	created, err := c.Client.Create(nc)
	if err != nil {
		return ""
	}
	nc = created.(*karpv1.NodeClaim)
	c.stats.NodeClaimsCreated++
	cs := &claimState{name: name, nodePool: np.Name, lastPodEvent: c.now()}
	c.claims[name] = cs
	if reason != "" {
		c.Client.Event(nc, corev1.EventTypeNormal, "DisruptionLaunching", "Launching NodeClaim: "+reason)
	}
	for _, pod := range p.pods {
		if reason != "" {
			break // a disruption moves running pods: nothing to nominate
		}
		c.nominated[store.KeyOf(pod)] = name
		c.Client.Event(pod, corev1.EventTypeNormal, "Nominated", "Pod should schedule on: nodeclaim/"+name)
	}
	c.launch(nc, p)
	return name
}

func toList(r podutil.Resources) corev1.ResourceList {
	return corev1.ResourceList{
		corev1.ResourceCPU:    *resourceMilli(r.MilliCPU),
		corev1.ResourceMemory: *resourceBytes(r.Memory),
		corev1.ResourcePods:   *resourceInt(r.Pods),
	}
}

// launch asks EC2 for the cheapest offering of the NodeClaim's types, as
// a CreateFleet with every type as an override: an offering out of
// capacity is cached unavailable and the next cheapest tried. When none
// launches, the NodeClaim is deleted and its pods provisioned again.
func (c *Controller) launch(nc *karpv1.NodeClaim, p *plan) {
	cs := c.claims[nc.Name]
	var lastErr error
	for {
		off, ok := c.cheapest(p.types, p.zone, p.cts)
		if !ok {
			break
		}
		t, _ := cloud.Lookup(off.typ)
		labels := nodeLabels(p.np, t, off.zone, off.capacityType)
		taints := append(slices.Clone(p.np.Spec.Template.Spec.Taints), p.np.Spec.Template.Spec.StartupTaints...)
		taints = append(taints, corev1.Taint{Key: karpv1.TaintUnregistered, Effect: corev1.TaintEffectNoExecute})
		out, err := c.cloud.Create(LaunchRequest{NodeClaim: nc.Name, NodePool: p.np.Name, Type: off.typ, Zone: off.zone,
			CapacityType: eksCapacityType(off.capacityType), Labels: labels, Taints: taints,
			ImageID: imageID(c.nodeClass(p.np), t.Arch)})
		var ice *cloud.InsufficientCapacityError
		if errors.As(err, &ice) {
			c.markUnavailable(off.offeringKey)
			lastErr = err
			continue
		}
		if err != nil {
			lastErr = err
			break
		}
		cs.nodeName, cs.launchedAt = out.NodeName, c.now()
		c.update(nc.Name, func(nc *karpv1.NodeClaim) {
			for k, v := range labels {
				nc.Labels[k] = v
			}
		}, func(nc *karpv1.NodeClaim) {
			nc.Status.ProviderID, nc.Status.ImageID = out.ProviderID, out.ImageID
			nc.Status.Capacity, nc.Status.Allocatable = t.Capacity(), t.Allocatable()
			karpv1.SetCondition(&nc.Status.Conditions, c.condition(karpv1.ConditionLaunched, metav1.ConditionTrue, "Launched", "", nc.Generation))
			karpv1.SetCondition(&nc.Status.Conditions, c.condition(karpv1.ConditionRegistered, metav1.ConditionUnknown, "AwaitingReconciliation", "object is awaiting reconciliation", nc.Generation))
			karpv1.SetCondition(&nc.Status.Conditions, c.condition(karpv1.ConditionInitialized, metav1.ConditionUnknown, "AwaitingReconciliation", "object is awaiting reconciliation", nc.Generation))
			karpv1.SetCondition(&nc.Status.Conditions, c.condition(karpv1.ConditionReady, metav1.ConditionUnknown, "AwaitingReconciliation", "object is awaiting reconciliation", nc.Generation))
		})
		c.trace("launch", nc.Name, off.typ+" "+off.capacityType+" in "+off.zone+" ($"+strconv.FormatFloat(off.price, 'f', 4, 64)+"/h)")
		cs.timer = c.Engine.After(RegistrationTTL, "karpenter/registration-ttl", func() { c.registrationTimeout(nc.Name) })
		return
	}
	c.stats.LaunchFailures++
	msg := "all requested instance types were unavailable during launch"
	if lastErr != nil {
		msg = lastErr.Error()
	}
	if cur, ok := c.Store.Get("NodeClaim", "", nc.Name); ok {
		c.Client.Event(cur, corev1.EventTypeWarning, "InsufficientCapacityError", fmt.Sprintf("NodeClaim %s event: %s", nc.Name, msg))
	}
	c.finish(nc.Name)
	c.retrigger()
}

// retrigger opens a batch when provisionable pods remain.
func (c *Controller) retrigger() {
	for _, key := range sortedKeys(c.Snap.Pending) {
		if c.provisionable(c.Snap.Pending[key]) {
			c.trigger()
			return
		}
	}
}

func (c *Controller) registrationTimeout(name string) {
	cs := c.claims[name]
	if cs == nil || cs.deleting {
		return
	}
	if _, ok := c.Store.Get("Node", "", cs.nodeName); ok {
		return
	}
	c.trace("registration-timeout", name, "no node registered within "+RegistrationTTL.String())
	c.deleteClaim(name)
}

// update applies a metadata/spec change and a status change to a
// NodeClaim (either may be nil).
func (c *Controller) update(name string, meta, status func(*karpv1.NodeClaim)) {
	if meta != nil {
		if o, ok := c.Store.Get("NodeClaim", "", name); ok {
			nc := o.(*karpv1.NodeClaim).DeepCopy()
			meta(nc)
			_, _ = c.Client.Update(nc)
		}
	}
	if status != nil {
		if o, ok := c.Store.Get("NodeClaim", "", name); ok {
			nc := o.(*karpv1.NodeClaim).DeepCopy()
			status(nc)
			_, _ = c.Client.UpdateStatus(nc)
		}
	}
}

func (c *Controller) updateNode(name string, fn func(*corev1.Node) bool) {
	if o, ok := c.Store.Get("Node", "", name); ok {
		n := o.(*corev1.Node).DeepCopy()
		if fn(n) {
			_, _ = c.Client.Update(n)
		}
	}
}

func (c *Controller) claimOfNode(node string) *claimState {
	for _, name := range sortedKeys(c.claims) {
		if c.claims[name].nodeName == node {
			return c.claims[name]
		}
	}
	return nil
}

// onNode registers and initializes NodeClaims as their nodes appear and
// turn Ready.
func (c *Controller) onNode(ev store.Event) {
	node := ev.Object.(*corev1.Node)
	c.Snap.TrackNode(ev)
	switch ev.Type {
	case store.Added:
		c.markUnconsolidated()
	case store.Deleted:
		c.markUnconsolidated()
		return
	}
	cs := c.claimOfNode(node.Name)
	if cs == nil || cs.deleting {
		return
	}
	if o, ok := c.Store.Get("NodeClaim", "", cs.name); !ok || karpv1.IsTrue(o.(*karpv1.NodeClaim).Status.Conditions, karpv1.ConditionRegistered) {
		if ok && cs.initializedAt == 0 && nodeReady(node) {
			c.initialize(cs, node)
		}
		return
	}
	// Registration: the node is linked to its NodeClaim, loses the
	// unregistered taint and gets karpenter's labels.
	c.updateNode(node.Name, func(n *corev1.Node) bool {
		n.Spec.Taints = slices.DeleteFunc(n.Spec.Taints, func(t corev1.Taint) bool { return t.Key == karpv1.TaintUnregistered })
		n.Labels[karpv1.LabelRegistered] = "true"
		n.OwnerReferences = []metav1.OwnerReference{{APIVersion: karpv1.SchemeGroupVersion.String(), Kind: "NodeClaim", Name: cs.name,
			UID: c.claimUID(cs.name), BlockOwnerDeletion: ptr.To(true)}}
		return true
	})
	c.update(cs.name, nil, func(nc *karpv1.NodeClaim) {
		nc.Status.NodeName = node.Name
		karpv1.SetCondition(&nc.Status.Conditions, c.condition(karpv1.ConditionRegistered, metav1.ConditionTrue, "Registered", "", nc.Generation))
	})
	if nodeReady(node) {
		c.initialize(cs, node)
	}
}

func (c *Controller) claimUID(name string) types.UID {
	if o, ok := c.Store.Get("NodeClaim", "", name); ok {
		return o.GetUID()
	}
	return ""
}

func nodeReady(n *corev1.Node) bool {
	for _, cond := range n.Status.Conditions {
		if cond.Type == corev1.NodeReady {
			return cond.Status == corev1.ConditionTrue
		}
	}
	return false
}

// initialize marks a NodeClaim Initialized and Ready once its node is
// Ready. The startup taints are removed here, standing in for the agent
// (a CNI or security daemon) that would remove them on a real cluster.
func (c *Controller) initialize(cs *claimState, node *corev1.Node) {
	cs.initializedAt = c.now()
	o, ok := c.Store.Get("NodeClaim", "", cs.name)
	if !ok {
		return
	}
	startup := o.(*karpv1.NodeClaim).Spec.StartupTaints
	c.updateNode(node.Name, func(n *corev1.Node) bool {
		n.Spec.Taints = slices.DeleteFunc(n.Spec.Taints, func(t corev1.Taint) bool {
			return slices.ContainsFunc(startup, func(s corev1.Taint) bool { return s.Key == t.Key && s.Effect == t.Effect })
		})
		n.Labels[karpv1.LabelInitialized] = "true"
		return true
	})
	c.update(cs.name, nil, func(nc *karpv1.NodeClaim) {
		karpv1.SetCondition(&nc.Status.Conditions, c.condition(karpv1.ConditionInitialized, metav1.ConditionTrue, "Initialized", "", nc.Generation))
		karpv1.SetCondition(&nc.Status.Conditions, c.condition(karpv1.ConditionReady, metav1.ConditionTrue, "Ready", "", nc.Generation))
	})
	for _, key := range sortedKeys(c.nominated) {
		if c.nominated[key] == cs.name {
			delete(c.nominated, key)
		}
	}
	c.scheduleExpiry(cs.name)
	c.retrigger()
}

// scheduleExpiry deletes the NodeClaim expireAfter after its creation
// (v1: expiration is forceful, outside disruption budgets).
func (c *Controller) scheduleExpiry(name string) {
	o, ok := c.Store.Get("NodeClaim", "", name)
	if !ok {
		return
	}
	nc := o.(*karpv1.NodeClaim)
	d, ok, _ := nc.Spec.ExpireAfter.Get()
	if !ok {
		return
	}
	created := nc.CreationTimestamp.Sub(c.Engine.Start())
	c.Engine.At(max(created+d, c.now()), "karpenter/expiration", func() {
		cs := c.claims[name]
		if cs == nil || cs.deleting {
			return
		}
		c.trace("expire", name, "expireAfter "+string(nc.Spec.ExpireAfter)+" elapsed")
		if cur, ok := c.Store.Get("NodeClaim", "", name); ok {
			c.Client.Event(cur, corev1.EventTypeNormal, "Expired", "NodeClaim expired after "+string(nc.Spec.ExpireAfter))
		}
		c.deleteClaim(name)
	})
}

// deleteClaim deletes a NodeClaim through the API: its finalizer holds it
// while the termination controller drains and terminates.
func (c *Controller) deleteClaim(name string) {
	_ = c.Client.Delete("NodeClaim", "", name, apiserver.DeleteOptions{})
}

// onNodeClaim starts termination when a NodeClaim is being deleted (by
// Karpenter, by kubectl, by the garbage collector with its NodePool).
func (c *Controller) onNodeClaim(ev store.Event) {
	nc := ev.Object.(*karpv1.NodeClaim)
	cs := c.claims[nc.Name]
	if ev.Type != store.Modified {
		c.markUnconsolidated()
	}
	if ev.Type == store.Deleted {
		if cs != nil {
			c.Engine.Cancel(cs.timer)
			delete(c.claims, nc.Name)
		}
		return
	}
	if cs == nil {
		// A NodeClaim written by someone else: adopt it into the state
		// without launching (Karpenter launches only what it created).
		cs = &claimState{name: nc.Name, nodePool: nc.Labels[karpv1.LabelNodePool], nodeName: nc.Status.NodeName}
		c.claims[nc.Name] = cs
	}
	if nc.DeletionTimestamp != nil && !cs.deleting {
		c.terminate(cs)
	}
}

// terminate is the termination controller: taint the node
// karpenter.sh/disrupted:NoSchedule, evict its pods (PodDisruptionBudgets
// respected, retried every 5 s), then terminate the instance and release
// the NodeClaim.
func (c *Controller) terminate(cs *claimState) {
	cs.deleting, cs.drainStarted = true, c.now()
	c.Engine.Cancel(cs.timer)
	for _, key := range sortedKeys(c.nominated) {
		if c.nominated[key] == cs.name {
			delete(c.nominated, key)
		}
	}
	if _, ok := c.Store.Get("Node", "", cs.nodeName); !ok || cs.nodeName == "" {
		c.release(cs)
		return
	}
	c.taintDisrupted(cs.nodeName)
	c.drain(cs)
}

func (c *Controller) taintDisrupted(node string) {
	c.updateNode(node, func(n *corev1.Node) bool {
		for _, t := range n.Spec.Taints {
			if t.Key == karpv1.TaintDisrupted {
				return false
			}
		}
		n.Spec.Taints = append(n.Spec.Taints, corev1.Taint{Key: karpv1.TaintDisrupted, Effect: corev1.TaintEffectNoSchedule})
		return true
	})
}

func (c *Controller) drain(cs *claimState) {
	if c.claims[cs.name] != cs {
		return
	}
	var tgp time.Duration = -1
	if o, ok := c.Store.Get("NodeClaim", "", cs.name); ok {
		if g := o.(*karpv1.NodeClaim).Spec.TerminationGracePeriod; g != nil {
			tgp = g.Duration
		}
	}
	forced := tgp >= 0 && c.now()-cs.drainStarted >= tgp
	left := false
	for _, p := range c.Snap.Drainable(cs.nodeName) {
		cur, ok := c.Store.Get("Pod", p.Namespace, p.Name)
		if !ok {
			continue
		}
		left = true
		if cur.GetDeletionTimestamp() != nil {
			continue
		}
		if forced {
			_ = c.Client.Delete("Pod", p.Namespace, p.Name, apiserver.DeleteOptions{})
			continue
		}
		if cur.GetAnnotations()[karpv1.AnnotationDoNotDisrupt] == "true" {
			continue // waits for the terminationGracePeriod (or the machine's end)
		}
		if err := c.Client.Evict(p.Namespace, p.Name); err == nil {
			c.Client.Event(cur, corev1.EventTypeNormal, "Evicted", "Evicted pod: "+c.evictReason(cs))
		} else if !apierrors.IsNotFound(err) && !apierrors.IsTooManyRequests(err) {
			c.trace("evict-failed", p.Namespace+"/"+p.Name, err.Error())
		}
	}
	if left {
		cs.timer = c.Engine.After(EvictionRetry, "karpenter/drain", func() { c.drain(cs) })
		return
	}
	c.update(cs.name, nil, func(nc *karpv1.NodeClaim) {
		karpv1.SetCondition(&nc.Status.Conditions, c.condition(karpv1.ConditionDrained, metav1.ConditionTrue, "Drained", "", nc.Generation))
	})
	c.release(cs)
}

func (c *Controller) evictReason(cs *claimState) string {
	if o, ok := c.Store.Get("NodeClaim", "", cs.name); ok {
		if cond := karpv1.Condition(o.(*karpv1.NodeClaim).Status.Conditions, karpv1.ConditionDisruptionReason); cond != nil {
			return cond.Reason
		}
	}
	if cs.interrupted {
		return "Interrupted"
	}
	return "Deleted"
}

// release terminates the instance and removes the finalizer: the
// NodeClaim is gone; the cloud controller deletes the Node.
func (c *Controller) release(cs *claimState) {
	if !cs.terminated && cs.nodeName != "" {
		cs.terminated = true
		c.update(cs.name, nil, func(nc *karpv1.NodeClaim) {
			karpv1.SetCondition(&nc.Status.Conditions, c.condition(karpv1.ConditionInstanceTerminating, metav1.ConditionTrue, "InstanceTerminating", "", nc.Generation))
		})
		if err := c.cloud.Delete(cs.nodeName); err != nil {
			c.trace("terminate-failed", cs.name, err.Error())
		}
	}
	c.finish(cs.name)
}

// finish removes the termination finalizer (deleting the NodeClaim).
func (c *Controller) finish(name string) {
	o, ok := c.Store.Get("NodeClaim", "", name)
	if !ok {
		return
	}
	nc := o.(*karpv1.NodeClaim).DeepCopy()
	if nc.DeletionTimestamp == nil {
		_ = c.Client.Delete("NodeClaim", "", name, apiserver.DeleteOptions{})
		o, ok = c.Store.Get("NodeClaim", "", name)
		if !ok {
			return
		}
		nc = o.(*karpv1.NodeClaim).DeepCopy()
	}
	nc.Finalizers = slices.DeleteFunc(nc.Finalizers, func(f string) bool { return f == karpv1.TerminationFinalizer })
	if _, err := c.Client.Update(nc); err == nil {
		c.stats.NodeClaimsDeleted++
	}
}

// onPod tracks pending pods (a new provisionable pod opens or extends the
// batch) and pod events on Karpenter's nodes (consolidateAfter counts
// from the last one).
func (c *Controller) onPod(ev store.Event) {
	pod, key, pending := c.Snap.TrackPod(ev)
	if pending {
		if c.provisionable(pod) {
			c.trigger()
		}
		return
	}
	delete(c.nominated, key)
	switch {
	case pod.Spec.NodeName == "": // a pending pod deleted
	case ev.Type == store.Deleted:
		c.podEvent(pod.Spec.NodeName)
	default:
		old, _ := ev.Old.(*corev1.Pod)
		if old == nil || old.Spec.NodeName == "" || podutil.IsTerminal(pod) != podutil.IsTerminal(old) {
			c.podEvent(pod.Spec.NodeName)
		}
	}
}

func (c *Controller) podEvent(node string) {
	c.markUnconsolidated()
	if cs := c.claimOfNode(node); cs != nil {
		cs.lastPodEvent = c.now()
	}
}

func (c *Controller) trace(verb, name, summary string) {
	c.Engine.Trace().Add(sim.Record{T: c.now(), Component: Name, Verb: verb, Kind: "NodeClaim", Name: name, Summary: summary})
}

// Interrupted is the interruption controller receiving a spot
// interruption warning for a node: SpotInterrupted events, the offering
// cached unavailable, and the NodeClaim deleted at once so that its pods
// are evicted and replacement capacity launched before EC2 reclaims the
// instance two minutes after the notice.
func (c *Controller) Interrupted(node string) {
	cs := c.claimOfNode(node)
	if cs == nil {
		return
	}
	c.stats.Interruptions++
	cs.interrupted = true
	o, ok := c.Store.Get("NodeClaim", "", cs.name)
	if !ok {
		return
	}
	nc := o.(*karpv1.NodeClaim)
	c.markUnavailable(offeringKey{nc.Labels[corev1.LabelInstanceTypeStable], nc.Labels[corev1.LabelTopologyZone], karpv1.CapacityTypeSpot})
	c.Client.Event(nc, corev1.EventTypeWarning, "SpotInterrupted", "Spot interruption warning was triggered")
	if n, ok := c.Store.Get("Node", "", node); ok {
		c.Client.Event(n, corev1.EventTypeWarning, "SpotInterrupted", "Spot interruption warning was triggered")
	}
	c.trace("interrupted", cs.name, "spot interruption warning for "+node)
	if !cs.deleting {
		c.deleteClaim(cs.name)
	}
}
