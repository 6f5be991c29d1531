package kubeapi

import (
	"cmp"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	coordinationv1 "k8s.io/api/coordination/v1"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	policyv1 "k8s.io/api/policy/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/utils/ptr"

	"github.com/kubesim/kubesim/sim/podutil"
	"github.com/kubesim/kubesim/sim/store"
)

// The columns follow kube-apiserver's table printers, so `kubectl get`
// looks as on a real cluster (wide columns have priority 1).
func init() {
	printers["Pod"] = &printer{cols("Name", "Ready", "Status", "Restarts", "Age", "+IP", "+Node", "+Nominated Node", "+Readiness Gates"), podCells}
	printers["Node"] = &printer{cols("Name", "Status", "Roles", "Age", "Version", "+Internal-IP", "+External-IP", "+OS-Image", "+Kernel-Version", "+Container-Runtime"), nodeCells}
	printers["Namespace"] = &printer{cols("Name", "Status", "Age"), func(o store.Object, now time.Time) []any {
		return []any{o.GetName(), string(o.(*corev1.Namespace).Status.Phase), age(o.GetCreationTimestamp(), now)}
	}}
	printers["Deployment"] = &printer{cols("Name", "Ready", "Up-to-date", "Available", "Age", "+Containers", "+Images", "+Selector"), deploymentCells}
	printers["ReplicaSet"] = &printer{cols("Name", "Desired", "Current", "Ready", "Age", "+Containers", "+Images", "+Selector"), replicaSetCells}
	printers["ReplicationController"] = &printer{cols("Name", "Desired", "Current", "Ready", "Age", "+Containers", "+Images", "+Selector"), replicationControllerCells}
	printers["DaemonSet"] = &printer{cols("Name", "Desired", "Current", "Ready", "Up-to-date", "Available", "Node Selector", "Age", "+Containers", "+Images", "+Selector"), daemonSetCells}
	printers["StatefulSet"] = &printer{cols("Name", "Ready", "Age", "+Containers", "+Images"), statefulSetCells}
	printers["Service"] = &printer{cols("Name", "Type", "Cluster-IP", "External-IP", "Port(s)", "Age", "+Selector"), serviceCells}
	printers["EndpointSlice"] = &printer{cols("Name", "AddressType", "Ports", "Endpoints", "Age"), endpointSliceCells}
	printers["Event"] = &printer{cols("Last Seen", "Type", "Reason", "Object", "+Subobject", "+Source", "Message", "+First Seen", "+Count", "+Name"), eventCells}
	printers["ConfigMap"] = &printer{cols("Name", "Data", "Age"), func(o store.Object, now time.Time) []any {
		cm := o.(*corev1.ConfigMap)
		return []any{cm.Name, int64(len(cm.Data) + len(cm.BinaryData)), age(cm.CreationTimestamp, now)}
	}}
	printers["Secret"] = &printer{cols("Name", "Type", "Data", "Age"), func(o store.Object, now time.Time) []any {
		s := o.(*corev1.Secret)
		return []any{s.Name, string(s.Type), int64(len(s.Data) + len(s.StringData)), age(s.CreationTimestamp, now)}
	}}
	printers["ServiceAccount"] = &printer{cols("Name", "Secrets", "Age"), func(o store.Object, now time.Time) []any {
		sa := o.(*corev1.ServiceAccount)
		return []any{sa.Name, int64(len(sa.Secrets)), age(sa.CreationTimestamp, now)}
	}}
	printers["Lease"] = &printer{cols("Name", "Holder", "Age"), func(o store.Object, now time.Time) []any {
		l := o.(*coordinationv1.Lease)
		holder := ""
		if l.Spec.HolderIdentity != nil {
			holder = *l.Spec.HolderIdentity
		}
		return []any{l.Name, holder, age(l.CreationTimestamp, now)}
	}}
	printers["PodDisruptionBudget"] = &printer{cols("Name", "Min Available", "Max Unavailable", "Allowed Disruptions", "Age"), pdbCells}
	printers["ControllerRevision"] = &printer{cols("Name", "Controller", "Revision", "Age"), func(o store.Object, now time.Time) []any {
		cr := o.(*appsv1.ControllerRevision)
		ctrl := "<none>"
		if ref := metav1.GetControllerOf(cr); ref != nil {
			ctrl = lower(ref.Kind) + "." + groupOf(ref.APIVersion) + "/" + ref.Name
		}
		return []any{cr.Name, ctrl, cr.Revision, age(cr.CreationTimestamp, now)}
	}}
}

func groupOf(apiVersion string) string {
	if i := strings.Index(apiVersion, "/"); i >= 0 {
		return apiVersion[:i]
	}
	return ""
}

