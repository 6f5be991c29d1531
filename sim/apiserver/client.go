package apiserver

import (
	"errors"
	"fmt"
	"slices"
	"strconv"

	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/utils/ptr"

	"github.com/kubesim/kubesim/sim"
	"github.com/kubesim/kubesim/sim/podutil"
	"github.com/kubesim/kubesim/sim/store"
)

// Client is a component's connection to the API server. Reads go to the
// store (the watch cache); writes go through validation, defaulting,
// admission and the trace.
type Client struct {
	s         *Server
	component string
	uids      *sim.Rand // nil: the API server's shared UID stream
}

// WithUIDStream returns a client whose created objects draw their UIDs
// from the named random stream instead of the shared one: system objects
// created in every cluster (the bootstrap RBAC policy, each namespace's
// default ServiceAccount and kube-root-ca.crt) so that adding them does
// not shift the UIDs of every workload object, and so their seeded
// behaviour (metrics noise is keyed by pod UID).
func (c *Client) WithUIDStream(name string) *Client {
	return &Client{s: c.s, component: c.component, uids: c.s.engine.Rand(name)}
}

// Component is the name writes are attributed to.
func (c *Client) Component() string { return c.component }

// Server is the API server behind the client.
func (c *Client) Server() *Server { return c.s }

// Get returns an object or a NotFound error.
func (c *Client) Get(kind, namespace, name string) (store.Object, error) {
	info, ok := store.LookupKind(kind)
	if !ok {
		return nil, fmt.Errorf("apiserver: unknown kind %q", kind)
	}
	o, ok := c.s.store.Get(kind, namespace, name)
	if !ok {
		return nil, apierrors.NewNotFound(info.GroupResource(), name)
	}
	return o, nil
}

// Create validates, defaults and admits obj, then stores it. obj is owned
// by the server afterwards. A pod may share its maps, slices and pointers
// with other objects (controllerutil.SharedPodFromTemplate): the server
// sets the pod's own fields and replaces, never writes through, what they
// point to.
func (c *Client) Create(obj store.Object) (store.Object, error) {
	return c.create(obj, nil)
}

// create is Create; a pod of batch b (PodBatch.Create) is validated
// through b, which checked once the metadata its pods share.
func (c *Client) create(obj store.Object, b *PodBatch) (store.Object, error) {
	s := c.s
	info, err := s.writable(obj)
	if err != nil {
		return nil, err
	}
	if obj.GetName() == "" && obj.GetGenerateName() != "" {
		obj.SetName(s.generateName(info.Kind, obj.GetNamespace(), obj.GetGenerateName()))
	}
	if info.Namespaced && obj.GetNamespace() == "" {
		obj.SetNamespace(metav1.NamespaceDefault)
	}
	if !info.Namespaced {
		obj.SetNamespace("")
	}
	if b != nil {
		err = b.admit(obj.(*corev1.Pod))
	} else {
		err = s.defaultAndAdmit(obj)
	}
	if err != nil {
		return nil, err
	}
	if b != nil {
		err = b.validate(obj.(*corev1.Pod))
	} else {
		err = Validate(obj)
	}
	if err != nil {
		return nil, err
	}
	if _, exists := s.store.Get(info.Kind, obj.GetNamespace(), obj.GetName()); exists {
		return nil, apierrors.NewAlreadyExists(info.GroupResource(), obj.GetName())
	}
	obj.SetUID(s.newUID(c.uids))
	obj.SetCreationTimestamp(s.now())
	obj.SetResourceVersion("")
	obj.SetDeletionTimestamp(nil)
	if info.Generation {
		obj.SetGeneration(1)
	}
	if err := s.allocate(obj); err != nil {
		return nil, err
	}
	out, err := s.store.Create(obj)
	if err != nil {
		return nil, err
	}
	s.traceWrite(c.component, "create", out)
	return out, nil
}

// defaultAndAdmit defaults obj and runs admission on it; a pod's resource
// lists are then shared (shareResources).
func (s *Server) defaultAndAdmit(obj store.Object) error {
	Default(obj)
	if err := s.admit(obj); err != nil {
		return err
	}
	if pod, ok := obj.(*corev1.Pod); ok {
		s.shareResources(&pod.Spec)
	}
	return nil
}

