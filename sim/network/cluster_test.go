package network_test

import (
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/kubesim/kubesim/sim/apiserver"
	"github.com/kubesim/kubesim/sim/cluster"
	"github.com/kubesim/kubesim/sim/cluster/clustertest"
	"github.com/kubesim/kubesim/sim/network"
	"github.com/kubesim/kubesim/sim/store"
)

type env struct {
	t  *testing.T
	c  *cluster.Cluster
	kc *apiserver.Client
}

func newEnv(t *testing.T, objs ...store.Object) *env {
	t.Helper()
	c := clustertest.New(t, cluster.Config{Seed: 7, Addons: true, NodeGroups: []cluster.NodeGroup{{Name: "general", InstanceType: "m5.large", Count: 2}}})
	c.Etcd.DisableReplication()
	e := &env{t: t, c: c, kc: c.Client("test")}
	e.create(&corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: "client", Labels: map[string]string{"run": "client"}},
		Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "c", Image: "busybox", Command: []string{"sleep", "infinity"}}}},
	})
	for _, o := range objs {
		e.create(o)
	}
	c.Engine.RunUntil(90 * time.Second)
	return e
}

func (e *env) create(o store.Object) {
	e.t.Helper()
	_, err := e.kc.Create(o)
	require.NoError(e.t, err)
}

func (e *env) pod(ns, name string) *corev1.Pod {
	o, ok := e.c.Store.Get("Pod", ns, name)
	require.True(e.t, ok, "pod %s/%s", ns, name)
	return o.(*corev1.Pod)
}

func (e *env) client() *corev1.Pod { return e.pod("default", "client") }

func nginxPods(name string, replicas int32, labels map[string]string, mutate func(*corev1.PodSpec)) *appsv1.StatefulSet {
	spec := corev1.PodSpec{Containers: []corev1.Container{{Name: "nginx", Image: "nginx:1.27", Ports: []corev1.ContainerPort{{Name: "web", ContainerPort: 80}}}}}
	if mutate != nil {
		mutate(&spec)
	}
	return &appsv1.StatefulSet{
		ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: name},
		Spec: appsv1.StatefulSetSpec{Replicas: &replicas, ServiceName: name, Selector: &metav1.LabelSelector{MatchLabels: labels},
			PodManagementPolicy: appsv1.ParallelPodManagement,
			Template:            corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: labels}, Spec: spec}},
	}
}

func TestHeadlessServiceAndStatefulSetNames(t *testing.T) {
	l := map[string]string{"app": "db"}
	e := newEnv(t,
		&corev1.Service{ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: "db"},
			Spec: corev1.ServiceSpec{ClusterIP: corev1.ClusterIPNone, Selector: l, Ports: []corev1.ServicePort{{Name: "web", Port: 80}}}},
		nginxPods("db", 2, l, nil))
	r := network.Resolve(e.c.Store, e.client(), "db", nil)
	require.Zero(t, r.Err)
	require.Equal(t, "db.default.svc.cluster.local", r.Name)
	want := []netip.Addr{netip.MustParseAddr(e.pod("default", "db-0").Status.PodIP), netip.MustParseAddr(e.pod("default", "db-1").Status.PodIP)}
	require.ElementsMatch(t, want, r.Addrs, "one A record per ready endpoint")

	r = network.Resolve(e.c.Store, e.client(), "db-1.db", nil)
	require.Equal(t, "db-1.db.default.svc.cluster.local", r.Name)
	require.Equal(t, []netip.Addr{want[1]}, r.Addrs)

	// SRV for the named port, one record per endpoint.
	reply := network.CoreDNS(e.c.Store, "_web._tcp.db.default.svc.cluster.local", network.TypeSRV)
	require.Len(t, reply.Answer, 2)
	require.Equal(t, "db-0.db.default.svc.cluster.local", reply.Answer[0].Target)
	require.Equal(t, uint16(80), reply.Answer[0].Port)

	// The pod's own hosts file carries its FQDN.
	hosts := network.HostsFile(e.pod("default", "db-0"))
	require.Contains(t, hosts, want[0].String()+"\tdb-0.db.default.svc.cluster.local\tdb-0\n")

	// Reverse lookup of an endpoint, and of the cluster IP of kube-dns.
	reply = network.CoreDNS(e.c.Store, network.PTRName(want[0]), network.TypePTR)
	require.Equal(t, "db-0.db.default.svc.cluster.local", reply.Answer[0].Target)
	reply = network.CoreDNS(e.c.Store, "10.0.100.10.in-addr.arpa", network.TypePTR)
	require.Equal(t, "kube-dns.kube-system.svc.cluster.local", reply.Answer[0].Target)
}

func TestNotReadyPodsAreNoBackends(t *testing.T) {
	l := map[string]string{"app": "slow"}
	e := newEnv(t,
		&corev1.Service{ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: "slow"},
			Spec: corev1.ServiceSpec{Selector: l, Ports: []corev1.ServicePort{{Port: 80, TargetPort: intstr.FromInt32(80)}}}},
		nginxPods("slow", 1, l, func(s *corev1.PodSpec) {
			// The app never becomes ready: a readiness probe on a port nothing listens on.
			s.Containers[0].ReadinessProbe = &corev1.Probe{ProbeHandler: corev1.ProbeHandler{TCPSocket: &corev1.TCPSocketAction{Port: intstr.FromInt32(81)}}}
		}))
	p := e.pod("default", "slow-0")
	require.Equal(t, corev1.PodRunning, p.Status.Phase)
	svc, _ := e.c.Store.Get("Service", "default", "slow")
	ip := netip.MustParseAddr(svc.(*corev1.Service).Spec.ClusterIP)
	c := network.Dial(e.c.Store, e.client(), ip, 80, corev1.ProtocolTCP, nil)
	require.Equal(t, network.Refused, c.Outcome)
	require.Contains(t, c.Reason, "no ready endpoints")

	// The pod itself answers on its IP: readiness only gates the Service.
	c = network.Dial(e.c.Store, e.client(), netip.MustParseAddr(p.Status.PodIP), 80, corev1.ProtocolTCP, nil)
	require.Equal(t, network.Connected, c.Outcome, c.Reason)
	c = network.Dial(e.c.Store, e.client(), netip.MustParseAddr(p.Status.PodIP), 8080, corev1.ProtocolTCP, nil)
	require.Equal(t, network.Refused, c.Outcome)
	require.Contains(t, c.Reason, "nothing listens on port 8080/TCP")
}

