// Package volumebinding models kube-scheduler's volume plugins:
// VolumeBinding (a pod's claims must be bound to volumes its node can
// reach, or bindable/provisionable there), VolumeZone (zone-labelled
// volumes), NodeVolumeLimits (the EBS CSI attachment limit of the node's
// instance type) and VolumeRestrictions (ReadWriteOncePod). All the store
// reads happen in PreFilter, once per cycle; Filter only reads what
// PreFilter computed (it runs in parallel over nodes).
package volumebinding

import (
	"fmt"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
	storagev1 "k8s.io/api/storage/v1"

	"github.com/kubesim/kubesim/sim/cloud"
	"github.com/kubesim/kubesim/sim/scheduler/framework"
	"github.com/kubesim/kubesim/sim/store"
	"github.com/kubesim/kubesim/sim/volumeutil"
)

// Plugin names.
const (
	Name                   = "VolumeBinding"
	ZoneName               = "VolumeZone"
	LimitsName             = "NodeVolumeLimits"
	RestrictionsName       = "VolumeRestrictions"
	stateKey               = framework.StateKey("PreFilter" + Name)
	ebsDriver              = "ebs.csi.aws.com"
	ErrReasonBindConflict  = "node(s) didn't find available persistent volumes to bind"
	ErrReasonNodeConflict  = "node(s) had volume node affinity conflict"
	ErrReasonZoneConflict  = "node(s) had no available volume zone"
	ErrReasonMaxVolumes    = "node(s) exceed max volume count"
	ErrReasonRWOPConflict  = "node has pod using PersistentVolumeClaim with the same name and ReadWriteOncePod access mode"
	errUnboundImmediate    = "pod has unbound immediate PersistentVolumeClaims"
	noProvisionerSentinels = volumeutil.NoProvisioner
)

// claimInfo is one claim of the pod as PreFilter found it.
type claimInfo struct {
	pvc *corev1.PersistentVolumeClaim
	pv  *corev1.PersistentVolume // bound volume, nil if unbound
	// candidates are the static volumes an unbound WaitForFirstConsumer
	// claim could bind; provisionable says a provisioner can make one.
	candidates    []*corev1.PersistentVolume
	provisionable bool
}

type preState struct {
	claims []claimInfo
	// handles of the EBS volumes the pod would attach, and of those every
	// node's pods attach already (by node name).
	newEBS    []string
	attached  map[string][]string
	rwopNodes map[string]bool // nodes running a pod that holds one of the pod's RWOP claims
}

// Plugin is the four volume plugins over one PreFilter.
type Plugin struct {
	st *store.Store
}

// New returns the plugin reading claims, volumes and classes from st.
func New(st *store.Store) *Plugin { return &Plugin{st: st} }

// Name is VolumeBinding's.
func (*Plugin) Name() string { return Name }

// PreFilter looks the pod's claims up: a missing or deleted claim, or an
// unbound claim of an Immediate class, makes the pod unschedulable
// everywhere; a pod without claims skips the plugin.
func (p *Plugin) PreFilter(state *framework.CycleState, pod *corev1.Pod) *framework.Status {
	names := volumeutil.PodClaims(pod)
	if len(names) == 0 {
		return framework.SkipStatus
	}
	s := &preState{}
	for _, n := range names {
		o, ok := p.st.Get("PersistentVolumeClaim", pod.Namespace, n)
		if !ok {
			return framework.NewStatus(framework.UnschedulableAndUnresolvable, fmt.Sprintf("persistentvolumeclaim %q not found", n)).WithPlugin(Name)
		}
		pvc := o.(*corev1.PersistentVolumeClaim)
		if pvc.DeletionTimestamp != nil {
			return framework.NewStatus(framework.UnschedulableAndUnresolvable, fmt.Sprintf("persistentvolumeclaim %q is being deleted", n)).WithPlugin(Name)
		}
		ci := claimInfo{pvc: pvc}
		if pvc.Spec.VolumeName != "" {
			if o, ok := p.st.Get("PersistentVolume", "", pvc.Spec.VolumeName); ok {
				ci.pv = o.(*corev1.PersistentVolume)
			} else {
				return framework.NewStatus(framework.UnschedulableAndUnresolvable, "pvc(s) bound to non-existent pv(s)").WithPlugin(Name)
			}
		} else {
			cls := volumeutil.ClassOf(pvc)
			var sc *storagev1.StorageClass
			if o, ok := p.st.Get("StorageClass", "", cls); ok && cls != "" {
				sc = o.(*storagev1.StorageClass)
			}
			if sc == nil || sc.VolumeBindingMode == nil || *sc.VolumeBindingMode != storagev1.VolumeBindingWaitForFirstConsumer {
				return framework.NewStatus(framework.UnschedulableAndUnresolvable, errUnboundImmediate).WithPlugin(Name)
			}
			for _, o := range p.st.List("PersistentVolume", "") {
				if pv := o.(*corev1.PersistentVolume); volumeutil.VolumeMatches(pvc, pv) {
					ci.candidates = append(ci.candidates, pv)
				}
			}
			ci.provisionable = sc.Provisioner != noProvisionerSentinels
		}
		s.claims = append(s.claims, ci)
	}
	p.countAttachments(pod, s)
	state.Write(stateKey, s)
	return nil
}