// Update replaces an object's spec and metadata (its status is kept, as
// for any kind with a status subresource). A non-empty resourceVersion
// must match the stored one.
func (c *Client) Update(obj store.Object) (store.Object, error) {
	return c.update(obj, "update", false)
}

// UpdateStatus replaces only the status of an object.
func (c *Client) UpdateStatus(obj store.Object) (store.Object, error) {
	return c.update(obj, "status", true)
}

// UpdatePodStatus is UpdateStatus of pod, which the caller built as the
// version *r holds with a new status: its TypeMeta, ObjectMeta and Spec
// are the stored ones, copied. The server stores pod itself (it is the
// server's from then on: the caller never changes it again) rather than
// a copy of the stored pod with pod's status, and finds the stored pod
// through *r (store.Follow) rather than by name: a kubelet writes two
// statuses per pod, and builds each with its parts in one allocation.
// A pod built from another version than the stored one (its UID or
// resourceVersion differs) is refused as a conflict.
func (c *Client) UpdatePodStatus(r *store.Ref, pod *corev1.Pod) (*corev1.Pod, error) {
	s := c.s
	if err := s.gate(); err != nil {
		return nil, err
	}
	old, ok := s.store.Follow(r, "Pod", pod.Namespace, pod.Name)
	if !ok {
		return nil, apierrors.NewNotFound(corev1.Resource("pods"), pod.Name)
	}
	if old.GetUID() != pod.UID {
		return nil, apierrors.NewConflict(corev1.Resource("pods"), pod.Name, errConflict)
	}
	out, err := s.store.UpdateRef(*r, pod) // which refuses another resourceVersion
	if err != nil {
		return nil, err
	}
	s.traceWrite(c.component, "status", out)
	return out.(*corev1.Pod), nil
}

func (c *Client) update(obj store.Object, verb string, status bool) (store.Object, error) {
	s := c.s
	info, err := s.writable(obj)
	if err != nil {
		return nil, err
	}
	if info.Namespaced && obj.GetNamespace() == "" {
		obj.SetNamespace(metav1.NamespaceDefault)
	}
	// The slot is looked up once: the write goes through its Ref.
	ref, old, ok := s.store.RefOf(obj)
	if !ok {
		return nil, apierrors.NewNotFound(info.GroupResource(), obj.GetName())
	}
	if rv := obj.GetResourceVersion(); rv != "" && rv != old.GetResourceVersion() {
		return nil, apierrors.NewConflict(info.GroupResource(), obj.GetName(), errConflict)
	}
	if status {
		obj = withStatus(info, old, obj)
	} else {
		keepStatus(info, obj, old)
		Default(obj)
		if pod, ok := obj.(*corev1.Pod); ok {
			s.shareResources(&pod.Spec)
		}
		if err := Validate(obj); err != nil {
			return nil, err
		}
		if err := validateUpdate(obj, old); err != nil {
			return nil, err
		}
		if err := s.validateStorageUpdate(obj, old); err != nil {
			return nil, err
		}
		if svc, ok := obj.(*corev1.Service); ok {
			if err := s.allocateService(svc, old.(*corev1.Service)); err != nil {
				return nil, err
			}
		}
	}
	// Identity and server-owned metadata never change through an update.
	obj.SetUID(old.GetUID())
	obj.SetCreationTimestamp(old.GetCreationTimestamp())
	obj.SetDeletionTimestamp(old.GetDeletionTimestamp())
	obj.SetDeletionGracePeriodSeconds(old.GetDeletionGracePeriodSeconds())
	obj.SetGeneration(old.GetGeneration())
	if !status && info.Generation && specChanged(obj, old) {
		obj.SetGeneration(old.GetGeneration() + 1)
	}
	obj.SetResourceVersion("")
	// An object being deleted goes once its last finalizer is removed.
	if obj.GetDeletionTimestamp() != nil && len(obj.GetFinalizers()) == 0 && !isPod(obj) && info.Kind != "Namespace" {
		return c.remove(info.Kind, obj.GetNamespace(), obj.GetName())
	}
	out, err := s.store.UpdateRef(ref, obj)
	if err != nil {
		return nil, err
	}
	s.traceWrite(c.component, verb, out)
	return out, nil
}