func TestDNSPolicies(t *testing.T) {
	ndots := "2"
	e := newEnv(t,
		&corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: "host-dns"},
			Spec: corev1.PodSpec{DNSPolicy: corev1.DNSDefault, Containers: []corev1.Container{{Name: "c", Image: "busybox", Command: []string{"sleep", "infinity"}}}}},
		&corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: "custom"},
			Spec: corev1.PodSpec{DNSPolicy: corev1.DNSNone, DNSConfig: &corev1.PodDNSConfig{Nameservers: []string{"1.1.1.1"},
				Searches: []string{"example.com"}, Options: []corev1.PodDNSConfigOption{{Name: "ndots", Value: &ndots}}},
				Containers: []corev1.Container{{Name: "c", Image: "busybox", Command: []string{"sleep", "infinity"}}}}},
		&corev1.Service{ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: "db"},
			Spec: corev1.ServiceSpec{Type: corev1.ServiceTypeExternalName, ExternalName: "example.com"}},
	)
	require.Equal(t, "search default.svc.cluster.local svc.cluster.local cluster.local ec2.internal\nnameserver 10.100.0.10\noptions ndots:5\n",
		network.ResolvConfOf(e.c.Store, e.client()).String())
	require.Equal(t, "search ec2.internal\nnameserver 192.168.0.2\n", network.ResolvConfOf(e.c.Store, e.pod("default", "host-dns")).String())
	require.Equal(t, "search example.com\nnameserver 1.1.1.1\noptions ndots:2\n", network.ResolvConfOf(e.c.Store, e.pod("default", "custom")).String())

	// dnsPolicy Default: cluster names mean nothing to the VPC resolver.
	r := network.Resolve(e.c.Store, e.pod("default", "host-dns"), "kubernetes.default.svc.cluster.local", nil)
	require.Equal(t, network.NotFound, r.Err)
	r = network.Resolve(e.c.Store, e.client(), "kubernetes.default", nil)
	require.Equal(t, []netip.Addr{netip.MustParseAddr("10.100.0.1")}, r.Addrs)

	// Pod A records (pods insecure) and ExternalName CNAMEs.
	ip := e.client().Status.PodIP
	r = network.Resolve(e.c.Store, e.client(), strings.ReplaceAll(ip, ".", "-")+".default.pod", nil)
	require.Equal(t, []netip.Addr{netip.MustParseAddr(ip)}, r.Addrs)
	reply := network.CoreDNS(e.c.Store, "db.default.svc.cluster.local", network.TypeA)
	require.Equal(t, network.TypeCNAME, reply.Answer[0].Type)
	require.Equal(t, "example.com", reply.Answer[0].Target)
	r = network.Resolve(e.c.Store, e.client(), "db", nil)
	require.Equal(t, "example.com", r.Name)
	require.Len(t, r.Addrs, 1)

	// The node's EC2 name resolves through CoreDNS's forwarding.
	node, _ := e.c.Store.Get("Node", "", e.client().Spec.NodeName)
	var nodeIP string
	for _, a := range node.(*corev1.Node).Status.Addresses {
		if a.Type == corev1.NodeInternalIP {
			nodeIP = a.Address
		}
	}
	r = network.Resolve(e.c.Store, e.client(), "ip-"+strings.ReplaceAll(nodeIP, ".", "-")+".ec2.internal", nil)
	require.Equal(t, []netip.Addr{netip.MustParseAddr(nodeIP)}, r.Addrs)

	// CoreDNS scaled to zero: nothing answers.
	require.NoError(t, e.kc.Scale("Deployment", "kube-system", "coredns", 0))
	e.c.Engine.RunUntil(e.c.Engine.Elapsed() + 2*time.Minute)
	r = network.Resolve(e.c.Store, e.client(), "kubernetes", nil)
	require.Equal(t, network.TryAgain, r.Err)
}

func TestNodePort(t *testing.T) {
	l := map[string]string{"app": "web"}
	e := newEnv(t,
		&corev1.Service{ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: "web"},
			Spec: corev1.ServiceSpec{Type: corev1.ServiceTypeNodePort, Selector: l, Ports: []corev1.ServicePort{{Port: 80, TargetPort: intstr.FromString("web"), NodePort: 30080}}}},
		nginxPods("web", 1, l, nil))
	for _, o := range e.c.Store.List("Node", "") {
		n := o.(*corev1.Node)
		ip := netip.MustParseAddr(n.Status.Addresses[0].Address)
		c := network.Dial(e.c.Store, e.client(), ip, 30080, corev1.ProtocolTCP, nil)
		require.Equal(t, network.Connected, c.Outcome, "node %s: %s", n.Name, c.Reason)
		require.Equal(t, "nginx", c.Server.App)
		require.Equal(t, "web-0", c.Backend.Name)
		c = network.Dial(e.c.Store, e.client(), ip, 30081, corev1.ProtocolTCP, nil)
		require.Equal(t, network.Refused, c.Outcome)
	}
}
