package kubeapi

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/kubesim/kubesim/sim/cluster"
)

var ssaDeployment = mainWeb("labels: {app: web, tier: front}", 2, "")

// TestKubectlServerSideApply: kubectl apply --server-side creates and
// updates through the field manager, managedFields say who owns what, a
// field another manager changed is a conflict until --force-conflicts,
// and a field dropped from the applied configuration is removed.
func TestKubectlServerSideApply(t *testing.T) {
	_, k := newKubectl(t, fixtureOpts{})
	p := k.file(ssaDeployment)

	require.Contains(t, k.ok("apply", "--server-side", "-f", p), "deployment.apps/web serverside-applied")
	out := k.ok("get", "deploy", "web", "-o", "yaml", "--show-managed-fields")
	require.Regexp(t, `manager: kubectl\n\s+operation: Apply`, out)
	require.Contains(t, out, "f:replicas: {}")
	require.Contains(t, out, `k:{"name":"main"}`)
	require.NotContains(t, k.ok("get", "deploy", "web", "-o", "yaml"), "managedFields", "kubectl hides them without --show-managed-fields")

	// Another manager takes spec.replicas.
	k.ok("patch", "deploy", "web", "-p", `{"spec":{"replicas":4}}`)
	out = k.ok("get", "deploy", "web", "-o", "yaml", "--show-managed-fields")
	require.Regexp(t, `manager: kubectl-patch\n\s+operation: Update`, out)

	// Re-applying replicas: 2 conflicts with it.
	out, err := k.run("apply", "--server-side", "-f", p)
	require.Error(t, err, out)
	require.Contains(t, out, `Apply failed with 1 conflict: conflict with "kubectl-patch" using apps/v1: .spec.replicas`)
	require.Equal(t, "4", k.ok("get", "deploy", "web", "-o", "jsonpath={.spec.replicas}"), "a refused apply changes nothing")

	require.Contains(t, k.ok("apply", "--server-side", "--force-conflicts", "-f", p), "deployment.apps/web serverside-applied")
	require.Equal(t, "2", k.ok("get", "deploy", "web", "-o", "jsonpath={.spec.replicas}"))
	out = k.ok("get", "deploy", "web", "-o", "yaml", "--show-managed-fields")
	require.NotContains(t, out, "kubectl-patch", "forcing took the only field kubectl-patch owned")

	// A label dropped from the applied configuration goes.
	p = k.file(strings.Replace(ssaDeployment, "labels: {app: web, tier: front}", "labels: {app: web}", 1))
	k.ok("apply", "--server-side", "-f", p)
	require.Equal(t, "web", k.ok("get", "deploy", "web", "-o", "jsonpath={.metadata.labels.app}{.metadata.labels.tier}"))

	// Another field manager applying the same value shares the field.
	k.ok("apply", "--server-side", "--field-manager=ci", "-f", p)
	out = k.ok("get", "deploy", "web", "-o", "yaml", "--show-managed-fields")
	require.Regexp(t, `manager: ci\n\s+operation: Apply`, out)
	require.Regexp(t, `manager: kubectl\n\s+operation: Apply`, out)

	// Server-side dry run: the merged object is answered, nothing changes.
	p = k.file(strings.Replace(ssaDeployment, "replicas: 2", "replicas: 7", 1))
	require.Contains(t, k.ok("apply", "--server-side", "--force-conflicts", "--dry-run=server", "-f", p), "deployment.apps/web serverside-applied (server dry run)")
	require.Equal(t, "2", k.ok("get", "deploy", "web", "-o", "jsonpath={.spec.replicas}"))
}

// TestKubectlManagedFieldsOfUpdates: kubectl's imperative commands and
// client-side apply are recorded under their own field managers, as
// Update operations owning the fields they set (defaults included), and
// an object last applied client-side moves to server-side apply without
// conflicts when its configuration is unchanged.
func TestKubectlManagedFieldsOfUpdates(t *testing.T) {
	f, k := newKubectl(t, fixtureOpts{})
	k.ok("create", "deployment", "api", "--image=nginx:1.27")
	out := k.ok("get", "deploy", "api", "-o", "yaml", "--show-managed-fields")
	require.Regexp(t, `manager: kubectl-create\n\s+operation: Update`, out)
	require.Contains(t, out, "f:imagePullPolicy: {}", "defaulted fields belong to the creating manager")
	var now time.Time
	f.sess.With(func(c *cluster.Cluster) { now = c.Engine.Now() })
	require.Contains(t, out, `time: "`+now.UTC().Format(time.RFC3339)+`"`, "managed fields are stamped with the served clock")

	p := k.file(ssaDeployment)
	k.ok("apply", "-f", p)
	out = k.ok("get", "deploy", "web", "-o", "yaml", "--show-managed-fields")
	require.Regexp(t, `manager: kubectl-client-side-apply\n\s+operation: Update`, out)
	require.Contains(t, out, "f:kubectl.kubernetes.io/last-applied-configuration: {}")

	require.Contains(t, k.ok("apply", "--server-side", "-f", p), "deployment.apps/web serverside-applied")
	require.Regexp(t, `manager: kubectl\n\s+operation: Apply`, k.ok("get", "deploy", "web", "-o", "yaml", "--show-managed-fields"))
}