func isPod(o store.Object) bool { _, ok := o.(*corev1.Pod); return ok }

// ImmortalNamespaces cannot be deleted (the NamespaceLifecycle admission
// plugin's immortal namespaces).
var ImmortalNamespaces = []string{metav1.NamespaceDefault, metav1.NamespaceSystem, metav1.NamespacePublic}

// DeleteOptions are the options of a delete call.
type DeleteOptions struct {
	// GracePeriodSeconds overrides the pod's terminationGracePeriodSeconds;
	// 0 removes the object at once (kubectl delete --force --grace-period=0).
	GracePeriodSeconds *int64
	// Propagation is Background (default), Foreground or Orphan.
	Propagation metav1.DeletionPropagation
}

// Delete deletes an object like kube-apiserver: a pod on a node gets a
// deletionTimestamp and waits for its kubelet; objects with finalizers
// wait for them; everything else goes at once (the garbage collector
// deletes its dependents afterwards).
func (c *Client) Delete(kind, namespace, name string, opts DeleteOptions) error {
	s := c.s
	info, ok := store.LookupKind(kind)
	if !ok {
		return fmt.Errorf("apiserver: unknown kind %q", kind)
	}
	if !info.Namespaced {
		namespace = ""
	}
	if err := s.gate(); err != nil {
		return err
	}
	old, ok := s.store.Get(kind, namespace, name)
	if !ok {
		return apierrors.NewNotFound(info.GroupResource(), name)
	}
	if pod, ok := old.(*corev1.Pod); ok {
		return c.deletePod(pod, opts)
	}
	if ns, ok := old.(*corev1.Namespace); ok {
		if slices.Contains(ImmortalNamespaces, ns.Name) {
			return apierrors.NewForbidden(info.GroupResource(), ns.Name, errors.New("this namespace may not be deleted"))
		}
		return c.deleteNamespace(ns)
	}
	fin := old.GetFinalizers()
	switch opts.Propagation {
	case metav1.DeletePropagationForeground:
		fin = appendUnique(fin, metav1.FinalizerDeleteDependents)
	case metav1.DeletePropagationOrphan:
		fin = appendUnique(fin, metav1.FinalizerOrphanDependents)
	}
	if len(fin) > 0 {
		if old.GetDeletionTimestamp() != nil && len(fin) == len(old.GetFinalizers()) {
			return nil
		}
		obj := old.DeepCopyObject().(store.Object)
		obj.SetFinalizers(fin)
		if obj.GetDeletionTimestamp() == nil {
			t := s.now()
			obj.SetDeletionTimestamp(&t)
			zero := int64(0)
			obj.SetDeletionGracePeriodSeconds(&zero)
		}
		out, err := s.store.Update(obj)
		if err != nil {
			return err
		}
		s.trace(c.component, "delete", out, "finalizers="+fmt.Sprint(fin))
		return nil
	}
	_, err := c.remove(kind, namespace, name)
	return err
}

func appendUnique(list []string, v string) []string {
	for _, x := range list {
		if x == v {
			return list
		}
	}
	return append(append([]string(nil), list...), v)
}

func (c *Client) remove(kind, namespace, name string) (store.Object, error) {
	old, err := c.s.store.Delete(kind, namespace, name)
	if err != nil {
		return nil, err
	}
	c.s.trace(c.component, "remove", old, "")
	c.s.release(old)
	return old, nil
}

