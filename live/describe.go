package live

import (
	"fmt"
	"io"
	"slices"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/duration"
	"k8s.io/utils/ptr"

	"github.com/kubesim/kubesim/sim/cluster"
	"github.com/kubesim/kubesim/sim/podutil"
	"github.com/kubesim/kubesim/sim/store"
)

// Describe is `kubectl describe KIND NAME` for the detail pane of a
// frontend: Node, Pod, Deployment, DaemonSet or StatefulSet. It reads the
// store between events (under the session's lock) and returns plain text;
// a missing object gives kubectl's NotFound line.
func (s *Session) Describe(kind, namespace, name string) string {
	var out string
	s.With(func(c *cluster.Cluster) {
		o, ok := c.Store.Get(kind, namespace, name)
		if !ok {
			out = fmt.Sprintf("Error from server (NotFound): %ss %q not found", strings.ToLower(kind), name)
			return
		}
		d := &describer{c: c, now: c.Engine.Now()}
		var b strings.Builder
		tw := tabwriter.NewWriter(&b, 0, 8, 2, ' ', 0)
		d.w = tw
		switch obj := o.(type) {
		case *corev1.Node:
			d.node(obj)
		case *corev1.Pod:
			d.pod(obj)
		case *appsv1.Deployment:
			d.deployment(obj)
		case *appsv1.DaemonSet:
			d.daemonSet(obj)
		case *appsv1.StatefulSet:
			d.statefulSet(obj)
		case *corev1.ReplicationController:
			d.replicationController(obj)
		default:
			d.generic(kind, o)
		}
		tw.Flush()
		out = strings.TrimRight(b.String(), "\n")
	})
	return out
}

// describer writes one object's description with kubectl's layout:
// "Key:\tvalue" lines, two-space indents per level, tab-aligned columns.
type describer struct {
	c   *cluster.Cluster
	now time.Time
	w   io.Writer
}

func (d *describer) line(level int, format string, args ...any) {
	fmt.Fprintf(d.w, strings.Repeat("  ", level)+format+"\n", args...)
}

// stamp is kubectl's RFC1123Z timestamp.
func stamp(t metav1.Time) string {
	if t.IsZero() {
		return "<unset>"
	}
	return t.Format(time.RFC1123Z)
}

func (d *describer) age(t metav1.Time) string {
	if t.IsZero() {
		return "<unknown>"
	}
	return duration.HumanDuration(d.now.Sub(t.Time))
}

