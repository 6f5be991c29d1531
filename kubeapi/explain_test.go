package kubeapi

import (
	"encoding/json"
	"io"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestKubectlExplain runs the real `kubectl explain` against the served
// OpenAPI v3 schemas and asserts on its output: field names, types and
// the descriptions of k8s.io/api's SwaggerDoc.
func TestKubectlExplain(t *testing.T) {
	_, k := newKubectl(t, fixtureOpts{})

	out := k.ok("explain", "deployment.spec.strategy")
	require.Regexp(t, spaced("GROUP:", "apps"), out)
	require.Regexp(t, spaced("KIND:", "Deployment"), out)
	require.Regexp(t, spaced("VERSION:", "v1"), out)
	require.Regexp(t, spaced("FIELD:", "strategy", "<DeploymentStrategy>"), out)
	require.Contains(t, out, "The deployment strategy to use to replace existing pods with new ones.")
	require.Regexp(t, spaced("rollingUpdate", "<RollingUpdateDeployment>"), out)
	require.Regexp(t, spaced("type", "<string>"), out)
	require.Contains(t, out, `Type of deployment. Can be "Recreate" or "RollingUpdate".`)

	out = k.ok("explain", "pod.spec.containers.resources")
	require.Regexp(t, spaced("KIND:", "Pod"), out)
	require.Regexp(t, spaced("FIELD:", "resources", "<ResourceRequirements>"), out)
	require.Contains(t, out, "Compute Resources required by this container.")
	require.Regexp(t, spaced("limits", "<map[string]Quantity>"), out)
	require.Regexp(t, spaced("requests", "<map[string]Quantity>"), out)
	require.Regexp(t, spaced("claims", "<[]ResourceClaim>"), out)
	require.Contains(t, out, "Limits describes the maximum amount of compute resources allowed.")

	out = k.ok("explain", "deployment.spec")
	require.Regexp(t, spaced("selector", "<LabelSelector>", "-required-"), out)
	require.Regexp(t, spaced("template", "<PodTemplateSpec>", "-required-"), out)
	require.Regexp(t, spaced("replicas", "<integer>"), out)
	require.Regexp(t, spaced("maxSurge", "<IntOrString>"), k.ok("explain", "deploy.spec.strategy.rollingUpdate"))
	require.Regexp(t, spaced("creationTimestamp", "<string>"), k.ok("explain", "pod.metadata"))

	out = k.ok("explain", "node", "--recursive")
	head := strings.Join(strings.SplitN(out, "\n", 12)[:11], "\n")
	require.Regexp(t, spaced("KIND:", "Node"), head)
	require.Contains(t, head, "Node is a worker node in Kubernetes.")
	require.Regexp(t, spaced("apiVersion", "<string>"), out)
	require.Regexp(t, spaced("spec", "<NodeSpec>"), out)
	require.Regexp(t, spaced("taints", "<[]Taint>"), out)
	require.Regexp(t, spaced("effect", "<string>", "-required-"), out)
	require.Regexp(t, spaced("podCIDRs", "<[]string>"), out)

	// Kinds of the other groups are explained too.
	require.Contains(t, k.ok("explain", "pdb.spec.minAvailable"), "<IntOrString>")
	require.Contains(t, k.ok("explain", "events", "--api-version=events.k8s.io/v1"), "Event is a report of an event somewhere in the cluster.")
	_, err := k.run("explain", "deployment.spec.nosuchfield")
	require.Error(t, err)
}

// TestOpenAPIV3Schemas checks the generated schemas directly: upstream
// names, $refs, the custom scalar types, group/version/kind tags and
// the strategic-merge extensions from the struct tags.
func TestOpenAPIV3Schemas(t *testing.T) {
	f := newFixture(t, fixtureOpts{})
	resp, err := f.httpClient(t).Get(f.ts.URL + "/openapi/v3/apis/apps/v1")
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, 200, resp.StatusCode)
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	var doc struct {
		Components struct {
			Schemas map[string]map[string]any `json:"schemas"`
		} `json:"components"`
	}
	require.NoError(t, json.Unmarshal(b, &doc))
	s := doc.Components.Schemas

	tests := []struct {
		schema, path string
		want         any
	}{
		{"io.k8s.api.apps.v1.Deployment", "x-kubernetes-group-version-kind", []any{map[string]any{"group": "apps", "version": "v1", "kind": "Deployment"}}},
		{"io.k8s.api.apps.v1.Deployment", "properties.metadata.allOf", []any{map[string]any{"$ref": "#/components/schemas/io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"}}},
		{"io.k8s.api.apps.v1.DeploymentSpec", "required", []any{"selector", "template"}},
		{"io.k8s.api.core.v1.PodSpec", "properties.containers.x-kubernetes-patch-strategy", "merge"},
		{"io.k8s.api.core.v1.PodSpec", "properties.containers.x-kubernetes-patch-merge-key", "name"},
		{"io.k8s.api.core.v1.PodSpec", "properties.containers.items.allOf", []any{map[string]any{"$ref": "#/components/schemas/io.k8s.api.core.v1.Container"}}},
		{"io.k8s.api.core.v1.Container", "properties.env.x-kubernetes-patch-merge-key", "name"},
		{"io.k8s.apimachinery.pkg.util.intstr.IntOrString", "format", "int-or-string"},
		{"io.k8s.apimachinery.pkg.util.intstr.IntOrString", "oneOf", []any{map[string]any{"type": "integer"}, map[string]any{"type": "string"}}},
		{"io.k8s.apimachinery.pkg.api.resource.Quantity", "oneOf", []any{map[string]any{"type": "string"}, map[string]any{"type": "number"}}},
		{"io.k8s.apimachinery.pkg.apis.meta.v1.Time", "format", "date-time"},
		{"io.k8s.apimachinery.pkg.apis.meta.v1.Time", "type", "string"},
		{"io.k8s.apimachinery.pkg.runtime.RawExtension", "type", "object"},
		{"io.k8s.api.apps.v1.ControllerRevision", "properties.data.allOf", []any{map[string]any{"$ref": "#/components/schemas/io.k8s.apimachinery.pkg.runtime.RawExtension"}}},
		{"io.k8s.api.apps.v1.DeploymentStatus", "properties.conditions.x-kubernetes-patch-strategy", "merge"},
		{"io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta", "properties.labels.additionalProperties", map[string]any{"type": "string"}},
		{"io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta", "properties.generation.format", "int64"},
	}
	for _, tt := range tests {
		t.Run(tt.schema+"/"+tt.path, func(t *testing.T) {
			var v any = s[tt.schema]
			require.NotNil(t, v, "schema %s", tt.schema)
			for _, key := range strings.Split(tt.path, ".") {
				m, ok := v.(map[string]any)
				require.True(t, ok, "%s at %s", tt.schema, key)
				v = m[key]
			}
			require.Equal(t, tt.want, v)
		})
	}
	require.Contains(t, s["io.k8s.api.apps.v1.Deployment"]["description"], "Deployment enables declarative updates")
	// Every $ref resolves.
	for _, ref := range refsIn(b) {
		require.Contains(t, s, strings.TrimPrefix(ref, schemaRefPrefix))
	}
}

func refsIn(b []byte) []string {
	var refs []string
	for _, part := range strings.Split(string(b), `"$ref":"`)[1:] {
		refs = append(refs, part[:strings.IndexByte(part, '"')])
	}
	return refs
}