// podCells is kubectl's pod line; READY, STATUS and RESTARTS come from
// podutil.LineOf, the one place the simulator computes them.
func podCells(o store.Object, now time.Time) []any {
	pod := o.(*corev1.Pod)
	line := podutil.LineOf(pod)
	restarts, lastRestart := line.Restarts, line.LastRestart
	var restartCell any = int64(restarts)
	if restarts != 0 && !lastRestart.IsZero() {
		restartCell = fmt.Sprintf("%d (%s ago)", restarts, age(lastRestart, now))
	}
	ip := "<none>"
	if len(pod.Status.PodIPs) > 0 {
		ip = pod.Status.PodIPs[0].IP
	} else if pod.Status.PodIP != "" {
		ip = pod.Status.PodIP
	}
	gates := "<none>"
	if n := len(pod.Spec.ReadinessGates); n > 0 {
		gates = fmt.Sprintf("%d/%d", readyGates(pod), n)
	}
	return []any{pod.Name, fmt.Sprintf("%d/%d", line.Ready, line.Total), line.Status, restartCell,
		age(pod.CreationTimestamp, now), ip, cmp.Or(pod.Spec.NodeName, "<none>"), cmp.Or(pod.Status.NominatedNodeName, "<none>"), gates}
}

func readyGates(p *corev1.Pod) int {
	n := 0
	for _, g := range p.Spec.ReadinessGates {
		for _, c := range p.Status.Conditions {
			if c.Type == g.ConditionType && c.Status == corev1.ConditionTrue {
				n++
			}
		}
	}
	return n
}

func nodeCells(o store.Object, now time.Time) []any {
	n := o.(*corev1.Node)
	status := "Unknown"
	for _, c := range n.Status.Conditions {
		if c.Type == corev1.NodeReady {
			status = "NotReady"
			if c.Status == corev1.ConditionTrue {
				status = "Ready"
			}
		}
	}
	if n.Spec.Unschedulable {
		status += ",SchedulingDisabled"
	}
	var roles []string
	for _, k := range slices.Sorted(maps.Keys(n.Labels)) {
		if r, ok := strings.CutPrefix(k, "node-role.kubernetes.io/"); ok && r != "" {
			roles = append(roles, r)
		} else if k == "kubernetes.io/role" && n.Labels[k] != "" {
			roles = append(roles, n.Labels[k])
		}
	}
	addr := func(t corev1.NodeAddressType) string {
		for _, a := range n.Status.Addresses {
			if a.Type == t {
				return a.Address
			}
		}
		return "<none>"
	}
	info := n.Status.NodeInfo
	return []any{n.Name, status, cmp.Or(strings.Join(roles, ","), "<none>"), age(n.CreationTimestamp, now), info.KubeletVersion,
		addr(corev1.NodeInternalIP), addr(corev1.NodeExternalIP), cmp.Or(info.OSImage, "<unknown>"),
		cmp.Or(info.KernelVersion, "<unknown>"), cmp.Or(info.ContainerRuntimeVersion, "<unknown>")}
}

func containersImages(spec corev1.PodSpec) (string, string) {
	var names, images []string
	for _, c := range spec.Containers {
		names = append(names, c.Name)
		images = append(images, c.Image)
	}
	return strings.Join(names, ","), strings.Join(images, ",")
}

func deploymentCells(o store.Object, now time.Time) []any {
	d := o.(*appsv1.Deployment)
	c, i := containersImages(d.Spec.Template.Spec)
	return []any{d.Name, fmt.Sprintf("%d/%d", d.Status.ReadyReplicas, ptr.Deref(d.Spec.Replicas, 1)), int64(d.Status.UpdatedReplicas),
		int64(d.Status.AvailableReplicas), age(d.CreationTimestamp, now), c, i, metav1.FormatLabelSelector(d.Spec.Selector)}
}

func replicaSetCells(o store.Object, now time.Time) []any {
	rs := o.(*appsv1.ReplicaSet)
	c, i := containersImages(rs.Spec.Template.Spec)
	return []any{rs.Name, int64(ptr.Deref(rs.Spec.Replicas, 1)), int64(rs.Status.Replicas), int64(rs.Status.ReadyReplicas),
		age(rs.CreationTimestamp, now), c, i, metav1.FormatLabelSelector(rs.Spec.Selector)}
}

func replicationControllerCells(o store.Object, now time.Time) []any {
	rc := o.(*corev1.ReplicationController)
	var c, i string
	if rc.Spec.Template != nil {
		c, i = containersImages(rc.Spec.Template.Spec)
	}
	return []any{rc.Name, int64(ptr.Deref(rc.Spec.Replicas, 1)), int64(rc.Status.Replicas), int64(rc.Status.ReadyReplicas),
		age(rc.CreationTimestamp, now), c, i, labels.FormatLabels(rc.Spec.Selector)}
}

func daemonSetCells(o store.Object, now time.Time) []any {
	ds := o.(*appsv1.DaemonSet)
	st := ds.Status
	c, i := containersImages(ds.Spec.Template.Spec)
	return []any{ds.Name, int64(st.DesiredNumberScheduled), int64(st.CurrentNumberScheduled), int64(st.NumberReady),
		int64(st.UpdatedNumberScheduled), int64(st.NumberAvailable), labels.FormatLabels(ds.Spec.Template.Spec.NodeSelector),
		age(ds.CreationTimestamp, now), c, i, metav1.FormatLabelSelector(ds.Spec.Selector)}
}

