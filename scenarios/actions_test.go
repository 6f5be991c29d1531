package scenarios

import (
	"fmt"
	"reflect"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/stretchr/testify/require"
	"go.yaml.in/yaml/v3"

	"github.com/kubesim/kubesim/sim/action"
)

// actionCases are timeline entries covering every registered action, each
// in its forms (every etcd operation, partition with and without `for`,
// delete by name and by selector, apply from a file and inline, every api
// verb). A new action without a case here fails TestEveryActionRoundTrips.
var actionCases = []string{
	`fail: {node: general-2}`,
	`recover: {node: general-2}`,
	`cordon: {node: general-1}`,
	`uncordon: {node: general-1}`,
	`drain: {node: general-3}`,
	`partition: {zone: us-east-1b, for: 90s}`,
	`partition: {zone: us-east-1a}`,
	`ec2: {insufficientCapacity: {type: m5.large, zone: us-east-1a, for: 20m}}`,
	`ec2: {insufficientCapacity: {type: c7g.large, zone: us-east-1b}}`,
	`spot: {interrupt: general-1}`,
	`spot: {interrupt: random}`,
	`etcd: {stop: etcd-2}`,
	`etcd: {start: etcd-2}`,
	`etcd: {partition: etcd-3}`,
	`etcd: {heal: etcd-3}`,
	`etcd: {snapshot: before}`,
	`etcd: {restore: before}`,
	`kubectl: scale deployment/web --replicas=4 -n default`,
	`kubectl: apply -f manifests/extra.yaml`,
	`kubectl: delete job pi`,
	`apply: {file: manifests/extra.yaml}`,
	`apply: {manifest: {apiVersion: v1, kind: ConfigMap, metadata: {name: settings, namespace: default}, data: {mode: fast, n: "1000000"}}}`,
	`apply: {manifest: {apiVersion: batch/v1, kind: Job, metadata: {name: big}, spec: {activeDeadlineSeconds: 1000000, template: {spec: {restartPolicy: Never, containers: [{name: c, image: busybox}]}}}}}`,
	`delete: {kind: Pod, name: web-1}`,
	`delete: {kind: Pod, namespace: kube-system, selector: "app in (a,b)"}`,
	`delete: {kind: Node, name: general-1}`,
	`api: {verb: create, user: kubectl, kind: ConfigMap, namespace: default, name: c, object: {apiVersion: v1, kind: ConfigMap, metadata: {name: c, namespace: default, resourceVersion: "12"}, data: {n: "1"}}}`,
	`api: {verb: update, kind: Deployment, namespace: default, name: web, object: {apiVersion: apps/v1, kind: Deployment, metadata: {name: web, namespace: default, generation: 3}, spec: {replicas: 2, selector: {matchLabels: {app: web}}, template: {metadata: {labels: {app: web}}, spec: {containers: [{name: web, image: nginx}]}}}, status: {replicas: 2, readyReplicas: 1}}}`,
	`api: {verb: status, kind: Pod, namespace: default, name: p, object: {apiVersion: v1, kind: Pod, metadata: {name: p, namespace: default}, status: {phase: Running}}}`,
	`api: {verb: delete, kind: Pod, namespace: default, name: p, gracePeriodSeconds: 0, propagationPolicy: Foreground}`,
	`api: {verb: evict, kind: Pod, namespace: default, name: p}`,
	`api: {verb: bind, kind: Pod, namespace: default, name: p, node: general-1}`,
	`api: {verb: scale, kind: Deployment, namespace: default, name: web, replicas: 0}`,
	`exit: {pod: web-1, container: web, code: 3}`,
	`exit: {namespace: kube-system, pod: debug, container: debugger}`,
	`disk: {node: general-1, fill: "95%"}`,
	`disk: {node: general-2, fill: 15Gi}`,
	`disk: {node: general-2, fill: "0"}`,
}

const actionsHead = `name: actions
duration: 1h
cluster:
  controlPlane: {etcdMembers: 3}
  zones: [us-east-1a, us-east-1b]
  nodeGroups:
    - {name: general, instanceType: m5.large, count: 3}
timeline:
`

