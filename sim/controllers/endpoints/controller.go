// Package endpoints models kube-controller-manager's Endpoints controller
// (pkg/controller/endpoint): for every Service with a selector it keeps a
// core/v1 Endpoints object of the same name whose subsets list the ready
// pods' addresses, the not-ready ones under notReadyAddresses, and the
// service's ports resolved against each pod. It runs beside the
// EndpointSlice controller, as upstream still does (v1 Endpoints are
// deprecated since v1.33 but served and maintained): `kubectl get ep`
// and `kubectl describe svc` read them.
package endpoints

import (
	"cmp"
	"maps"
	"net/netip"
	"slices"
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/kubesim/kubesim/sim"
	"github.com/kubesim/kubesim/sim/apiserver"
	"github.com/kubesim/kubesim/sim/controllers/controllerutil"
	"github.com/kubesim/kubesim/sim/podutil"
	"github.com/kubesim/kubesim/sim/store"
)

// Name is the controller's client name ("endpoint-controller" upstream).
const Name = "endpoint-controller"

// Annotations and labels upstream's controller sets.
const (
	// LastChangeTriggerTime is when the newest pod or service change the
	// Endpoints reflect happened.
	LastChangeTriggerTime = "endpoints.kubernetes.io/last-change-trigger-time"
	// HeadlessLabel marks the Endpoints of a headless service.
	HeadlessLabel = "service.kubernetes.io/headless"
)

// Controller is the Endpoints controller.
type Controller struct {
	controllerutil.Base
	// selecting is whether some Service has a selector, as of the
	// Services' revision svcRev (store.KindRev): without one, no pod
	// change queues a service, and a pod's events (several per pod)
	// skip the List of its namespace's Services.
	selecting bool
	svcRev    int64
	svcKnown  bool
}

// New returns an Endpoints controller writing through client.
func New(engine *sim.Engine, client *apiserver.Client, cfg controllerutil.Config) *Controller {
	c := &Controller{}
	c.Base = controllerutil.NewBase(engine, client, Name, cfg, c.sync)
	c.Reconciles("Service", func(ev store.Event) { c.Queue.Add(store.KeyOf(ev.Object)) })
	c.Handles("Pod", c.onPod)
	c.Handles("Endpoints", func(ev store.Event) {
		// Endpoints changed or deleted behind the controller's back
		// are put right.
		if ev.Type == store.Deleted || ev.Object.GetAnnotations()[LastChangeTriggerTime] == "" {
			c.Queue.Add(store.KeyOf(ev.Object))
		}
	})
	return c
}

func (c *Controller) onPod(ev store.Event) {
	pod := ev.Object.(*corev1.Pod)
	if ev.Type == store.Modified {
		old := ev.Old.(*corev1.Pod)
		if old.Status.PodIP == pod.Status.PodIP && podutil.IsReady(old) == podutil.IsReady(pod) &&
			(old.DeletionTimestamp == nil) == (pod.DeletionTimestamp == nil) && podutil.IsTerminal(old) == podutil.IsTerminal(pod) &&
			podutil.EqualMaps(old.Labels, pod.Labels) && old.Spec.NodeName == pod.Spec.NodeName {
			return
		}
		c.queueServicesOf(old)
	}
	c.queueServicesOf(pod)
}

func (c *Controller) queueServicesOf(pod *corev1.Pod) {
	if !c.anySelecting() {
		return
	}
	for _, o := range c.Store.List("Service", pod.Namespace) {
		svc := o.(*corev1.Service)
		if len(svc.Spec.Selector) > 0 && labels.SelectorFromSet(svc.Spec.Selector).Matches(labels.Set(pod.Labels)) {
			c.Queue.Add(store.KeyOf(svc))
		}
	}
}

// anySelecting reports whether a stored Service has a selector (see
// Controller.selecting).
func (c *Controller) anySelecting() bool {
	if rev := c.Store.KindRev("Service"); !c.svcKnown || rev != c.svcRev {
		c.svcKnown, c.svcRev = true, rev
		c.selecting = slices.ContainsFunc(c.Store.List("Service", ""), func(o store.Object) bool {
			return len(o.(*corev1.Service).Spec.Selector) > 0
		})
	}
	return c.selecting
}