func (c *Client) deletePod(pod *corev1.Pod, opts DeleteOptions) error {
	grace := ptr.Deref(pod.Spec.TerminationGracePeriodSeconds, int64(corev1.DefaultTerminationGracePeriodSeconds))
	if opts.GracePeriodSeconds != nil {
		grace = *opts.GracePeriodSeconds
	}
	// Pods that never ran, or finished, have nothing to stop.
	if pod.Spec.NodeName == "" || grace <= 0 || pod.Status.Phase == corev1.PodSucceeded || pod.Status.Phase == corev1.PodFailed {
		_, err := c.remove("Pod", pod.Namespace, pod.Name)
		return err
	}
	if cur := pod.DeletionGracePeriodSeconds; pod.DeletionTimestamp != nil && cur != nil && *cur <= grace {
		return nil
	}
	cp := *pod // shallow: only top-level metadata fields change
	p := &cp
	t := metav1.NewTime(c.s.engine.Now().Add(secondsDuration(grace)))
	if pod.DeletionTimestamp != nil && pod.DeletionTimestamp.Before(&t) {
		t = *pod.DeletionTimestamp
	}
	p.DeletionTimestamp = &t
	p.DeletionGracePeriodSeconds = &grace
	out, err := c.s.store.Update(p)
	if err != nil {
		return err
	}
	c.s.trace(c.component, "delete", out, "grace="+strconv.FormatInt(grace, 10)+"s")
	return nil
}

func (c *Client) deleteNamespace(ns *corev1.Namespace) error {
	if ns.DeletionTimestamp != nil {
		return nil
	}
	n := ns.DeepCopy()
	t := c.s.now()
	n.DeletionTimestamp = &t
	n.Status.Phase = corev1.NamespaceTerminating
	out, err := c.s.store.Update(n)
	if err != nil {
		return err
	}
	c.s.trace(c.component, "delete", out, "phase=Terminating")
	return nil
}

// FinalizeNamespace removes a terminating namespace once it is empty (the
// namespace controller's last step).
func (c *Client) FinalizeNamespace(name string) error {
	_, err := c.remove("Namespace", "", name)
	return err
}

// Bind assigns a pod to a node (the pods/binding subresource).
func (c *Client) Bind(namespace, name, node string) error {
	var r, nr store.Ref
	_, err := c.BindRef(&r, namespace, name, &nr, node)
	return err
}

// BindRef is Bind of the pod that *r is a handle on (store.Follow: the
// pod is looked up by name only when *r is not live) and returns the
// bound pod as stored. The scheduler keeps a Ref per queued pod, so a
// bind looks the pod up neither to read it nor to write it (two lookups
// of 150,000 keys per pod before, and a third by the scheduler to read
// the bound pod back). *nodeRef is a handle on the node named node (or
// the zero Ref), followed the same way: the scheduler keeps one per node,
// and a binding's check that its node exists looked the name up among
// thousands (0.19 s at 5,000 nodes).
func (c *Client) BindRef(r *store.Ref, namespace, name string, nodeRef *store.Ref, node string) (*corev1.Pod, error) {
	s := c.s
	if err := s.gate(); err != nil {
		return nil, err
	}
	o, ok := s.store.Follow(r, "Pod", namespace, name)
	if !ok {
		return nil, apierrors.NewNotFound(corev1.Resource("pods"), name)
	}
	pod := o.(*corev1.Pod)
	if pod.Spec.NodeName != "" {
		return nil, apierrors.NewConflict(corev1.Resource("pods/binding"), name,
			fmt.Errorf("pod %s is already assigned to node %q", name, pod.Spec.NodeName))
	}
	if pod.DeletionTimestamp != nil {
		return nil, apierrors.NewConflict(corev1.Resource("pods/binding"), name, fmt.Errorf("pod %s is being deleted, cannot be assigned to a host", name))
	}
	if _, ok := s.store.Follow(nodeRef, "Node", "", node); !ok {
		return nil, apierrors.NewNotFound(corev1.Resource("nodes"), node)
	}
	// Shallow copy (store objects are immutable); the conditions slice is
	// the only nested part that changes.
	cp := *pod
	p := &cp
	p.Spec.NodeName = node
	p.Status.Conditions = slices.Clone(p.Status.Conditions)
	setPodCondition(&p.Status, corev1.PodCondition{Type: corev1.PodScheduled, Status: corev1.ConditionTrue, LastTransitionTime: s.now()})
	out, err := s.store.UpdateRef(*r, p)
	if err != nil {
		return nil, err
	}
	s.traceParts(c.component, "bind", out, "node=", node)
	return out.(*corev1.Pod), nil
}

