package kubeapi

import (
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

var netManifest = nginxWeb(2) + "---\n" + webService + `---
apiVersion: v1
kind: Service
metadata: {name: web-np}
spec:
  type: NodePort
  selector: {app: web}
  ports: [{port: 80, targetPort: 80, nodePort: 30080}]
---
apiVersion: v1
kind: Service
metadata: {name: web-lb}
spec:
  type: LoadBalancer
  selector: {app: web}
  ports: [{port: 80, targetPort: 80}]
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: web}
spec:
  ingressClassName: alb
  rules:
  - host: shop.example.com
    http:
      paths:
      - {path: /, pathType: Prefix, backend: {service: {name: web, port: {number: 80}}}}
`

const dupNodePort = `apiVersion: v1
kind: Service
metadata: {name: other-np}
spec:
  type: NodePort
  selector: {app: other}
  ports: [{port: 80, nodePort: 30080}]
`

const badNetpol = `apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: db}
spec:
  podSelector: {matchLabels: {app: db}}
  ingress:
  - from: [{ipBlock: {cidr: 10.0.0.0/33}}]
`

// waitFor polls kubectl until out matches re (virtual time runs at the
// fixture's speed; the bound is generous for a loaded machine).
func waitFor(t *testing.T, k kubectl, re *regexp.Regexp, args ...string) string {
	t.Helper()
	var out string
	require.Eventually(t, func() bool {
		out, _ = k.run(args...)
		return re.MatchString(out)
	}, 60*time.Second, 200*time.Millisecond, "kubectl %s never matched %s", strings.Join(args, " "), re)
	return out
}

// TestKubectlServices: with the real kubectl, the Services of a CKA
// networking task behave as on EKS: v1 Endpoints list the ready pods
// (`get ep`), a NodePort service gets its port and a duplicate is
// refused with upstream's message and nothing created, a LoadBalancer
// service and an alb Ingress get the load balancer hostnames the AWS
// Load Balancer Controller writes; from a pod, wget reaches nginx by a
// node port, by the NLB's name and by the ALB's (routed by the Host
// header), and a NetworkPolicy admitting only pods cuts both load
// balancers off.
func TestKubectlServices(t *testing.T) {
	_, k := newKubectl(t, fixtureOpts{speed: 20})
	manifest := k.file(netManifest)
	dup := k.file(dupNodePort)

	out := k.ok("apply", "-f", manifest)
	require.Contains(t, out, "service/web-np created")
	require.Contains(t, out, "ingress.networking.k8s.io/web created")
	k.ok("rollout", "status", "deploy/web", "--timeout=60s")

	out = waitFor(t, k, regexp.MustCompile(`web\s+100\.64\.\d+\.\d+:80,100\.64\.\d+\.\d+:80\s`), "get", "ep", "web")
	require.Regexp(t, spaced("NAME", "ENDPOINTS", "AGE"), out)

	out = k.ok("get", "svc")
	require.Regexp(t, `web-np\s+NodePort\s+10\.100\.\d+\.\d+\s+<none>\s+80:30080/TCP`, out)
	require.Regexp(t, `web-lb\s+LoadBalancer\s+10\.100\.\d+\.\d+\s+\S+\s+80:3\d{4}/TCP`, out)

	out, err := k.run("apply", "-f", dup)
	require.Error(t, err)
	require.Contains(t, out, `The Service "other-np" is invalid: spec.ports[0].nodePort: Invalid value: 30080: provided port is already allocated`)
	out, err = k.run("get", "svc", "other-np")
	require.Error(t, err, "nothing was created")
	require.Contains(t, out, `services "other-np" not found`)

	waitFor(t, k, regexp.MustCompile(`web-lb\s+LoadBalancer\s+\S+\s+k8s-default-weblb-[0-9a-f]{10}-[0-9a-f]{16}\.elb\.us-east-1\.amazonaws\.com`), "get", "svc", "web-lb")
	out = k.ok("describe", "svc", "web-lb")
	require.Regexp(t, `LoadBalancer Ingress:\s+k8s-default-weblb-`, out)
	require.Regexp(t, `Normal\s+SuccessfullyReconciled\s+\S+\s+aws-load-balancer-controller\s+Successfully reconciled`, out)

	out = waitFor(t, k, regexp.MustCompile(`web\s+alb\s+shop\.example\.com\s+k8s-default-web-[0-9a-f]{10}-\d{10}\.us-east-1\.elb\.amazonaws\.com\s+80`), "get", "ingress")
	require.Regexp(t, spaced("NAME", "CLASS", "HOSTS", "ADDRESS", "PORTS", "AGE"), out)
	require.Regexp(t, `alb\s+ingress\.k8s\.aws/alb\s+<none>`, k.ok("get", "ingressclass"))

	// From a pod, the node port on a node's address, the NLB's name and
	// the ALB's name (routed by host and path) all reach nginx.
	k.ok("run", "client", "--image=busybox:1.36", "--", "sleep", "3600")
	k.ok("wait", "--for=condition=Ready", "pod/client", "--timeout=60s")
	nodeIP := k.ok("get", "nodes", "-o", `jsonpath={.items[0].status.addresses[?(@.type=="InternalIP")].address}`)
	require.Contains(t, k.ok("exec", "client", "--", "wget", "-qO-", "-T2", "http://"+nodeIP+":30080"), "<title>Welcome to nginx!</title>")
	nlb := k.ok("get", "svc", "web-lb", "-o", "jsonpath={.status.loadBalancer.ingress[0].hostname}")
	out = k.ok("exec", "client", "--", "nslookup", nlb)
	require.Regexp(t, `Name:\s+`+regexp.QuoteMeta(nlb)+`\nAddress: 192\.168\.`, out)
	require.Contains(t, k.ok("exec", "client", "--", "wget", "-qO-", "-T2", "http://"+nlb), "<title>Welcome to nginx!</title>")
	alb := k.ok("get", "ingress", "web", "-o", "jsonpath={.status.loadBalancer.ingress[0].hostname}")
	require.Contains(t, k.ok("exec", "client", "--", "wget", "-qO-", "-T2", "--header", "Host: shop.example.com", "http://"+alb), "<title>Welcome to nginx!</title>")
	// curl --resolve pins the rule's host to an ALB address.
	albIP := regexp.MustCompile(`Address: (192\.168\.\d+\.\d+)`).FindStringSubmatch(k.ok("exec", "client", "--", "nslookup", alb))
	require.NotNil(t, albIP)
	require.Contains(t, k.ok("exec", "deploy/web", "--", "curl", "-s", "--resolve", "shop.example.com:80:"+albIP[1], "http://shop.example.com/"),
		"<title>Welcome to nginx!</title>")
	out, err = k.run("exec", "client", "--", "wget", "-qO-", "-T2", "http://"+alb)
	require.Error(t, err, "no rule for the ALB's own name: the controller's default 404")
	require.Contains(t, out, "wget: server returned error: HTTP/1.1 404 Not Found")
	// Isolating nginx to in-cluster pods cuts the load balancers off.
	k.apply(`apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: web-pods-only}
spec:
  podSelector: {matchLabels: {app: web}}
  ingress: [{from: [{podSelector: {}}]}]
`)
	out, err = k.run("exec", "client", "--", "wget", "-qO-", "--header", "Host: shop.example.com", "http://"+alb)
	require.Error(t, err)
	require.Contains(t, out, "wget: server returned error: HTTP/1.1 504 Gateway Time-out")
	out, err = k.run("exec", "client", "--", "wget", "-qO-", "-T2", "http://"+nlb)
	require.Error(t, err)
	require.Contains(t, out, "wget: download timed out")
	require.Contains(t, k.ok("exec", "client", "--", "wget", "-qO-", "-T2", "http://web"), "<title>Welcome to nginx!</title>", "pods still reach it")
	k.ok("delete", "netpol", "web-pods-only")

	// A NetworkPolicy with a malformed CIDR is refused, a valid one listed.
	bad := k.file(badNetpol)
	out, err = k.run("apply", "-f", bad)
	require.Error(t, err)
	require.Contains(t, out, `The NetworkPolicy "db" is invalid: spec.ingress[0].from[0].ipBlock.cidr: Invalid value: "10.0.0.0/33": must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)`)
	out, _ = k.run("get", "netpol")
	require.Contains(t, out, "No resources found in default namespace.")
	bad = k.file(strings.Replace(badNetpol, "/33", "/16", 1))
	require.Contains(t, k.ok("apply", "-f", bad), "networkpolicy.networking.k8s.io/db created")
	require.Regexp(t, `db\s+app=db\s`, k.ok("get", "netpol"))

	// Scaling to zero empties the endpoints.
	k.ok("scale", "deploy/web", "--replicas=0")
	waitFor(t, k, regexp.MustCompile(`web\s+<none>\s`), "get", "endpoints", "web")
	// Deleting the LoadBalancer service goes through the controller's finalizer.
	k.ok("delete", "svc", "web-lb", "--timeout=60s")
	_, err = k.run("get", "svc", "web-lb")
	require.Error(t, err)
}
