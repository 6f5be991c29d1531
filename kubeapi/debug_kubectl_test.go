package kubeapi

import (
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

const debugManifest = `apiVersion: v1
kind: Pod
metadata: {name: web, labels: {app: web}}
spec:
  containers:
  - name: nginx
    image: nginx:1.27
---
apiVersion: v1
kind: Service
metadata: {name: web}
spec:
  selector: {app: web}
  ports: [{port: 80}]
`

// TestKubectlDebug: `kubectl debug` adds an ephemeral container to a
// running pod (the pods/ephemeralcontainers subresource), the kubelet
// starts it (events and ephemeralContainerStatuses as upstream), and the
// network tools of its image answer from inside the pod, and with
// --target its ps sees the target's processes; a name already
// taken is refused with upstream's message and nothing changes.
// `kubectl debug node/…` creates the node-debugger pod on the node.
func TestKubectlDebug(t *testing.T) {
	_, k := newKubectl(t, fixtureOpts{speed: 20})
	k.apply(debugManifest)
	k.ok("wait", "--for=condition=Ready", "pod/web", "--timeout=60s")

	// nginx's image has no nslookup: the debug container brings busybox's.
	out, err := k.run("exec", "web", "--", "nslookup", "web")
	require.Error(t, err)
	require.Contains(t, out, `exec: "nslookup": executable file not found in $PATH`)

	out = k.ok("debug", "web", "--image=busybox:1.36", "-c", "dbg", "--target=nginx", "--", "sleep", "3600")
	require.Contains(t, out, `Targeting container "nginx".`)
	waitFor(t, k, regexp.MustCompile(`^true$`), "get", "pod", "web", "-o", `jsonpath={.status.ephemeralContainerStatuses[?(@.name=="dbg")].started}`)
	out = k.ok("describe", "pod", "web")
	require.Regexp(t, `Ephemeral Containers:\s+dbg:`, out)
	require.Regexp(t, `Normal\s+Started\s+.*Started container dbg`, out)
	out, _ = k.run("exec", "web", "-c", "dbg", "--", "nslookup", "web") // busybox exits 1 for the search path's NXDOMAINs
	require.Contains(t, out, "Name:\tweb.default.svc.cluster.local")
	require.Contains(t, k.ok("exec", "web", "-c", "dbg", "--", "wget", "-qO-", "http://localhost"), "Welcome to nginx!")
	require.Regexp(t, spaced("web", "1/1", "Running", "0"), k.ok("get", "pod", "web"))

	// A taken name is refused, and the pod keeps its one debug container.
	out, err = k.run("debug", "web", "--image=busybox:1.36", "-c", "nginx", "--", "sleep", "1")
	require.Error(t, err)
	require.Contains(t, out, `Pod "web" is invalid: spec.ephemeralContainers[1].name: Duplicate value: "nginx"`)
	require.Equal(t, "dbg", k.ok("get", "pod", "web", "-o", "jsonpath={.spec.ephemeralContainers[*].name}"))

	// -i attaches to the debug container's shell: it runs what stdin
	// says, and its end is the container's.
	out = k.in("hostname\nwget -qO- http://localhost | grep title\nexit 3\n", "debug", "-i", "web", "--image=busybox:1.36", "-c", "sh")
	require.Contains(t, out, "If you don't see a command prompt, try pressing enter.")
	require.Contains(t, out, "web\n<title>Welcome to nginx!</title>\n")
	waitFor(t, k, regexp.MustCompile(`^3 Error$`), "get", "pod", "web", "-o", `jsonpath={.status.ephemeralContainerStatuses[?(@.name=="sh")].state.terminated.exitCode} {.status.ephemeralContainerStatuses[?(@.name=="sh")].state.terminated.reason}`)
	out, err = k.run("exec", "web", "-c", "sh", "--", "true")
	require.Error(t, err)
	require.Contains(t, out, `unable to upgrade connection: container not found ("sh")`)

	// --target joins the target's process namespace: ps shows nginx.
	out = k.in("ps\n", "debug", "-i", "web", "--image=busybox:1.36", "--target=nginx", "-c", "pid")
	require.Contains(t, out, `Targeting container "nginx".`)
	require.Regexp(t, `PID\s+USER\s+TIME\s+COMMAND\n\s+1 root\s+0:00 nginx: master process nginx -g daemon off;\n\s+29 101\s+0:00 nginx: worker process\n`+
		`\s+30 101\s+0:00 nginx: worker process\n\s+36 root\s+0:00 sh\n\s+42 root\s+0:00 ps\n`, out)

	// kubectl run -i --rm: the pod's output, then the pod goes.
	out = k.ok("run", "tmp", "-i", "--rm", "--restart=Never", "--image=busybox:1.36", "--", "wget", "-qO-", "-T2", "http://web")
	require.Contains(t, out, "<title>Welcome to nginx!</title>")
	require.Contains(t, out, `pod "tmp" deleted`)
	out = k.in("echo hi from $(hostname)\n", "run", "tmp2", "-i", "--rm", "--restart=Never", "--image=busybox:1.36", "--", "sh")
	require.Contains(t, out, "hi from tmp2\n")
	require.Contains(t, out, `pod "tmp2" deleted`)

	// --copy-to: a copy of the pod with the debug container beside the app.
	k.ok("debug", "web", "--copy-to=web-copy", "--image=busybox:1.36", "-c", "dbg", "--", "sleep", "3600")
	waitFor(t, k, regexp.MustCompile(`web-copy\s+2/2\s+Running`), "get", "pod", "web-copy")
	require.Equal(t, "nginx dbg", k.ok("get", "pod", "web-copy", "-o", "jsonpath={.spec.containers[*].name}"))

	// A node: the debugger pod runs on it with the host's namespaces.
	node := strings.TrimSpace(k.ok("get", "pod", "web", "-o", "jsonpath={.spec.nodeName}"))
	out = k.ok("debug", "node/"+node, "--image=busybox:1.36", "--", "sleep", "3600")
	m := regexp.MustCompile(`Creating debugging pod (node-debugger-` + regexp.QuoteMeta(node) + `-[a-z0-9]{5}) with container debugger on node ` + regexp.QuoteMeta(node) + `\.`).FindStringSubmatch(out)
	require.NotNil(t, m, out)
	k.ok("wait", "--for=condition=Ready", "pod/"+m[1], "--timeout=60s")
	require.Equal(t, "true true", k.ok("get", "pod", m[1], "-o", "jsonpath={.spec.hostNetwork} {.spec.hostPID}"))
	// The node's file system is at /host: its OS and the kubelet's
	// configuration as nodeadm writes it on EKS.
	require.Contains(t, k.ok("exec", m[1], "--", "cat", "/host/etc/os-release"), `PRETTY_NAME="Amazon Linux 2023`)
	cfg := k.ok("exec", m[1], "--", "cat", "/host/etc/kubernetes/kubelet/config.json")
	require.Contains(t, cfg, `"maxPods": 29`) // an m5.large
	require.Contains(t, cfg, `"10.100.0.10"`)
	require.Contains(t, cfg, `"memory": "574Mi"`) // EKS's kube-reserved for 29 pods
	require.Equal(t, node+"\n", k.ok("exec", m[1], "--", "cat", "/host/etc/hostname"))

}