func setPodCondition(st *corev1.PodStatus, cond corev1.PodCondition) {
	for i := range st.Conditions {
		if st.Conditions[i].Type == cond.Type {
			if st.Conditions[i].Status != cond.Status {
				st.Conditions[i] = cond
			} else {
				st.Conditions[i].Reason, st.Conditions[i].Message = cond.Reason, cond.Message
			}
			return
		}
	}
	st.Conditions = append(st.Conditions, cond)
}

// ErrPDBViolation is the message of an eviction a PodDisruptionBudget
// refuses (HTTP 429).
const ErrPDBViolation = "Cannot evict pod as it would violate the pod's disruption budget."

// Evict deletes a pod through the eviction subresource: refused with
// 429 TooManyRequests when a PodDisruptionBudget allows no disruption.
func (c *Client) Evict(namespace, name string) error {
	return c.EvictWithOptions(namespace, name, DeleteOptions{})
}

// EvictWithOptions is Evict with the eviction's DeleteOptions (kubectl
// drain --grace-period passes its grace period this way).
func (c *Client) EvictWithOptions(namespace, name string, opts DeleteOptions) error {
	s := c.s
	o, ok := s.store.Get("Pod", namespace, name)
	if !ok {
		return apierrors.NewNotFound(corev1.Resource("pods"), name)
	}
	pod := o.(*corev1.Pod)
	if !canIgnorePDB(pod) {
		for _, po := range s.store.List("PodDisruptionBudget", namespace) {
			pdb := po.(*policyv1.PodDisruptionBudget)
			sel, err := metav1.LabelSelectorAsSelector(pdb.Spec.Selector)
			// policy/v1: an empty selector selects every pod of the namespace.
			if err != nil || !sel.Matches(labels.Set(pod.Labels)) {
				continue
			}
			if DisruptionsAllowed(s.store, pdb) <= 0 && !unhealthyEvictable(s.store, pdb, pod) {
				e := apierrors.NewTooManyRequests(ErrPDBViolation, 0)
				e.ErrStatus.Details.Causes = append(e.ErrStatus.Details.Causes, metav1.StatusCause{
					Type: "DisruptionBudget", Message: fmt.Sprintf("The disruption budget %s needs %d healthy pods and has %d currently", pdb.Name, desiredHealthy(s.store, pdb), currentHealthy(s.store, pdb)),
				})
				return e
			}
		}
	}
	return c.Delete("Pod", namespace, name, opts)
}

// canIgnorePDB is upstream's list of pods evictable whatever the budgets
// say: finished, not yet running (Pending; an unset phase is Pending
// here) or already being deleted.
func canIgnorePDB(pod *corev1.Pod) bool {
	switch pod.Status.Phase {
	case corev1.PodSucceeded, corev1.PodFailed, corev1.PodPending, "":
		return true
	}
	return pod.DeletionTimestamp != nil
}

// unhealthyEvictable applies the budget's unhealthyPodEvictionPolicy to a
// pod that is not Ready: AlwaysAllow lets it go; IfHealthyBudget (the
// default) lets it go while the budget is met (and asks for some pods), as
// such a pod does not count towards the healthy ones anyway.
func unhealthyEvictable(st *store.Store, pdb *policyv1.PodDisruptionBudget, pod *corev1.Pod) bool {
	if podutil.IsReady(pod) {
		return false
	}
	if p := pdb.Spec.UnhealthyPodEvictionPolicy; p != nil && *p == policyv1.AlwaysAllow {
		return true
	}
	d := desiredHealthy(st, pdb)
	return d > 0 && currentHealthy(st, pdb) >= d
}

// Scale sets spec.replicas of a kind with a scale subresource (Deployment,
// ReplicaSet, StatefulSet).
func (c *Client) Scale(kind, namespace, name string, replicas int32) error {
	o, err := c.Get(kind, namespace, name)
	if err != nil {
		return err
	}
	obj := o.DeepCopyObject().(store.Object)
	info, _ := store.KindOf(obj)
	if !setReplicas(info, obj, replicas) {
		return apierrors.NewBadRequest(fmt.Sprintf("%s does not have a scale subresource", kind))
	}
	_, err = c.update(obj, "scale", false)
	return err
}
