package kubeapi

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// helmPackage is the helm .ci/run installs: v3, the major version most
// users run, whose client-side three-way merge patches are what a
// cluster meets from charts today.
const helmPackage = "helm.sh/helm/v3/cmd/helm@v3.21.4"

// helm runs the real helm against a fixture, with its own config, cache
// and data directories.
type helm struct {
	t       *testing.T
	path    string
	config  string
	homeDir string
}

func newHelm(t *testing.T, config string) helm {
	t.Helper()
	return helm{t: t, path: goTool(t, "helm", helmPackage), config: config, homeDir: t.TempDir()}
}

func (h helm) run(args ...string) (string, error) {
	h.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, h.path, append([]string{"--kubeconfig", h.config}, args...)...)
	cmd.Env = append(os.Environ(), "HOME="+h.homeDir,
		"HELM_CACHE_HOME="+filepath.Join(h.homeDir, "cache"),
		"HELM_CONFIG_HOME="+filepath.Join(h.homeDir, "config"),
		"HELM_DATA_HOME="+filepath.Join(h.homeDir, "data"))
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// ok runs helm, requires success and returns its output.
func (h helm) ok(args ...string) string {
	h.t.Helper()
	out, err := h.run(args...)
	require.NoError(h.t, err, "helm %s:\n%s", strings.Join(args, " "), out)
	return out
}

// TestHelmRelease drives the real helm through a release's life against
// the simulation: install, upgrade with a changed value (the Deployment
// rolls to a new ReplicaSet), history, rollback to revision 1's values,
// list and uninstall, asserting on helm's output and on the cluster
// through the real kubectl.
func TestHelmRelease(t *testing.T) {
	f, k := newKubectl(t, fixtureOpts{})
	h := newHelm(t, k.config)
	chart := filepath.Join("testdata", "charts", "web")
	settle := func() { require.NoError(t, f.sess.RunFor(time.Minute)) }
	const demo = "app.kubernetes.io/instance=demo"

	// install: revision 1, its objects, the release in a Secret.
	out := h.ok("install", "demo", chart)
	require.Regexp(t, `(?m)^NAME: demo\nLAST DEPLOYED: .+\nNAMESPACE: default\nSTATUS: deployed\nREVISION: 1$`, out)
	settle()
	require.Regexp(t, spaced("demo", "2/2", "2", "2"), k.ok("get", "deployment", "demo"))
	require.Regexp(t, `demo\s+ClusterIP\s+10\.100\.\d+\.\d+\s+<none>\s+80/TCP`, k.ok("get", "service", "demo"))
	require.Equal(t, "hello", k.ok("get", "configmap", "demo-config", "-o", "jsonpath={.data.greeting}"))
	require.Regexp(t, spaced("sh.helm.release.v1.demo.v1", "helm.sh/release.v1", "1"), k.ok("get", "secrets", "-l", "owner=helm,name=demo"))

	// upgrade with changed values: the Deployment rolls to a new
	// ReplicaSet, the ConfigMap changes.
	out = h.ok("upgrade", "demo", chart, "--set", "image.tag=1.28", "--set", "greeting=bonjour")
	require.Regexp(t, `(?m)^Release "demo" has been upgraded\. Happy Helming!\n(?s:.*)^STATUS: deployed\nREVISION: 2$`, out)
	settle()
	require.Equal(t, "nginx:1.28 2 2", k.ok("get", "deployment", "demo", "-o", "jsonpath={.spec.template.spec.containers[0].image} {.status.updatedReplicas} {.status.readyReplicas}"))
	require.Equal(t, "bonjour", k.ok("get", "configmap", "demo-config", "-o", "jsonpath={.data.greeting}"))
	rs := k.ok("get", "replicasets", "-l", demo, "-o", `jsonpath={range .items[*]}{.spec.template.spec.containers[0].image}={.status.replicas} {end}`)
	require.ElementsMatch(t, []string{"nginx:1.27=0", "nginx:1.28=2"}, strings.Fields(rs))

	// history: revision 1 superseded by 2.
	out = h.ok("history", "demo")
	require.Regexp(t, spaced("REVISION", "UPDATED", "STATUS", "CHART", "APP VERSION", "DESCRIPTION"), out)
	require.Regexp(t, `(?m)^1\s+.+\s+superseded\s+web-0\.1\.0\s+1\.27\s+Install complete\s*$`, out)
	require.Regexp(t, `(?m)^2\s+.+\s+deployed\s+web-0\.1\.0\s+1\.27\s+Upgrade complete\s*$`, out)

	// rollback to revision 1: its values come back as revision 3, and the
	// Deployment returns to its first ReplicaSet (no third one).
	require.Contains(t, h.ok("rollback", "demo", "1"), "Rollback was a success! Happy Helming!")
	settle()
	require.Equal(t, "nginx:1.27 2 2 3", k.ok("get", "deployment", "demo", "-o", `jsonpath={.spec.template.spec.containers[0].image} {.status.updatedReplicas} {.status.readyReplicas} {.metadata.annotations.deployment\.kubernetes\.io/revision}`))
	require.Equal(t, "hello", k.ok("get", "configmap", "demo-config", "-o", "jsonpath={.data.greeting}"))
	rs = k.ok("get", "replicasets", "-l", demo, "-o", `jsonpath={range .items[*]}{.spec.template.spec.containers[0].image}={.status.replicas} {end}`)
	require.ElementsMatch(t, []string{"nginx:1.27=2", "nginx:1.28=0"}, strings.Fields(rs))
	require.Regexp(t, `(?m)^3\s+.+\s+deployed\s+web-0\.1\.0\s+1\.27\s+Rollback to 1\s*$`, h.ok("history", "demo"))

	// list, then uninstall: the objects and the release Secrets go.
	out = h.ok("list")
	require.Regexp(t, spaced("NAME", "NAMESPACE", "REVISION", "UPDATED", "STATUS", "CHART", "APP VERSION"), out)
	require.Regexp(t, `(?m)^demo\s+default\s+3\s+.+\s+deployed\s+web-0\.1\.0\s+1\.27\s*$`, out)
	require.Contains(t, h.ok("uninstall", "demo"), `release "demo" uninstalled`)
	settle()
	out, err := k.run("get", "deployment/demo", "service/demo", "configmap/demo-config")
	require.Error(t, err)
	for _, o := range []string{`deployments.apps "demo" not found`, `services "demo" not found`, `configmaps "demo-config" not found`} {
		require.Contains(t, out, o)
	}
	require.Equal(t, "", k.ok("get", "pods,replicasets,secrets", "-l", demo, "-o", "name"))
	require.Equal(t, "", k.ok("get", "secrets", "-l", "owner=helm", "-o", "name"))
	require.Equal(t, "", h.ok("list", "-q"))
}