func statefulSetCells(o store.Object, now time.Time) []any {
	ss := o.(*appsv1.StatefulSet)
	c, i := containersImages(ss.Spec.Template.Spec)
	return []any{ss.Name, fmt.Sprintf("%d/%d", ss.Status.ReadyReplicas, ptr.Deref(ss.Spec.Replicas, 1)), age(ss.CreationTimestamp, now), c, i}
}

func serviceCells(o store.Object, now time.Time) []any {
	svc := o.(*corev1.Service)
	typ := svc.Spec.Type
	if typ == "" {
		typ = corev1.ServiceTypeClusterIP
	}
	external := "<none>"
	switch typ {
	case corev1.ServiceTypeLoadBalancer:
		var ips []string
		for _, in := range svc.Status.LoadBalancer.Ingress {
			ips = append(ips, cmp.Or(in.IP, in.Hostname))
		}
		ips = append(ips, svc.Spec.ExternalIPs...)
		external = cmp.Or(strings.Join(ips, ","), "<pending>")
	case corev1.ServiceTypeExternalName:
		external = svc.Spec.ExternalName
	default:
		if len(svc.Spec.ExternalIPs) > 0 {
			external = strings.Join(svc.Spec.ExternalIPs, ",")
		}
	}
	var ports []string
	for _, p := range svc.Spec.Ports {
		proto := p.Protocol
		if proto == "" {
			proto = corev1.ProtocolTCP
		}
		if p.NodePort != 0 {
			ports = append(ports, fmt.Sprintf("%d:%d/%s", p.Port, p.NodePort, proto))
		} else {
			ports = append(ports, fmt.Sprintf("%d/%s", p.Port, proto))
		}
	}
	sel := "<none>"
	if len(svc.Spec.Selector) > 0 {
		sel = labels.FormatLabels(svc.Spec.Selector)
	}
	return []any{svc.Name, string(typ), cmp.Or(svc.Spec.ClusterIP, "<none>"), external, cmp.Or(strings.Join(ports, ","), "<none>"), age(svc.CreationTimestamp, now), sel}
}

// firstN joins at most three items and says how many more there are, as
// kubectl's endpoint columns do.
func firstN(items []string) string {
	const max = 3
	if len(items) == 0 {
		return "<unset>"
	}
	if len(items) <= max {
		return strings.Join(items, ",")
	}
	return strings.Join(items[:max], ",") + fmt.Sprintf(" + %d more...", len(items)-max)
}

func endpointSliceCells(o store.Object, now time.Time) []any {
	es := o.(*discoveryv1.EndpointSlice)
	var ports, addrs []string
	for _, p := range es.Ports {
		switch {
		case p.Port != nil:
			ports = append(ports, strconv.Itoa(int(*p.Port)))
		case p.Name != nil:
			ports = append(ports, *p.Name)
		default:
			ports = append(ports, "*")
		}
	}
	for _, e := range es.Endpoints {
		addrs = append(addrs, e.Addresses...)
	}
	return []any{es.Name, string(es.AddressType), firstN(ports), firstN(addrs), age(es.CreationTimestamp, now)}
}

func eventCells(o store.Object, now time.Time) []any {
	ev := o.(*corev1.Event)
	first := age(ev.FirstTimestamp, now)
	if ev.FirstTimestamp.IsZero() {
		first = age(metav1.Time{Time: ev.EventTime.Time}, now)
	}
	last := age(ev.LastTimestamp, now)
	if ev.LastTimestamp.IsZero() {
		last = first
	}
	count := ev.Count
	if ev.Series != nil {
		last, count = age(metav1.Time{Time: ev.Series.LastObservedTime.Time}, now), ev.Series.Count
	} else if count == 0 {
		count = 1
	}
	target := lower(ev.InvolvedObject.Kind)
	if ev.InvolvedObject.Name != "" {
		target += "/" + ev.InvolvedObject.Name
	}
	source := ev.Source.Component
	if source == "" {
		source = ev.ReportingController
	}
	if ev.Source.Host != "" {
		source += ", " + ev.Source.Host
	}
	return []any{last, ev.Type, ev.Reason, target, ev.InvolvedObject.FieldPath, source, strings.TrimSpace(ev.Message), first, int64(count), ev.Name}
}

func pdbCells(o store.Object, now time.Time) []any {
	pdb := o.(*policyv1.PodDisruptionBudget)
	minA, maxU := "N/A", "N/A"
	if pdb.Spec.MinAvailable != nil {
		minA = pdb.Spec.MinAvailable.String()
	}
	if pdb.Spec.MaxUnavailable != nil {
		maxU = pdb.Spec.MaxUnavailable.String()
	}
	return []any{pdb.Name, minA, maxU, int64(pdb.Status.DisruptionsAllowed), age(pdb.CreationTimestamp, now)}
}