// countAttachments precomputes the EBS volumes per node and the nodes
// holding the pod's ReadWriteOncePod claims.
func (p *Plugin) countAttachments(pod *corev1.Pod, s *preState) {
	mine := map[string]bool{}
	rwop := map[string]bool{}
	for _, ci := range s.claims {
		if slices.Contains(ci.pvc.Spec.AccessModes, corev1.ReadWriteOncePod) {
			rwop[ci.pvc.Name] = true
		}
		if ci.pv == nil {
			s.newEBS = append(s.newEBS, "claim:"+ci.pvc.Name) // provisioned as EBS
		} else if h := ebsHandle(ci.pv); h != "" {
			s.newEBS = append(s.newEBS, h)
		}
		mine[ci.pvc.Name] = true
	}
	s.attached = map[string][]string{}
	s.rwopNodes = map[string]bool{}
	for _, o := range p.st.List("Pod", pod.Namespace) {
		other := o.(*corev1.Pod)
		if other.Spec.NodeName == "" || other.UID == pod.UID {
			continue
		}
		for _, n := range volumeutil.PodClaims(other) {
			if rwop[n] {
				s.rwopNodes[other.Spec.NodeName] = true
			}
		}
	}
	if len(s.newEBS) == 0 {
		return
	}
	for _, o := range p.st.List("Pod", "") {
		other := o.(*corev1.Pod)
		if other.Spec.NodeName == "" || other.UID == pod.UID {
			continue
		}
		for _, n := range volumeutil.PodClaims(other) {
			c, ok := p.st.Get("PersistentVolumeClaim", other.Namespace, n)
			if !ok || c.(*corev1.PersistentVolumeClaim).Spec.VolumeName == "" {
				continue
			}
			pv, ok := p.st.Get("PersistentVolume", "", c.(*corev1.PersistentVolumeClaim).Spec.VolumeName)
			if !ok {
				continue
			}
			if h := ebsHandle(pv.(*corev1.PersistentVolume)); h != "" && !slices.Contains(s.attached[other.Spec.NodeName], h) {
				s.attached[other.Spec.NodeName] = append(s.attached[other.Spec.NodeName], h)
			}
		}
	}
}

func ebsHandle(pv *corev1.PersistentVolume) string {
	if pv.Spec.CSI != nil && pv.Spec.CSI.Driver == ebsDriver {
		return pv.Spec.CSI.VolumeHandle
	}
	if pv.Spec.AWSElasticBlockStore != nil {
		return pv.Spec.AWSElasticBlockStore.VolumeID
	}
	return ""
}