var actionFiles = fstest.MapFS{
	"manifests/extra.yaml": {Data: []byte("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: extra}\ndata: {k: v}\n---\n" +
		"apiVersion: v1\nkind: Service\nmetadata: {name: extra}\nspec: {selector: {app: x}, ports: [{port: 80}]}\n")},
}

func timelineOf(entries []string) string {
	var b strings.Builder
	b.WriteString(actionsHead)
	for i, e := range entries {
		fmt.Fprintf(&b, "  - at: %dm\n    %s\n", i, e)
	}
	return b.String()
}

// TestEveryActionRoundTrips: every action parses, writes back, and parses
// again to the same action (what a saved live session relies on).
func TestEveryActionRoundTrips(t *testing.T) {
	s, err := Parse("actions.yaml", []byte(timelineOf(actionCases)), actionFiles)
	require.NoError(t, err)
	require.Len(t, s.Timeline, len(actionCases))

	covered := map[string]bool{}
	var written []string
	for _, a := range s.Timeline {
		covered[a.Do.ActionName()] = true
		v, err := action.Write(a.Do)
		require.NoError(t, err, "%T", a.Do)
		out, err := yaml.Marshal(map[string]any{a.Do.ActionName(): v})
		require.NoError(t, err)
		flow := strings.TrimSpace(string(out))
		if m, ok := v.(map[string]any); ok {
			require.NotEmpty(t, m, "an empty value loses the action: %s", flow)
		}
		written = append(written, strings.ReplaceAll(flow, "\n", "\n    "))
	}
	for _, name := range action.Names() {
		require.True(t, covered[name], "action %q has no case in actionCases", name)
	}

	again, err := Parse("actions.yaml", []byte(timelineOf(written)), actionFiles)
	require.NoError(t, err, "the written timeline loads:\n%s", timelineOf(written))
	require.Len(t, again.Timeline, len(s.Timeline))
	for i := range s.Timeline {
		require.Equal(t, s.Timeline[i].At, again.Timeline[i].At)
		require.True(t, reflect.DeepEqual(s.Timeline[i].Do, again.Timeline[i].Do),
			"%s does not round-trip:\nparsed  %#v\nwritten %s\nparsed  %#v", actionCases[i], s.Timeline[i].Do, written[i], again.Timeline[i].Do)
	}
}

// TestFilesNamesEveryReferencedFile: the files a scenario reads (what a
// saved session and an export copy) come from the eksctl config, the
// workloads and the actions' registry entries, each once.
func TestFilesNamesEveryReferencedFile(t *testing.T) {
	fsys := fstest.MapFS{"eks.yaml": testFS["eks.yaml"], "web.yaml": testFS["web.yaml"], "manifests/extra.yaml": actionFiles["manifests/extra.yaml"]}
	s, err := Parse("s.yaml", []byte(`name: files
duration: 10m
cluster: {eksctl: eks.yaml}
workloads:
  - file: web.yaml
timeline:
  - at: 3m
    kubectl: apply --filename=web.yaml
  - at: 2m
    apply: {file: manifests/extra.yaml}
  - at: 1m
    kubectl: apply -f manifests/extra.yaml
`), fsys)
	require.NoError(t, err)
	require.Equal(t, []string{"eks.yaml", "web.yaml", "manifests/extra.yaml"}, s.Files())
}

// TestProblemNodeFollowsDottedFields: a validation problem about a nested
// field is positioned at that field's value.
func TestProblemNodeFollowsDottedFields(t *testing.T) {
	var doc yaml.Node
	require.NoError(t, yaml.Unmarshal([]byte("ec2:\n  insufficientCapacity: {type: m5.large, zone: us-east-1z}\n"), &doc))
	v := doc.Content[0].Content[1]
	n := problemNode(v, "insufficientCapacity.zone")
	require.Equal(t, "us-east-1z", n.Value)
	require.Equal(t, 2, n.Line)
	require.Equal(t, 48, n.Column)
	require.Same(t, v, problemNode(v, ""))
	require.Equal(t, yaml.MappingNode, problemNode(v, "insufficientCapacity.nothing").Kind, "the deepest node found")
}
