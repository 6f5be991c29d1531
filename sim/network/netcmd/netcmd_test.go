package netcmd_test

import (
	"regexp"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/kubesim/kubesim/sim/apiserver"
	"github.com/kubesim/kubesim/sim/cluster"
	"github.com/kubesim/kubesim/sim/cluster/clustertest"
	"github.com/kubesim/kubesim/sim/network/netcmd"
	"github.com/kubesim/kubesim/sim/store"
)

// world is a small EKS cluster with the add-ons (CoreDNS, kube-dns), an
// nginx Deployment behind a Service and a busybox client pod.
type world struct {
	t  *testing.T
	c  *cluster.Cluster
	kc *apiserver.Client
}

func newWorld(t *testing.T) *world {
	t.Helper()
	c := clustertest.New(t, cluster.Config{Seed: 1, Addons: true, NodeGroups: []cluster.NodeGroup{{Name: "general", InstanceType: "m5.large", Count: 2}}})
	c.Etcd.DisableReplication()
	w := &world{t: t, c: c, kc: c.Client("test")}
	two := int32(2)
	l := map[string]string{"app": "web"}
	w.create(&appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: "web"},
		Spec: appsv1.DeploymentSpec{Replicas: &two, Selector: &metav1.LabelSelector{MatchLabels: l},
			Template: corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: l},
				Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "nginx", Image: "nginx:1.27",
					Ports: []corev1.ContainerPort{{Name: "http", ContainerPort: 80}}}}}}},
	})
	w.create(&corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: "web"},
		Spec:       corev1.ServiceSpec{Selector: l, Ports: []corev1.ServicePort{{Port: 80, TargetPort: intstr.FromString("http")}}},
	})
	w.create(&corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: "client", Labels: map[string]string{"run": "client"}},
		Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "client", Image: "busybox:1.37",
			Command: []string{"sleep", "3600"}}}},
	})
	w.run(90 * time.Second)
	return w
}

func (w *world) create(o store.Object) {
	w.t.Helper()
	_, err := w.kc.Create(o)
	require.NoError(w.t, err)
}

func (w *world) run(d time.Duration) { w.c.Engine.RunUntil(w.c.Engine.Elapsed() + d) }

func (w *world) pod(ns, name string) *corev1.Pod {
	o, ok := w.c.Store.Get("Pod", ns, name)
	require.True(w.t, ok, "pod %s/%s", ns, name)
	return o.(*corev1.Pod)
}

func (w *world) exec(argv ...string) netcmd.Result {
	w.t.Helper()
	res, ok := netcmd.Run(netcmd.Env{State: w.c.Store, Pod: w.pod("default", "client"), Now: w.c.Engine.Now()}, argv)
	require.True(w.t, ok, "%v is a network command", argv)
	return res
}

func (w *world) clusterIP(name string) string {
	o, ok := w.c.Store.Get("Service", "default", name)
	require.True(w.t, ok)
	return o.(*corev1.Service).Spec.ClusterIP
}