func (c *Controller) sync(key string) error {
	ns, name := store.SplitKey(key)
	o, ok := c.Store.Get("Service", ns, name)
	if !ok {
		// The service is gone: so are its endpoints (the controller
		// deletes them itself; they carry no owner reference).
		if _, exists := c.Store.Get("Endpoints", ns, name); exists {
			err := c.Client.Delete("Endpoints", ns, name, apiserver.DeleteOptions{})
			if err != nil && !apierrors.IsNotFound(err) {
				return err
			}
		}
		return nil
	}
	svc := o.(*corev1.Service)
	if len(svc.Spec.Selector) == 0 || svc.Spec.Type == corev1.ServiceTypeExternalName {
		return nil // endpoints of a selector-less service are the user's
	}
	subsets := c.subsets(svc)
	lbls := maps.Clone(svc.Labels)
	if lbls == nil {
		lbls = map[string]string{}
	}
	if svc.Spec.ClusterIP == corev1.ClusterIPNone {
		lbls[HeadlessLabel] = ""
	}
	cur, exists := c.Store.Get("Endpoints", ns, name)
	if exists {
		ep := cur.(*corev1.Endpoints)
		if equality.Semantic.DeepEqual(ep.Subsets, subsets) && maps.Equal(ep.Labels, lbls) && ep.Annotations[LastChangeTriggerTime] != "" {
			return nil
		}
		n := ep.DeepCopy()
		n.Subsets, n.Labels = subsets, lbls
		if n.Annotations == nil {
			n.Annotations = map[string]string{}
		}
		n.Annotations[LastChangeTriggerTime] = c.Engine.Now().UTC().Format("2006-01-02T15:04:05Z07:00")
		_, err := c.Client.Update(n)
		return err
	}
	ep := &corev1.Endpoints{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns, Labels: lbls,
			Annotations: map[string]string{LastChangeTriggerTime: c.Engine.Now().UTC().Format("2006-01-02T15:04:05Z07:00")}},
		Subsets: subsets,
	}
	_, err := c.Client.Create(ep)
	if apierrors.IsAlreadyExists(err) {
		return nil
	}
	return err
}

// Subsets computes a service's endpoint subsets from its pods: pods with
// an IP that are not terminal or terminating (unless the service
// publishes not-ready addresses), ready ones as addresses, the rest as
// notReadyAddresses, grouped by the resolved port list and sorted, as
// upstream's RepackSubsets leaves them.
func Subsets(st *store.Store, svc *corev1.Service) []corev1.EndpointSubset {
	type group struct {
		ports           []corev1.EndpointPort
		ready, notReady []corev1.EndpointAddress
	}
	groups := map[string]*group{}
	for _, po := range st.Select("Pod", svc.Namespace, labels.SelectorFromSet(svc.Spec.Selector)) {
		pod := po.(*corev1.Pod)
		if pod.Status.PodIP == "" || podutil.IsTerminal(pod) {
			continue
		}
		if pod.DeletionTimestamp != nil && !svc.Spec.PublishNotReadyAddresses {
			continue
		}
		var ports []corev1.EndpointPort
		for i := range svc.Spec.Ports {
			sp := &svc.Spec.Ports[i]
			if n, ok := targetPort(pod, sp); ok {
				ports = append(ports, corev1.EndpointPort{Name: sp.Name, Port: n, Protocol: sp.Protocol, AppProtocol: sp.AppProtocol})
			}
		}
		if len(ports) == 0 && len(svc.Spec.Ports) > 0 {
			continue
		}
		addr := corev1.EndpointAddress{IP: pod.Status.PodIP,
			TargetRef: &corev1.ObjectReference{Kind: "Pod", Namespace: pod.Namespace, Name: pod.Name, UID: pod.UID}}
		if pod.Spec.NodeName != "" {
			n := pod.Spec.NodeName
			addr.NodeName = &n
		}
		if pod.Spec.Hostname != "" && pod.Spec.Subdomain == svc.Name && svc.Namespace == pod.Namespace {
			addr.Hostname = pod.Spec.Hostname
		}
		k := portsKey(ports)
		g := groups[k]
		if g == nil {
			g = &group{ports: ports}
			groups[k] = g
		}
		if podutil.IsReady(pod) || svc.Spec.PublishNotReadyAddresses {
			g.ready = append(g.ready, addr)
		} else {
			g.notReady = append(g.notReady, addr)
		}
	}
	var out []corev1.EndpointSubset
	for _, k := range slices.Sorted(maps.Keys(groups)) {
		g := groups[k]
		slices.SortFunc(g.ready, byIP)
		slices.SortFunc(g.notReady, byIP)
		out = append(out, corev1.EndpointSubset{Addresses: g.ready, NotReadyAddresses: g.notReady, Ports: g.ports})
	}
	return out
}

func (c *Controller) subsets(svc *corev1.Service) []corev1.EndpointSubset {
	return Subsets(c.Store, svc)
}

func byIP(a, b corev1.EndpointAddress) int {
	x, errX := netip.ParseAddr(a.IP)
	y, errY := netip.ParseAddr(b.IP)
	if errX != nil || errY != nil {
		return strings.Compare(a.IP, b.IP)
	}
	return cmp.Or(x.Compare(y), strings.Compare(a.Hostname, b.Hostname))
}

func portsKey(ports []corev1.EndpointPort) string {
	var b strings.Builder
	for _, p := range ports {
		b.WriteString(p.Name + "/" + string(p.Protocol) + "/" + strconv.Itoa(int(p.Port)) + ";")
	}
	return b.String()
}

// targetPort resolves a service port's targetPort on a pod: a number as
// is, a name through the pod's container ports.
func targetPort(pod *corev1.Pod, sp *corev1.ServicePort) (int32, bool) {
	if sp.TargetPort.Type == intstr.Int {
		if sp.TargetPort.IntVal == 0 {
			return sp.Port, true
		}
		return sp.TargetPort.IntVal, true
	}
	for _, ct := range pod.Spec.Containers {
		for _, p := range ct.Ports {
			if p.Name == sp.TargetPort.StrVal && cmp.Or(p.Protocol, corev1.ProtocolTCP) == cmp.Or(sp.Protocol, corev1.ProtocolTCP) {
				return p.ContainerPort, true
			}
		}
	}
	return 0, false
}
