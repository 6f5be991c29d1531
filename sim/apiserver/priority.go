package apiserver

import (
	"fmt"

	corev1 "k8s.io/api/core/v1"
	schedulingv1 "k8s.io/api/scheduling/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	"github.com/kubesim/kubesim/sim/store"
)

// HighestUserDefinablePriority is the largest value a PriorityClass not
// named system-* may have (upstream scheduling API constant).
const HighestUserDefinablePriority = int32(1000000000)

// SystemPriorityClasses are the two classes kube-apiserver creates at
// start-up (its bootstrap-system-priority-classes post-start hook).
func SystemPriorityClasses() []*schedulingv1.PriorityClass {
	mk := func(name string, v int32, desc string) *schedulingv1.PriorityClass {
		return &schedulingv1.PriorityClass{ObjectMeta: metav1.ObjectMeta{Name: name}, Value: v, Description: desc}
	}
	return []*schedulingv1.PriorityClass{
		mk("system-node-critical", SystemNodeCritical, "Used for system critical pods that must not be moved from their current node."),
		mk("system-cluster-critical", SystemClusterCritical, "Used for system critical pods that must run in the cluster, but can be moved to another node if necessary."),
	}
}

// priorityClass looks a class up; the two system classes answer even
// when no object was stored (an API server without its bootstrap).
func (s *Server) priorityClass(name string) (*schedulingv1.PriorityClass, bool) {
	if o, ok := s.store.Get("PriorityClass", "", name); ok {
		return o.(*schedulingv1.PriorityClass), true
	}
	for _, pc := range SystemPriorityClasses() {
		if pc.Name == name {
			pc.PreemptionPolicy = ptr.To(corev1.PreemptLowerPriority)
			return pc, true
		}
	}
	return nil, false
}

// defaultPriorityClass is the class marked globalDefault (the oldest if
// several, as upstream picks among racing writes), or nil.
func (s *Server) defaultPriorityClass() *schedulingv1.PriorityClass {
	var best *schedulingv1.PriorityClass
	for _, o := range s.store.List("PriorityClass", "") {
		pc := o.(*schedulingv1.PriorityClass)
		if pc.GlobalDefault && (best == nil || pc.CreationTimestamp.Before(&best.CreationTimestamp)) {
			best = pc
		}
	}
	return best
}

// admitPriority is the Priority admission plugin: a pod's priority and
// preemption policy come from its PriorityClass (or the global default),
// never from the pod itself.
func (s *Server) admitPriority(pod *corev1.Pod) error {
	var priority int32
	var policy *corev1.PreemptionPolicy
	if pod.Spec.PriorityClassName == "" {
		if pc := s.defaultPriorityClass(); pc != nil {
			pod.Spec.PriorityClassName = pc.Name
			priority, policy = pc.Value, pc.PreemptionPolicy
		}
	} else {
		pc, ok := s.priorityClass(pod.Spec.PriorityClassName)
		if !ok {
			return apierrors.NewForbidden(corev1.Resource("pods"), pod.Name,
				fmt.Errorf("no PriorityClass with name %s was found", pod.Spec.PriorityClassName))
		}
		priority, policy = pc.Value, pc.PreemptionPolicy
	}
	if pod.Spec.Priority != nil && *pod.Spec.Priority != priority {
		return apierrors.NewForbidden(corev1.Resource("pods"), pod.Name,
			fmt.Errorf("the integer value of priority (%d) must not be provided in pod spec; priority admission controller computed %d from the given PriorityClass name", *pod.Spec.Priority, priority))
	}
	pod.Spec.Priority = ptr.To(priority)
	if policy != nil {
		if pod.Spec.PreemptionPolicy != nil && *pod.Spec.PreemptionPolicy != *policy {
			return apierrors.NewForbidden(corev1.Resource("pods"), pod.Name,
				fmt.Errorf("the string value of PreemptionPolicy (%s) must not be provided in pod spec; priority admission controller computed %s from the given PriorityClass name", *pod.Spec.PreemptionPolicy, *policy))
		}
		pod.Spec.PreemptionPolicy = ptr.To(*policy)
	}
	return nil
}

// admitPriorityClass refuses a second globalDefault class.
func (s *Server) admitPriorityClass(pc *schedulingv1.PriorityClass) error {
	if !pc.GlobalDefault {
		return nil
	}
	if d := s.defaultPriorityClass(); d != nil && d.Name != pc.Name {
		return apierrors.NewForbidden(schedulingv1.Resource("priorityclasses"), pc.Name,
			fmt.Errorf("PriorityClass %v is already marked as default. Only one default can exist", d.Name))
	}
	return nil
}

var _ store.Object = &schedulingv1.PriorityClass{}
