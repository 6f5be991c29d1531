package cluster

import (
	"fmt"
	"maps"

	corev1 "k8s.io/api/core/v1"

	"github.com/kubesim/kubesim/sim"
	"github.com/kubesim/kubesim/sim/apiserver"
	"github.com/kubesim/kubesim/sim/cloud"
	"github.com/kubesim/kubesim/sim/podutil"
	"github.com/kubesim/kubesim/sim/store"
)

// fargate is EKS's Fargate for the cluster: the mutating webhook that
// hands the pods a profile selects to fargate-scheduler, and
// fargate-scheduler, which gives each such pod its own micro-VM sized by
// Fargate's vCPU/memory table (its kubelet registers a fargate-ip-… node
// tainted eks.amazonaws.com/compute-type=fargate:NoSchedule), binds the
// pod to that node once it is Ready, and stops the VM when the pod ends.
type fargate struct {
	c        *Cluster
	profiles []cloud.FargateProfile
	client   *apiserver.Client
	zones    *sim.Rand
	byPod    map[string]string // pod key -> its node
	byNode   map[string]string // node -> pod key
	refused  map[string]bool   // pods too large for Fargate (event sent)
}

func (c *Cluster) startFargate() {
	f := &fargate{c: c, profiles: c.cfg.FargateProfiles, client: c.Client(cloud.FargateSchedulerName),
		zones: c.Engine.Rand("cloud/fargate"), byPod: map[string]string{}, byNode: map[string]string{}, refused: map[string]bool{}}
	c.API.PodWebhooks = append(c.API.PodWebhooks, f.mutate)
	c.Store.Watch("Pod", 0, f.onPod)
	c.Store.Watch("Node", 0, f.onNode)
}

// mutate is the Fargate admission webhook: a new pod that a profile
// selects (and that names no other scheduler) is scheduled by
// fargate-scheduler and labelled with its profile. A pod that matches
// several profiles and names none with the label gets the first by name.
func (f *fargate) mutate(pod *corev1.Pod) {
	if pod.Spec.NodeName != "" || (pod.Spec.SchedulerName != "" && pod.Spec.SchedulerName != corev1.DefaultSchedulerName) {
		return
	}
	if ref := podutil.ControllerOf(pod); ref != nil && ref.Kind == "DaemonSet" {
		return
	}
	var chosen *cloud.FargateProfile
	for i := range f.profiles {
		p := &f.profiles[i]
		if !p.Matches(pod) {
			continue
		}
		if want := pod.Labels[cloud.LabelFargateProfile]; want == p.Name || chosen == nil {
			chosen = p
		}
	}
	if chosen == nil {
		return
	}
	pod.Spec.SchedulerName = cloud.FargateSchedulerName
	// A new map: the pod's labels may be its template's.
	labels := make(map[string]string, len(pod.Labels)+1)
	maps.Copy(labels, pod.Labels)
	labels[cloud.LabelFargateProfile] = chosen.Name
	pod.Labels = labels
}

func (f *fargate) onPod(ev store.Event) {
	pod := ev.Object.(*corev1.Pod)
	key := store.KeyOf(pod)
	if ev.Type == store.Deleted || podutil.IsTerminal(pod) {
		delete(f.refused, key)
		if node, ok := f.byPod[key]; ok {
			delete(f.byPod, key)
			delete(f.byNode, node)
			f.c.Engine.After(0, "fargate/stop", func() { _ = f.c.TerminateNode(node) })
		}
		return
	}
	if pod.Spec.SchedulerName != cloud.FargateSchedulerName || pod.Spec.NodeName != "" || pod.DeletionTimestamp != nil {
		return
	}
	if _, ok := f.byPod[key]; ok || f.refused[key] {
		return
	}
	size, err := cloud.FargatePodSize(pod)
	if err != nil {
		f.refused[key] = true
		f.c.Engine.After(0, "fargate/refuse", func() {
			f.client.Event(pod, corev1.EventTypeWarning, "FailedScheduling", "Pod not supported on Fargate: "+err.Error())
		})
		return
	}
	c := f.c
	name := "fargate-" + cloud.Hostname(cloud.NodeIP(c.nodeIndex), c.EC2.Region())
	zone := c.cfg.Zones[f.zones.IntN(len(c.cfg.Zones))]
	spec := cloud.NodeSpec{Name: name, Zone: zone, Index: c.nodeIndex, Capacity: size.Resources(), Allocatable: size.Resources(),
		Labels: map[string]string{cloud.LabelComputeType: "fargate", cloud.LabelFargateProfile: pod.Labels[cloud.LabelFargateProfile]},
		Taints: []corev1.Taint{{Key: cloud.LabelComputeType, Value: "fargate", Effect: corev1.TaintEffectNoSchedule}}}
	c.nodeIndex++
	f.byPod[key], f.byNode[name] = name, key
	c.Engine.After(0, "fargate/launch", func() { f.launch(key, spec, size) })
}

// launch starts the pod's micro-VM and records its size on the pod.
func (f *fargate) launch(key string, spec cloud.NodeSpec, size cloud.FargateSize) {
	if f.byPod[key] != spec.Name {
		return // the pod went away meanwhile
	}
	c := f.c
	in, err := c.EC2.LaunchFargate(spec.Name, spec.Zone, size)
	if err != nil {
		delete(f.byPod, key)
		delete(f.byNode, spec.Name)
		return
	}
	node := &Node{Name: spec.Name, Zone: spec.Zone, spec: spec, Instance: in}
	c.nodes = append(c.nodes, node)
	c.byName[node.Name] = node
	ns, name := store.SplitKey(key)
	if o, ok := c.Store.Get("Pod", ns, name); ok {
		pod := o.(*corev1.Pod).DeepCopy()
		if pod.Annotations == nil {
			pod.Annotations = map[string]string{}
		}
		pod.Annotations[cloud.AnnotationCapacityProvisioned] = size.String()
		_, _ = f.client.Update(pod) // a conflict leaves the annotation off; the pod still runs
	}
}

// onNode binds a Fargate pod once its node is Ready.
func (f *fargate) onNode(ev store.Event) {
	if ev.Type == store.Deleted {
		return
	}
	n := ev.Object.(*corev1.Node)
	key, ok := f.byNode[n.Name]
	if !ok || podutil.NodeReady(n) != corev1.ConditionTrue {
		return
	}
	for _, t := range n.Spec.Taints {
		if t.Key == corev1.TaintNodeNotReady {
			return // the node lifecycle controller has yet to lift it
		}
	}
	f.c.Engine.After(0, "fargate/bind", func() {
		ns, name := store.SplitKey(key)
		o, ok := f.c.Store.Get("Pod", ns, name)
		if !ok || f.byNode[n.Name] != key || o.(*corev1.Pod).Spec.NodeName != "" {
			return
		}
		pod := o.(*corev1.Pod)
		if err := f.client.Bind(pod.Namespace, pod.Name, n.Name); err != nil {
			return
		}
		delete(f.byNode, n.Name) // bound: later node updates need nothing
		f.client.Event(pod, corev1.EventTypeNormal, "Scheduled", fmt.Sprintf("Successfully assigned %s/%s to %s", pod.Namespace, pod.Name, n.Name))
	})
}