func TestWgetThroughAServiceThenBlockedThenAllowed(t *testing.T) {
	w := newWorld(t)
	ip := w.clusterIP("web")

	res := w.exec("wget", "-qO-", "-T2", "http://web")
	require.Equal(t, 0, res.ExitCode, res.Stderr)
	require.Contains(t, res.Stdout, "<title>Welcome to nginx!</title>")
	require.Empty(t, res.Stderr)

	res = w.exec("wget", "-O-", "web")
	require.Equal(t, 0, res.ExitCode)
	require.Regexp(t, "^Connecting to web \\("+regexp.QuoteMeta(ip)+":80\\)\nwriting to stdout\n-  +100% \\|\\*+\\|   615  0:00:00 ETAwritten to stdout\n$", res.Stderr)

	// Deny all ingress to the web pods: the packets are dropped.
	w.create(&networkingv1.NetworkPolicy{
		ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: "web-deny"},
		Spec:       networkingv1.NetworkPolicySpec{PodSelector: metav1.LabelSelector{MatchLabels: map[string]string{"app": "web"}}},
	})
	w.run(time.Second)
	res = w.exec("wget", "-qO-", "-T2", "http://web")
	require.Equal(t, 1, res.ExitCode)
	require.Equal(t, "wget: download timed out\n", res.Stderr)
	require.Empty(t, res.Stdout)
	require.Equal(t, 2*time.Second+0, res.Elapsed.Round(time.Second))

	// Without -T the kernel gives up on the SYNs.
	res = w.exec("wget", "-q", "-O", "-", "web")
	require.Equal(t, "wget: can't connect to remote host ("+ip+"): Connection timed out\n", res.Stderr)

	// Allow the client by label on the named port.
	http := intstr.FromString("http")
	w.create(&networkingv1.NetworkPolicy{
		ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: "web-from-client"},
		Spec: networkingv1.NetworkPolicySpec{
			PodSelector: metav1.LabelSelector{MatchLabels: map[string]string{"app": "web"}},
			Ingress: []networkingv1.NetworkPolicyIngressRule{{
				From:  []networkingv1.NetworkPolicyPeer{{PodSelector: &metav1.LabelSelector{MatchLabels: map[string]string{"run": "client"}}}},
				Ports: []networkingv1.NetworkPolicyPort{{Port: &http}},
			}},
		},
	})
	w.run(time.Second)
	res = w.exec("wget", "-qO-", "-T2", "http://web")
	require.Equal(t, 0, res.ExitCode, res.Stderr)
	require.Contains(t, res.Stdout, "Welcome to nginx!")

	// curl is not in busybox, but the command itself behaves.
	res = w.exec("curl", "-s", "-m", "2", "http://web/nope")
	require.Equal(t, 0, res.ExitCode)
	require.Contains(t, res.Stdout, "<title>404 Not Found</title>")
	require.False(t, netcmd.Has("busybox:1.37", "curl"))
	require.True(t, netcmd.Has("busybox:1.37", "wget"))
}

