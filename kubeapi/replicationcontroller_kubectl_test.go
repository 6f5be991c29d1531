package kubeapi

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/kubesim/kubesim/internal/manifests"
)

var nginxRC = manifests.ReplicationController("nginx", 2, "{name: nginx, image: nginx:1.27}")

// dumpSections are the kinds `kubectl cluster-info dump` prints for each
// namespace after the nodes, in its order (each list's kind line).
var dumpSections = []string{"NodeList", "EventList", "ReplicationControllerList", "ServiceList",
	"DaemonSetList", "DeploymentList", "ReplicaSetList", "PodList"}

// TestKubectlReplicationController: the real kubectl creates a v1
// ReplicationController, which the API server defaults as upstream (the
// selector and labels from the template); get rc prints upstream's
// columns, scale rc goes through the scale subresource, and a bad RC is
// refused with upstream's messages.
func TestKubectlReplicationController(t *testing.T) {
	f, k := newKubectl(t, fixtureOpts{})
	require.Contains(t, k.apply(nginxRC), "replicationcontroller/nginx created")
	require.Equal(t, "nginx nginx 2 1",
		k.ok("get", "rc", "nginx", "-o", `jsonpath={.spec.selector.app} {.metadata.labels.app} {.spec.replicas} {.metadata.generation}`),
		"selector and labels default to the template's labels")
	out := k.ok("get", "replicationcontrollers", "-o", "wide")
	require.Regexp(t, spaced("NAME", "DESIRED", "CURRENT", "READY", "AGE", "CONTAINERS", "IMAGES", "SELECTOR"), out)
	require.Regexp(t, spaced("nginx", "2", "0", "0"), out, "no pods until the controller syncs")
	require.Regexp(t, spaced("nginx", "nginx:1.27", "app=nginx"), out)

	require.NoError(t, f.sess.RunFor(30*time.Second))
	require.Regexp(t, spaced("nginx", "2", "2", "2"), k.ok("get", "rc"))
	require.Regexp(t, spaced("replicationcontroller/nginx", "2", "2", "2"), k.ok("get", "all"), "rc is in the category all")
	pods := k.ok("get", "pods", "-l", "app=nginx", "-o", `jsonpath={range .items[*]}{.metadata.ownerReferences[0].apiVersion}/{.metadata.ownerReferences[0].kind}/{.metadata.ownerReferences[0].name} {.status.phase}{"\n"}{end}`)
	require.Equal(t, "v1/ReplicationController/nginx Running\nv1/ReplicationController/nginx Running\n", pods)
	require.Contains(t, k.ok("describe", "rc", "nginx"), "SuccessfulCreate")

	require.Contains(t, k.ok("scale", "rc", "nginx", "--replicas=3"), "replicationcontroller/nginx scaled")
	require.Equal(t, "3", k.ok("get", "rc", "nginx", "-o", "jsonpath={.spec.replicas}"))
	require.Contains(t, k.ok("get", "--raw", "/api/v1/namespaces/default/replicationcontrollers/nginx/scale"),
		`"spec":{"replicas":3},"status":{"replicas":2,"selector":"app=nginx"}`, "the scale subresource")
	require.NoError(t, f.sess.RunFor(30*time.Second))
	require.Regexp(t, spaced("nginx", "3", "3", "3"), k.ok("get", "rc"))
	require.Equal(t, "3 3 3 3 2", k.ok("get", "rc", "nginx", "-o",
		"jsonpath={.status.replicas} {.status.fullyLabeledReplicas} {.status.readyReplicas} {.status.availableReplicas} {.status.observedGeneration}"))
	require.Equal(t, 3, strings.Count(k.ok("get", "pods", "-l", "app=nginx", "--field-selector=status.phase=Running", "--no-headers"), "Running"))

	out, err := k.run("create", "-f", k.file(`apiVersion: v1
kind: ReplicationController
metadata: {name: bad}
spec:
  replicas: -1
  selector: {app: other}
  template:
    metadata: {labels: {app: bad}}
    spec:
      restartPolicy: Never
      containers: [{name: c, image: nginx}]
`))
	require.Error(t, err, out)
	require.Contains(t, out, `The ReplicationController "bad" is invalid`)
	require.Contains(t, out, "spec.replicas: Invalid value: -1: must be greater than or equal to 0")
	require.Contains(t, out, "spec.template.metadata.labels: Invalid value: {\"app\":\"bad\"}: `selector` does not match template `labels`")
	require.Contains(t, out, `spec.template.spec.restartPolicy: Unsupported value: "Never": supported values: "Always"`)

	require.Contains(t, k.ok("delete", "rc", "nginx"), `replicationcontroller "nginx" deleted`)
	require.NoError(t, f.sess.RunFor(60*time.Second))
	require.Contains(t, k.ok("get", "pods", "-l", "app=nginx"), "No resources found", "the garbage collector deletes the pods")
}

// TestKubectlClusterInfoDump: `kubectl cluster-info dump` (which lists
// replicationcontrollers in every namespace) completes, to stdout, for
// all namespaces and into an output directory.
func TestKubectlClusterInfoDump(t *testing.T) {
	f, k := newKubectl(t, fixtureOpts{})
	k.apply(nginxRC)
	require.NoError(t, f.sess.RunFor(30*time.Second))

	out := k.ok("cluster-info", "dump")
	for _, s := range dumpSections {
		require.Contains(t, out, `"kind": "`+s+`"`, s)
	}
	require.Contains(t, out, `"name": "nginx"`, "the RC in default")
	require.Contains(t, out, "==== START logs for container", "the pods' logs")

	all := k.ok("cluster-info", "dump", "--all-namespaces")
	require.Greater(t, strings.Count(all, `"kind": "ReplicationControllerList"`), strings.Count(out, `"kind": "ReplicationControllerList"`),
		"one list per namespace")

	dir := t.TempDir()
	out = k.ok("cluster-info", "dump", "--output-directory", dir)
	require.Contains(t, out, "Cluster info dumped to "+dir)
	for _, name := range []string{"nodes.json", "default/replication-controllers.json", "default/services.json",
		"default/daemonsets.json", "default/deployments.json", "default/replicasets.json", "default/pods.json",
		"default/events.json", "kube-system/pods.json"} {
		b, err := os.ReadFile(filepath.Join(dir, name))
		require.NoError(t, err, name)
		require.NotEmpty(t, b, name)
	}
	b, err := os.ReadFile(filepath.Join(dir, "default", "replication-controllers.json"))
	require.NoError(t, err)
	require.Contains(t, string(b), `"name": "nginx"`)
}