// labels prints a map one "k=v" per line, sorted, as kubectl does.
func (d *describer) labels(title string, m map[string]string) {
	if len(m) == 0 {
		d.line(0, "%s:\t<none>", title)
		return
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for i, k := range keys {
		if i == 0 {
			d.line(0, "%s:\t%s=%s", title, k, m[k])
		} else {
			d.line(0, "\t%s=%s", k, m[k])
		}
	}
}

func (d *describer) node(n *corev1.Node) {
	d.line(0, "Name:\t%s", n.Name)
	d.line(0, "Roles:\t<none>")
	d.labels("Labels", n.Labels)
	d.line(0, "CreationTimestamp:\t%s", stamp(n.CreationTimestamp))
	taints := make([]string, 0, len(n.Spec.Taints))
	for _, t := range n.Spec.Taints {
		taints = append(taints, t.ToString())
	}
	if len(taints) == 0 {
		taints = []string{"<none>"}
	}
	d.line(0, "Taints:\t%s", strings.Join(taints, "\n\t"))
	d.line(0, "Unschedulable:\t%t", n.Spec.Unschedulable)
	d.line(0, "Conditions:")
	d.line(1, "Type\tStatus\tLastHeartbeatTime\tLastTransitionTime\tReason\tMessage")
	d.line(1, "----\t------\t-----------------\t------------------\t------\t-------")
	for _, c := range n.Status.Conditions {
		d.line(1, "%s\t%s\t%s\t%s\t%s\t%s", c.Type, c.Status, stamp(c.LastHeartbeatTime), stamp(c.LastTransitionTime), c.Reason, c.Message)
	}
	d.line(0, "Addresses:")
	for _, a := range n.Status.Addresses {
		d.line(1, "%s:\t%s", a.Type, a.Address)
	}
	d.resources("Capacity", n.Status.Capacity)
	d.resources("Allocatable", n.Status.Allocatable)
	if n.Spec.ProviderID != "" {
		d.line(0, "ProviderID:\t%s", n.Spec.ProviderID)
	}
	d.nodePods(n)
	d.events("Node", n)
}

func (d *describer) resources(title string, rl corev1.ResourceList) {
	d.line(0, "%s:", title)
	for _, name := range []corev1.ResourceName{corev1.ResourceCPU, corev1.ResourceEphemeralStorage, corev1.ResourceMemory, corev1.ResourcePods} {
		if q, ok := rl[name]; ok {
			d.line(1, "%s:\t%s", name, q.String())
		}
	}
}

// nodePods is the "Non-terminated Pods" and "Allocated resources" part,
// with requests as a percentage of allocatable.
func (d *describer) nodePods(n *corev1.Node) {
	var pods []*corev1.Pod
	for _, o := range d.c.Store.ByIndex("Pod", store.NodeNameIndex, n.Name) {
		if p := o.(*corev1.Pod); !podutil.IsTerminal(p) {
			pods = append(pods, p)
		}
	}
	alloc := n.Status.Allocatable
	d.line(0, "Non-terminated Pods:\t(%d in total)", len(pods))
	d.line(1, "Namespace\tName\tCPU Requests\tCPU Limits\tMemory Requests\tMemory Limits\tAge")
	d.line(1, "---------\t----\t------------\t----------\t---------------\t-------------\t---")
	var reqCPU, limCPU, reqMem, limMem resource.Quantity
	for _, p := range pods {
		rc, lc := sumContainers(p, corev1.ResourceCPU)
		rm, lm := sumContainers(p, corev1.ResourceMemory)
		reqCPU.Add(rc)
		limCPU.Add(lc)
		reqMem.Add(rm)
		limMem.Add(lm)
		d.line(1, "%s\t%s\t%s\t%s\t%s\t%s\t%s", p.Namespace, p.Name,
			pct(rc, alloc.Cpu()), pct(lc, alloc.Cpu()), pct(rm, alloc.Memory()), pct(lm, alloc.Memory()), d.age(p.CreationTimestamp))
	}
	d.line(0, "Allocated resources:")
	d.line(1, "(Total limits may be over 100 percent, i.e., overcommitted.)")
	d.line(1, "Resource\tRequests\tLimits")
	d.line(1, "--------\t--------\t------")
	d.line(1, "cpu\t%s\t%s", pct(reqCPU, alloc.Cpu()), pct(limCPU, alloc.Cpu()))
	d.line(1, "memory\t%s\t%s", pct(reqMem, alloc.Memory()), pct(limMem, alloc.Memory()))
}

func sumContainers(p *corev1.Pod, name corev1.ResourceName) (req, lim resource.Quantity) {
	for _, c := range p.Spec.Containers {
		if q, ok := c.Resources.Requests[name]; ok {
			req.Add(q)
		}
		if q, ok := c.Resources.Limits[name]; ok {
			lim.Add(q)
		}
	}
	return req, lim
}

// pct is kubectl's "200m (10%)".
func pct(q resource.Quantity, of *resource.Quantity) string {
	p := int64(0)
	if of != nil && of.MilliValue() > 0 {
		p = q.MilliValue() * 100 / of.MilliValue()
	}
	return fmt.Sprintf("%s (%d%%)", q.String(), p)
}

func (d *describer) pod(p *corev1.Pod) {
	d.line(0, "Name:\t%s", p.Name)
	d.line(0, "Namespace:\t%s", p.Namespace)
	prio := int32(0)
	if p.Spec.Priority != nil {
		prio = *p.Spec.Priority
	}
	d.line(0, "Priority:\t%d", prio)
	if p.Spec.PriorityClassName != "" {
		d.line(0, "Priority Class Name:\t%s", p.Spec.PriorityClassName)
	}
	d.line(0, "Service Account:\t%s", or(p.Spec.ServiceAccountName, "default"))
	node := "<none>"
	if p.Spec.NodeName != "" {
		node = p.Spec.NodeName + "/" + p.Status.HostIP
	}
	d.line(0, "Node:\t%s", node)
	if p.Status.StartTime != nil {
		d.line(0, "Start Time:\t%s", stamp(*p.Status.StartTime))
	}
	d.labels("Labels", p.Labels)
	status := string(p.Status.Phase)
	if p.DeletionTimestamp != nil {
		status = "Terminating (lasts " + d.age(*p.DeletionTimestamp) + ")"
	}
	d.line(0, "Status:\t%s", status)
	if p.Status.Reason != "" {
		d.line(0, "Reason:\t%s", p.Status.Reason)
	}
	if p.Status.Message != "" {
		d.line(0, "Message:\t%s", p.Status.Message)
	}
	d.line(0, "IP:\t%s", p.Status.PodIP)
	if ref := podutil.ControllerOf(p); ref != nil {
		d.line(0, "Controlled By:\t%s/%s", ref.Kind, ref.Name)
	}
	d.containers(p)
	d.line(0, "Conditions:")
	d.line(1, "Type\tStatus")
	for _, c := range p.Status.Conditions {
		d.line(1, "%s\t%s", c.Type, c.Status)
	}
	if p.Status.QOSClass != "" {
		d.line(0, "QoS Class:\t%s", p.Status.QOSClass)
	}
	d.labels("Node-Selectors", p.Spec.NodeSelector)
	d.tolerations(p.Spec.Tolerations)
	d.events("Pod", p)
}

func or(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

func (d *describer) containers(p *corev1.Pod) {
	d.line(0, "Containers:")
	for _, c := range p.Spec.Containers {
		d.line(1, "%s:", c.Name)
		d.line(2, "Image:\t%s", c.Image)
		var st *corev1.ContainerStatus
		for i := range p.Status.ContainerStatuses {
			if p.Status.ContainerStatuses[i].Name == c.Name {
				st = &p.Status.ContainerStatuses[i]
			}
		}
		if st != nil {
			d.containerState(st)
		}
		d.resourceList(2, "Limits", c.Resources.Limits)
		d.resourceList(2, "Requests", c.Resources.Requests)
	}
}

func (d *describer) containerState(st *corev1.ContainerStatus) {
	switch s := st.State; {
	case s.Running != nil:
		d.line(2, "State:\tRunning")
		d.line(3, "Started:\t%s", stamp(s.Running.StartedAt))
	case s.Waiting != nil:
		d.line(2, "State:\tWaiting")
		d.line(3, "Reason:\t%s", s.Waiting.Reason)
	case s.Terminated != nil:
		d.line(2, "State:\tTerminated")
		d.line(3, "Reason:\t%s", s.Terminated.Reason)
		d.line(3, "Exit Code:\t%d", s.Terminated.ExitCode)
	}
	if t := st.LastTerminationState.Terminated; t != nil {
		d.line(2, "Last State:\tTerminated")
		d.line(3, "Reason:\t%s", t.Reason)
		d.line(3, "Exit Code:\t%d", t.ExitCode)
	}
	d.line(2, "Ready:\t%t", st.Ready)
	d.line(2, "Restart Count:\t%d", st.RestartCount)
}

func (d *describer) resourceList(level int, title string, rl corev1.ResourceList) {
	if len(rl) == 0 {
		return
	}
	names := make([]string, 0, len(rl))
	for n := range rl {
		names = append(names, string(n))
	}
	sort.Strings(names)
	d.line(level, "%s:", title)
	for _, n := range names {
		q := rl[corev1.ResourceName(n)]
		d.line(level+1, "%s:\t%s", n, q.String())
	}
}

// tolerations prints "key=value:effect op=Exists for 300s", one a line.
func (d *describer) tolerations(ts []corev1.Toleration) {
	if len(ts) == 0 {
		d.line(0, "Tolerations:\t<none>")
		return
	}
	for i, t := range ts {
		s := t.Key
		if t.Value != "" {
			s += "=" + t.Value
		}
		if t.Effect != "" {
			s += ":" + string(t.Effect)
		}
		if t.Operator == corev1.TolerationOpExists && t.Value == "" {
			if t.Key == "" {
				s = "op=Exists"
			} else {
				s += " op=Exists"
			}
		}
		if t.TolerationSeconds != nil {
			s += fmt.Sprintf(" for %ds", *t.TolerationSeconds)
		}
		if i == 0 {
			d.line(0, "Tolerations:\t%s", s)
		} else {
			d.line(0, "\t%s", s)
		}
	}
}

func (d *describer) deployment(dp *appsv1.Deployment) {
	d.line(0, "Name:\t%s", dp.Name)
	d.line(0, "Namespace:\t%s", dp.Namespace)
	d.line(0, "CreationTimestamp:\t%s", stamp(dp.CreationTimestamp))
	d.labels("Labels", dp.Labels)
	d.line(0, "Selector:\t%s", metav1.FormatLabelSelector(dp.Spec.Selector))
	st := dp.Status
	d.line(0, "Replicas:\t%d desired | %d updated | %d total | %d available | %d unavailable",
		ptr.Deref(dp.Spec.Replicas, 1), st.UpdatedReplicas, st.Replicas, st.AvailableReplicas, st.UnavailableReplicas)
	d.line(0, "StrategyType:\t%s", dp.Spec.Strategy.Type)
	d.line(0, "MinReadySeconds:\t%d", dp.Spec.MinReadySeconds)
	if ru := dp.Spec.Strategy.RollingUpdate; ru != nil && ru.MaxUnavailable != nil && ru.MaxSurge != nil {
		d.line(0, "RollingUpdateStrategy:\t%s max unavailable, %s max surge", ru.MaxUnavailable.String(), ru.MaxSurge.String())
	}
	d.podTemplate(dp.Spec.Template)
	d.line(0, "Conditions:")
	d.line(1, "Type\tStatus\tReason")
	d.line(1, "----\t------\t------")
	for _, c := range dp.Status.Conditions {
		d.line(1, "%s\t%s\t%s", c.Type, c.Status, c.Reason)
	}
	d.events("Deployment", dp)
}

func (d *describer) podTemplate(t corev1.PodTemplateSpec) {
	d.line(0, "Pod Template:")
	d.line(1, "Labels:\t%s", joinLabels(t.Labels))
	d.line(1, "Containers:")
	for _, c := range t.Spec.Containers {
		d.line(2, "%s:", c.Name)
		d.line(3, "Image:\t%s", c.Image)
		d.resourceList(3, "Requests", c.Resources.Requests)
	}
}

func joinLabels(m map[string]string) string {
	out := make([]string, 0, len(m))
	for k, v := range m {
		out = append(out, k+"="+v)
	}
	slices.Sort(out)
	if len(out) == 0 {
		return "<none>"
	}
	return strings.Join(out, "\n\t\t")
}

func (d *describer) daemonSet(ds *appsv1.DaemonSet) {
	d.line(0, "Name:\t%s", ds.Name)
	d.line(0, "Namespace:\t%s", ds.Namespace)
	d.line(0, "Selector:\t%s", metav1.FormatLabelSelector(ds.Spec.Selector))
	st := ds.Status
	d.line(0, "Desired Number of Nodes Scheduled:\t%d", st.DesiredNumberScheduled)
	d.line(0, "Current Number of Nodes Scheduled:\t%d", st.CurrentNumberScheduled)
	d.line(0, "Number of Nodes Scheduled with Up-to-date Pods:\t%d", st.UpdatedNumberScheduled)
	d.line(0, "Number of Nodes Scheduled with Available Pods:\t%d", st.NumberAvailable)
	d.line(0, "Number of Nodes Misscheduled:\t%d", st.NumberMisscheduled)
	d.podTemplate(ds.Spec.Template)
	d.events("DaemonSet", ds)
}

func (d *describer) statefulSet(ss *appsv1.StatefulSet) {
	d.line(0, "Name:\t%s", ss.Name)
	d.line(0, "Namespace:\t%s", ss.Namespace)
	d.line(0, "Selector:\t%s", metav1.FormatLabelSelector(ss.Spec.Selector))
	d.line(0, "Replicas:\t%d desired | %d total", ptr.Deref(ss.Spec.Replicas, 1), ss.Status.Replicas)
	d.podTemplate(ss.Spec.Template)
	d.events("StatefulSet", ss)
}

// replicationController is kubectl describe rc's layout: the selector
// map, current and desired replicas, and its pods by phase.
func (d *describer) replicationController(rc *corev1.ReplicationController) {
	d.line(0, "Name:\t%s", rc.Name)
	d.line(0, "Namespace:\t%s", rc.Namespace)
	d.line(0, "Selector:\t%s", labels.FormatLabels(rc.Spec.Selector))
	d.labels("Labels", rc.Labels)
	d.line(0, "Replicas:\t%d current / %d desired", rc.Status.Replicas, ptr.Deref(rc.Spec.Replicas, 1))
	var running, waiting, succeeded, failed int
	for _, o := range d.c.Store.ByIndex("Pod", store.OwnerIndex, string(rc.UID)) {
		if ref := podutil.ControllerOf(o); ref == nil || ref.UID != rc.UID {
			continue
		}
		switch o.(*corev1.Pod).Status.Phase {
		case corev1.PodRunning:
			running++
		case corev1.PodPending:
			waiting++
		case corev1.PodSucceeded:
			succeeded++
		case corev1.PodFailed:
			failed++
		}
	}
	d.line(0, "Pods Status:\t%d Running / %d Waiting / %d Succeeded / %d Failed", running, waiting, succeeded, failed)
	if rc.Spec.Template != nil {
		d.podTemplate(*rc.Spec.Template)
	}
	d.events("ReplicationController", rc)
}

// events is describe's Events table: the object's events, oldest first,
// with "Age" as kubectl prints it ("2m (x5 over 10m)").
func (d *describer) events(kind string, o store.Object) {
	ns := o.GetNamespace()
	if ns == "" {
		ns = metav1.NamespaceDefault
	}
	var evs []*corev1.Event
	for _, eo := range d.c.Store.List("Event", ns) {
		e := eo.(*corev1.Event)
		if e.InvolvedObject.Kind == kind && e.InvolvedObject.Name == o.GetName() && e.InvolvedObject.Namespace == o.GetNamespace() {
			evs = append(evs, e)
		}
	}
	if len(evs) == 0 {
		d.line(0, "Events:\t<none>")
		return
	}
	slices.SortStableFunc(evs, func(a, b *corev1.Event) int { return a.LastTimestamp.Compare(b.LastTimestamp.Time) })
	d.line(0, "Events:")
	d.line(1, "Type\tReason\tAge\tFrom\tMessage")
	d.line(1, "----\t------\t----\t----\t-------")
	for _, e := range evs {
		age := d.age(e.LastTimestamp)
		if e.Count > 1 {
			age = fmt.Sprintf("%s (x%d over %s)", age, e.Count, d.age(e.FirstTimestamp))
		}
		d.line(1, "%s\t%s\t%s\t%s\t%s", e.Type, e.Reason, age, e.Source.Component, strings.TrimSpace(e.Message))
	}
}