// Filter applies, in upstream's order, VolumeRestrictions,
// NodeVolumeLimits, VolumeBinding and VolumeZone to one node.
func (p *Plugin) Filter(state *framework.CycleState, pod *corev1.Pod, ni *framework.NodeInfo) *framework.Status {
	s, status := framework.ReadAs[*preState](state, stateKey)
	if status != nil {
		return status
	}
	node := ni.Node()
	if node == nil {
		return framework.NewStatus(framework.UnschedulableAndUnresolvable, "node not found").WithPlugin(Name)
	}
	if s.rwopNodes[node.Name] {
		return framework.NewStatus(framework.Unschedulable, ErrReasonRWOPConflict).WithPlugin(RestrictionsName)
	}
	if len(s.newEBS) > 0 {
		limit := volumeutil.EBSAttachLimit(0)
		if it, ok := cloud.Lookup(node.Labels[corev1.LabelInstanceTypeStable]); ok {
			limit = volumeutil.EBSAttachLimit(it.ENIs)
		}
		have := s.attached[node.Name]
		n := len(have)
		for _, h := range s.newEBS {
			if !slices.Contains(have, h) {
				n++
			}
		}
		if n > limit {
			return framework.NewStatus(framework.Unschedulable, ErrReasonMaxVolumes).WithPlugin(LimitsName)
		}
	}
	var reasons []string
	for _, ci := range s.claims {
		switch {
		case ci.pv != nil:
			if !volumeutil.NodeMatchesVolume(node, ci.pv) && !slices.Contains(reasons, ErrReasonNodeConflict) {
				reasons = append(reasons, ErrReasonNodeConflict)
			}
		case !ci.provisionable:
			found := false
			for _, pv := range ci.candidates {
				if volumeutil.NodeMatchesVolume(node, pv) {
					found = true
					break
				}
			}
			if !found && !slices.Contains(reasons, ErrReasonBindConflict) {
				reasons = append(reasons, ErrReasonBindConflict)
			}
		}
	}
	if len(reasons) > 0 {
		return framework.NewStatus(framework.UnschedulableAndUnresolvable, reasons...).WithPlugin(Name)
	}
	for _, ci := range s.claims {
		if ci.pv != nil && !zoneFits(node, ci.pv) {
			return framework.NewStatus(framework.UnschedulableAndUnresolvable, ErrReasonZoneConflict).WithPlugin(ZoneName)
		}
	}
	return nil
}

// EventsToRegister implements framework.EnqueueExtensions: a claim bound or a volume created; a pod leaving a node frees a volume slot or a ReadWriteOncePod claim.
func (*Plugin) EventsToRegister() map[string][]framework.ClusterEvent {
	return map[string][]framework.ClusterEvent{
		Name:             {framework.StorageChange},
		ZoneName:         {framework.StorageChange},
		LimitsName:       {framework.StorageChange, framework.AssignedPodDelete},
		RestrictionsName: {framework.StorageChange, framework.AssignedPodDelete},
	}
}

// topologyLabels are the node and volume labels VolumeZone compares, with
// the GA label a beta one falls back to on a node lacking the beta one.
var topologyLabels = []struct{ key, ga string }{
	{corev1.LabelFailureDomainBetaZone, corev1.LabelTopologyZone},
	{corev1.LabelFailureDomainBetaRegion, corev1.LabelTopologyRegion},
	{corev1.LabelTopologyZone, corev1.LabelTopologyZone},
	{corev1.LabelTopologyRegion, corev1.LabelTopologyRegion},
}

// zoneFits is upstream's VolumeZone check of one bound volume: a node
// with no zone or region label fits any volume; otherwise each zone or
// region label of the volume, a set of values separated by "__", must
// hold the node's value of the same label, or of the GA label when the
// volume's is a beta one the node lacks. A volume label that does not
// parse as such a set is ignored, as upstream does.
func zoneFits(node *corev1.Node, pv *corev1.PersistentVolume) bool {
	constrained := false
	for _, l := range topologyLabels {
		if _, ok := node.Labels[l.key]; ok {
			constrained = true
			break
		}
	}
	if !constrained {
		return true
	}
	for _, l := range topologyLabels {
		want, ok := pv.Labels[l.key]
		if !ok {
			continue
		}
		values := strings.Split(want, "__")
		if slices.ContainsFunc(values, func(v string) bool { return strings.TrimSpace(v) == "" }) {
			continue
		}
		v, ok := node.Labels[l.key]
		if !ok {
			v, ok = node.Labels[l.ga]
		}
		if !ok || !slices.ContainsFunc(values, func(z string) bool { return strings.TrimSpace(z) == v }) {
			return false
		}
	}
	return true
}

// UnboundWaitingClaims are the pod's claims a node choice will bind
// (unbound, WaitForFirstConsumer): the scheduler annotates them with the
// chosen node before binding the pod.
func UnboundWaitingClaims(state *framework.CycleState) []*corev1.PersistentVolumeClaim {
	v, ok := state.Lookup(stateKey)
	if !ok {
		return nil // the pod has no claims: PreFilter skipped
	}
	var out []*corev1.PersistentVolumeClaim
	for _, ci := range v.(*preState).claims {
		if ci.pv == nil {
			out = append(out, ci.pvc)
		}
	}
	return out
}