func TestNslookupOfAService(t *testing.T) {
	w := newWorld(t)
	ip := w.clusterIP("web")
	dns := w.c.Store
	o, _ := dns.Get("Service", "kube-system", "kube-dns")
	server := o.(*corev1.Service).Spec.ClusterIP
	require.Equal(t, "10.100.0.10", server)

	res := w.exec("nslookup", "web")
	want := "Server:\t\t10.100.0.10\nAddress:\t10.100.0.10:53\n\n" +
		"Name:\tweb.default.svc.cluster.local\nAddress: " + ip + "\n\n" +
		"** server can't find web.svc.cluster.local: NXDOMAIN\n\n" +
		"** server can't find web.cluster.local: NXDOMAIN\n\n" +
		"** server can't find web.ec2.internal: NXDOMAIN\n\n" +
		"\n" +
		"** server can't find web.svc.cluster.local: NXDOMAIN\n\n" +
		"** server can't find web.cluster.local: NXDOMAIN\n\n" +
		"** server can't find web.ec2.internal: NXDOMAIN\n\n"
	require.Equal(t, want, res.Stdout)
	require.Equal(t, 1, res.ExitCode, "busybox exits 1 when any search name was NXDOMAIN")

	res = w.exec("nslookup", "web.default.svc.cluster.local")
	require.Equal(t, "Server:\t\t10.100.0.10\nAddress:\t10.100.0.10:53\n\nName:\tweb.default.svc.cluster.local\nAddress: "+ip+"\n\n\n", res.Stdout)
	require.Equal(t, 0, res.ExitCode)

	// A name with a dot is not searched by busybox's nslookup.
	res = w.exec("nslookup", "web.default")
	require.Contains(t, res.Stdout, "** server can't find web.default: NXDOMAIN")

	// wget resolves through the C library: the search path applies.
	res = w.exec("wget", "-qO-", "web.default")
	require.Equal(t, 0, res.ExitCode, res.Stderr)

	res = w.exec("nslookup", "nosuch")
	require.Equal(t, 1, res.ExitCode)
	require.NotContains(t, res.Stdout, "Name:")

	// Egress deny-all from the client: DNS is blocked too.
	w.create(&networkingv1.NetworkPolicy{
		ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: "deny-egress"},
		Spec: networkingv1.NetworkPolicySpec{PodSelector: metav1.LabelSelector{},
			PolicyTypes: []networkingv1.PolicyType{networkingv1.PolicyTypeEgress}},
	})
	w.run(time.Second)
	res = w.exec("nslookup", "web")
	require.Equal(t, ";; connection timed out; no servers could be reached\n\n", res.Stdout)
	require.Equal(t, 1, res.ExitCode)
	res = w.exec("wget", "-qO-", "-T2", "http://web")
	require.Equal(t, "wget: bad address 'web'\n", res.Stderr)
	require.Equal(t, 10*time.Second, res.Elapsed)

	// Allow DNS to kube-dns in kube-system: names resolve again, the
	// connection to web is still dropped by the egress policy.
	udp, tcp := corev1.ProtocolUDP, corev1.ProtocolTCP
	p53 := intstr.FromInt32(53)
	w.create(&networkingv1.NetworkPolicy{
		ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: "allow-dns"},
		Spec: networkingv1.NetworkPolicySpec{PodSelector: metav1.LabelSelector{},
			PolicyTypes: []networkingv1.PolicyType{networkingv1.PolicyTypeEgress},
			Egress: []networkingv1.NetworkPolicyEgressRule{{
				To: []networkingv1.NetworkPolicyPeer{{
					NamespaceSelector: &metav1.LabelSelector{MatchLabels: map[string]string{"kubernetes.io/metadata.name": "kube-system"}},
					PodSelector:       &metav1.LabelSelector{MatchLabels: map[string]string{"k8s-app": "kube-dns"}},
				}},
				Ports: []networkingv1.NetworkPolicyPort{{Protocol: &udp, Port: &p53}, {Protocol: &tcp, Port: &p53}},
			}}},
	})
	w.run(time.Second)
	res = w.exec("nslookup", "web.default.svc.cluster.local")
	require.Equal(t, 0, res.ExitCode, res.Stdout)
	res = w.exec("wget", "-qO-", "-T2", "http://web")
	require.Equal(t, "wget: download timed out\n", res.Stderr)
}

func TestServiceWithoutReadyEndpointsRefuses(t *testing.T) {
	w := newWorld(t)
	require.NoError(t, w.kc.Scale("Deployment", "default", "web", 0))
	w.run(time.Minute)
	res := w.exec("wget", "-qO-", "-T2", "http://web")
	require.Equal(t, "wget: can't connect to remote host ("+w.clusterIP("web")+"): Connection refused\n", res.Stderr)
	res = w.exec("nc", "-zv", "-w", "2", "web", "80")
	require.Equal(t, 1, res.ExitCode)
	require.Empty(t, res.Stderr, "one -v does not report refusals")
	res = w.exec("nc", "-zvv", "-w", "2", "web", "80")
	require.Equal(t, "nc: web ("+w.clusterIP("web")+":80): Connection refused\n", res.Stderr)
}

func (w *world) execIn(pod string, argv ...string) netcmd.Result {
	w.t.Helper()
	res, ok := netcmd.Run(netcmd.Env{State: w.c.Store, Pod: w.pod("default", pod), Now: w.c.Engine.Now()}, argv)
	require.True(w.t, ok)
	return res
}

func TestCurlPingAndTheInternet(t *testing.T) {
	w := newWorld(t)
	w.create(&corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: "curl"},
		Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "curl", Image: "curlimages/curl:8.17.0",
			Command: []string{"sleep", "infinity"}}}},
	})
	w.run(30 * time.Second)
	require.True(t, netcmd.Has("curlimages/curl:8.17.0", "curl"))

	res := w.execIn("curl", "curl", "-sS", "http://web")
	require.Equal(t, 0, res.ExitCode, res.Stderr)
	require.Contains(t, res.Stdout, "Welcome to nginx!")

	// Without -s, curl draws its meter on stderr when stdout is no terminal.
	res = w.execIn("curl", "curl", "http://web")
	require.Contains(t, res.Stderr, "  % Total    % Received % Xferd")
	require.Contains(t, res.Stderr, "100   615  100   615")

	res = w.execIn("curl", "curl", "-s", "-o", "/dev/null", "-w", "%{http_code}\\n", "http://web/missing")
	require.Equal(t, "404\n", res.Stdout)

	res = w.execIn("curl", "curl", "-sS", "http://nosuch")
	require.Equal(t, 6, res.ExitCode)
	require.Equal(t, "curl: (6) Could not resolve host: nosuch\n", res.Stderr)

	res = w.execIn("curl", "curl", "-sS", "http://web:8080")
	require.Equal(t, 28, res.ExitCode, "a port the Service lacks: dropped, the kernel gives up after its SYN retries")

	// The internet through the NAT gateway, and a deny-all egress.
	res = w.exec("wget", "-qO-", "http://example.com")
	require.Equal(t, 0, res.ExitCode, res.Stderr)
	require.Contains(t, res.Stdout, "<h1>Example Domain</h1>")
	res = w.execIn("curl", "curl", "-sI", "http://google.com")
	require.Contains(t, res.Stdout, "HTTP/1.1 301 Moved Permanently\r\n")
	require.Contains(t, res.Stdout, "Location: http://www.google.com/\r\n")

	// ping: pods answer, a cluster IP never does.
	webPod := ""
	for _, o := range w.c.Store.List("Pod", "default") {
		if o.GetLabels()["app"] == "web" {
			webPod = o.(*corev1.Pod).Status.PodIP
		}
	}
	res = w.exec("ping", "-c", "2", webPod)
	require.Equal(t, 0, res.ExitCode, res.Stdout)
	require.Regexp(t, `^PING `+regexp.QuoteMeta(webPod)+` \(`+regexp.QuoteMeta(webPod)+`\): 56 data bytes
64 bytes from `+regexp.QuoteMeta(webPod)+`: seq=0 ttl=6[23] time=\d\.\d{3} ms
64 bytes from .*: seq=1 ttl=6[23] time=\d\.\d{3} ms

--- .* ping statistics ---
2 packets transmitted, 2 packets received, 0% packet loss
round-trip min/avg/max = [\d./]+ ms
$`, res.Stdout)
	res = w.exec("ping", "-c", "3", "web")
	require.Equal(t, 1, res.ExitCode)
	require.Equal(t, "PING web ("+w.clusterIP("web")+"): 56 data bytes\n\n--- web ping statistics ---\n3 packets transmitted, 0 packets received, 100% packet loss\n", res.Stdout)

	w.create(&networkingv1.NetworkPolicy{
		ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: "deny-egress"},
		Spec: networkingv1.NetworkPolicySpec{PodSelector: metav1.LabelSelector{},
			PolicyTypes: []networkingv1.PolicyType{networkingv1.PolicyTypeEgress}},
	})
	w.run(time.Second)
	res = w.exec("ping", "-c", "1", webPod)
	require.Equal(t, 1, res.ExitCode)
	res = w.execIn("curl", "curl", "-sS", "--connect-timeout", "3", "http://"+webPod)
	require.Equal(t, 28, res.ExitCode)
	require.Equal(t, "curl: (28) Failed to connect to "+webPod+" port 80 after 3001 ms: Timeout was reached\n", res.Stderr)
	require.Equal(t, 3*time.Second, res.Elapsed)
}
