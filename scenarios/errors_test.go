package scenarios

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/stretchr/testify/require"
)

// base is a valid scenario header; cases append sections to it. Its
// cluster has nodes general-1..general-3.
const base = `name: t
duration: 10m
cluster:
  nodeGroups:
    - {name: general, instanceType: m5.large, count: 3}
`

const deployment = `apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: 3
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers: [{name: nginx, image: nginx}]
`

var testFS = fstest.MapFS{
	"web.yaml":       {Data: []byte(deployment)},
	"typo.yaml":      {Data: []byte(strings.Replace(deployment, "replicas: 3", "replica: 3", 1))},
	"wrongtype.yaml": {Data: []byte(strings.Replace(deployment, "replicas: 3", "replicas: three", 1))},
	"badqty.yaml":    {Data: []byte(strings.Replace(deployment, "image: nginx}", "image: nginx, resources: {requests: {cpu: 1x}}}", 1))},
	"mismatch.yaml":  {Data: []byte(strings.Replace(deployment, "labels: {app: web}", "labels: {app: api}", 1))},
	"eks.yaml": {Data: []byte(`apiVersion: eksctl.io/v1alpha5
kind: ClusterConfig
metadata: {name: c, region: us-west-2}
availabilityZones: [us-west-2a, us-west-2b]
vpc: {cidr: 10.0.0.0/16}
managedNodeGroups:
  - name: ng-1
    instanceType: m5.xlarge
    desiredCapacity: 2
    minSize: 1
    maxSize: 4
    volumeSize: 50
    labels: {role: worker}
    taints: [{key: special, value: "yes", effect: NoSchedule}]
    iam: {withAddonPolicies: {autoScaler: true}}
nodeGroups:
  - name: ng-2
    availabilityZones: [us-west-2b]
`)},
	"eksbad.yaml": {Data: []byte("apiVersion: eksctl.io/v1alpha5\nkind: ClusterConfig\nmanagedNodeGroups:\n  - name: ng-1\n    instanceType: m5.huge\n")},
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want []string // each error's text, sorted by position
	}{
		{"unknown top-level field", "nmae: x\n" + base[8:],
			[]string{"s.yaml:1:1: unknown field \"nmae\" in scenario\n  hint: did you mean \"name\"?",
				"s.yaml:1:1: missing required field \"name\"\n  hint: add `name: my-scenario` (lower case letters, digits and '-')"}},
		{"unknown node group field", strings.Replace(base, "count: 3", "cuont: 3", 1),
			[]string{"s.yaml:5:7: cluster.nodeGroups[0]: missing required field \"count\"\n  hint: add e.g. `count: 3`",
				"s.yaml:5:47: unknown field \"cuont\" in cluster.nodeGroups[0]\n  hint: did you mean \"count\"?"}},
		{"duration in words", strings.Replace(base, "10m", "5 minutes", 1),
			[]string{`s.yaml:2:11: invalid duration "5 minutes": use a Go duration like 90s, 5m or 1h30m`}},
		{"bare number duration", strings.Replace(base, "10m", "90", 1),
			[]string{"s.yaml:2:11: invalid duration \"90\": use a Go duration like 90s, 5m or 1h30m\n  hint: a bare number has no unit: write 90s for seconds or 90m for minutes"}},
		{"start time not a timestamp", strings.Replace(base, "duration: 10m", "startTime: yesterday\nduration: 10m", 1),
			[]string{"s.yaml:2:12: startTime \"yesterday\" is not an RFC 3339 timestamp\n  hint: write it as an RFC 3339 timestamp, e.g. startTime: \"2026-12-04T01:05:00Z\""}},
		{"wrong type", strings.Replace(base, "count: 3", "count: three", 1),
			[]string{`s.yaml:5:54: cluster.nodeGroups[0].count: expected an integer, got "three"`}},
		{"string expected", strings.Replace(base, "name: t", "name: 42", 1),
			[]string{"s.yaml:1:7: name: expected a string, got number 42\n  hint: quote it: \"42\""}},
		{"unknown instance type", strings.Replace(base, "m5.large", "m5.lrge", 1),
			[]string{"s.yaml:5:37: cluster.nodeGroups[0].instanceType: unknown instance type \"m5.lrge\"\n  hint: did you mean \"m5.large\"?"}},
		{"disk fill", base + "timeline:\n  - at: 1m\n    disk: {node: general-1, fill: 120%}\n",
			[]string{"s.yaml:8:35: disk.fill: \"120%\" is neither a quantity nor a percentage from 0% to 100%\n  hint: a size such as 15Gi, a share of the disk such as \"95%\", or 0 to remove the files"}},
		{"disk too small", strings.Replace(base, "count: 3}", "count: 3, diskSize: 10}", 1),
			[]string{"s.yaml:5:67: cluster.nodeGroups[0].diskSize: 10 is out of range (20 to 16384)"}},
		{"disk without instance type", strings.Replace(base, "instanceType: m5.large, count: 3}", "capacity: {cpu: \"2\", memory: 8Gi}, count: 3, diskSize: 50}", 1),
			[]string{"s.yaml:5:68: cluster.nodeGroups[0]: diskSize needs an instanceType\n  hint: give capacity.ephemeral-storage instead"}},
		{"duplicate node group", base + "    - {name: general, instanceType: m5.large, count: 1}\n",
			[]string{"s.yaml:6:14: duplicate node group name \"general\" (first at line 5)\n  hint: node names are <group>-<i>: each group needs its own name"}},
		{"even etcd members", strings.Replace(base, "cluster:\n", "cluster:\n  controlPlane: {etcdMembers: 4}\n", 1),
			[]string{"s.yaml:4:31: cluster.controlPlane.etcdMembers must be 1, 3 or 5, got 4\n  hint: an even count adds no fault tolerance: 4 members need 3 for quorum and survive 1 failure(s), like 3 members"}},
		{"missing file", base + "workloads:\n  - file: nope.yaml\n",
			[]string{"s.yaml:7:11: workloads[0].file: file \"nope.yaml\" not found\n  hint: the path is relative to the scenario file's directory"}},
		{"escaping path", base + "workloads:\n  - file: ../web.yaml\n  - file: /etc/passwd\n  - file: a/../../web.yaml\n",
			[]string{"s.yaml:7:11: workloads[0].file: path \"../web.yaml\" leaves the scenario's directory\n  hint: keep manifests next to the scenario file or in a folder below it",
				"s.yaml:8:11: workloads[1].file: path \"/etc/passwd\" leaves the scenario's directory\n  hint: keep manifests next to the scenario file or in a folder below it",
				"s.yaml:9:11: workloads[2].file: path \"a/../../web.yaml\" leaves the scenario's directory\n  hint: keep manifests next to the scenario file or in a folder below it"}},
		{"duplicate object", base + "workloads:\n  - file: web.yaml\n  - manifest:\n      " + strings.ReplaceAll(strings.TrimSpace(deployment), "\n", "\n      ") + "\n",
			[]string{"s.yaml:9:7: duplicate Deployment \"default/web\" in workloads (first at web.yaml:1:1)\n  hint: rename one of them, or use an `apply:` timeline action to change it later"}},
		{"unknown node", base + "timeline:\n  - at: 1m\n    fail: {node: general-4}\n",
			[]string{"s.yaml:8:18: fail: no node \"general-4\" in this cluster\n  hint: nodes: general-1..general-3"}},
		{"unknown etcd member", base + "timeline:\n  - at: 1m\n    etcd: {stop: etcd-4}\n",
			[]string{"s.yaml:8:18: etcd: no member \"etcd-4\" (the cluster has 3 etcd members)\n  hint: members: etcd-1..etcd-3"}},
		{"restore without snapshot", base + "timeline:\n  - at: 5m\n    etcd: {snapshot: s1}\n  - at: 1m\n    etcd: {restore: s1}\n",
			[]string{"s.yaml:10:21: etcd.restore: no snapshot \"s1\" was taken before this point\n  hint: take it first with an earlier `etcd: {snapshot: s1}`"}},
		{"no action", base + "timeline:\n  - at: 1m\n",
			[]string{"s.yaml:7:5: timeline[0]: timeline entry has no action\n  hint: add one of: api, apply, cordon, delete, disk, drain, ec2, etcd, exit, fail, kubectl, partition, recover, spot, uncordon"}},
		{"two actions", base + "timeline:\n  - at: 1m\n    cordon: {node: general-1}\n    drain: {node: general-1}\n",
			[]string{"s.yaml:9:5: timeline[0]: timeline entry has 2 actions (cordon, drain); give one action per entry\n  hint: split it into several entries with the same `at:`"}},
		{"invalid object", base + "workloads:\n  - file: mismatch.yaml\n",
			[]string{"mismatch.yaml:1:1: Deployment.apps \"web\" is invalid: spec.template.metadata.labels: Invalid value: {\"app\":\"api\"}: `selector` does not match template `labels`"}},
		{"unknown manifest field", base + "workloads:\n  - file: typo.yaml\n",
			[]string{"typo.yaml:5:3: Deployment \"web\": unknown field \"replica\" in spec\n  hint: did you mean \"replicas\"?"}},
		{"manifest wrong type", base + "workloads:\n  - file: wrongtype.yaml\n",
			[]string{`wrongtype.yaml:5:13: Deployment "web": spec.replicas: expected an integer, got "three"`}},
		{"bad quantity", base + "workloads:\n  - file: badqty.yaml\n",
			[]string{"badqty.yaml:10:76: Deployment \"web\": spec.template.spec.containers[0].resources.requests.cpu: invalid quantity \"1x\"\n  hint: e.g. 500m or 2 for cpu, 128Mi or 1Gi for memory"}},
		{"unknown kind", base + "workloads:\n  - manifest: {apiVersion: apps/v1, kind: Deploymnet}\n",
			[]string{"s.yaml:7:43: unknown kind \"Deploymnet\"\n  hint: did you mean \"Deployment\"?"}},
		{"wrong apiVersion", base + "workloads:\n  - manifest: {apiVersion: v1, kind: Deployment}\n",
			[]string{"s.yaml:7:28: apiVersion \"v1\" does not serve kind Deployment\n  hint: use `apiVersion: apps/v1`"}},
		{"unwrapped manifest", base + "workloads:\n  - {apiVersion: v1, kind: Pod}\n",
			[]string{"s.yaml:7:5: workloads[0]: a Kubernetes object here must be wrapped as `manifest: {...}`\n  hint: indent the object under `manifest:` (or put it in a file and use `file:`)"}},
		{"missing namespace", base + "workloads:\n  - manifest: {apiVersion: v1, kind: ConfigMap, metadata: {name: c, namespace: shop}}\n",
			[]string{"s.yaml:7:15: ConfigMap \"c\": namespace \"shop\" not found\n  hint: add a Namespace before it: {apiVersion: v1, kind: Namespace, metadata: {name: shop}}"}},
		{"yaml syntax", "name: t\ncluster: [\n",
			[]string{"s.yaml:2:1: invalid YAML: did not find expected node content"}},
		{"duplicate key", "name: t\nname: u\n" + base[8:],
			[]string{"s.yaml:2:1: scenario: field \"name\" is given twice (first at line 1)"}},
		{"expectation timing and check", base + "expect:\n  - deploymentReady: {name: web, replicas: 3}\n  - by: 1m\n    at: 2m\n    pending: {count: 0}\n",
			[]string{"s.yaml:7:5: expect[0]: expected exactly one timing: by, at, always, within (with after) or from (with until)\n  hint: `by: 90s` (holds then), `at: 15m`, `within: 5m` with `after: <timeline entry name or action>`, `from: 2m` with optional `until: 10m` (holds throughout) or `always: true`",
				"s.yaml:9:5: expect[1]: expected exactly one timing: by, at, always, within (with after) or from (with until)\n  hint: `by: 90s` (holds then), `at: 15m`, `within: 5m` with `after: <timeline entry name or action>`, `from: 2m` with optional `until: 10m` (holds throughout) or `always: true`"}},
		{"after names nothing", base + "timeline:\n  - at: 2m\n    name: node-down\n    fail: {node: general-1}\nexpect:\n  - within: 5m\n    after: node-dwn\n    nodesReady: {count: 3}\n",
			[]string{"s.yaml:12:12: expect[0]: after: no timeline entry is named \"node-dwn\" and no entry is a \"node-dwn\" action\n  hint: did you mean \"node-down\"?"}},
		{"within past the end", base + "timeline:\n  - at: 8m\n    fail: {node: general-1}\nexpect:\n  - within: 5m\n    after: fail\n    nodesReady: {count: 3}\n",
			[]string{"s.yaml:10:13: expect[0]: within 13m0s ends after the end of the run (duration 10m0s)\n  hint: raise `duration:` or check earlier"}},
		{"two counts", base + "expect:\n  - always: true\n    podsReady: {selector: app=web, count: 3, atLeast: 2}\n",
			[]string{"s.yaml:8:46: expect[0].podsReady: expected exactly one of count, atLeast, atMost\n  hint: `count: 6` (exactly), `atLeast: 4` or `atMost: 0`"}},
		{"nodesReady two bounds", base + "expect:\n  - always: true\n    nodesReady: {atLeast: 2, atMost: 5}\n",
			[]string{"s.yaml:8:30: expect[0].nodesReady: expected exactly one of count, atLeast, atMost\n  hint: `count: 6` (exactly), `atLeast: 4` or `atMost: 0`"}},
		{"fargate selector without namespace", base + "  fargate:\n    profiles: [{name: fp, selectors: [{labels: {tier: jobs}}]}]\n",
			[]string{"s.yaml:7:39: cluster.fargate.profiles[0].selectors[0]: missing required field \"namespace\""}},
		{"fargate profile twice", base + "  fargate:\n    profiles:\n      - {name: fp, selectors: [{namespace: a}]}\n      - {name: fp, selectors: [{namespace: b}]}\n",
			[]string{"s.yaml:9:16: cluster.fargate.profiles[1].name: profile \"fp\" is defined twice\n  hint: give every profile its own name"}},
		{"fargate too many selectors", base + "  fargate:\n    profiles: [{name: fp, selectors: [{namespace: a}, {namespace: b}, {namespace: c}, {namespace: d}, {namespace: e}, {namespace: f}]}]\n",
			[]string{"s.yaml:7:119: cluster.fargate.profiles[0].selectors: 6 selectors, EKS allows at most 5 per profile\n  hint: split them over several profiles"}},
		{"fargate no selectors", base + "  fargate:\n    profiles: [{name: fp}]\n",
			[]string{"s.yaml:7:16: cluster.fargate.profiles[0]: at least one selector is required\n  hint: e.g. `selectors: [{namespace: batch, labels: {tier: jobs}}]`"}},
		{"until without from", base + "expect:\n  - at: 1m\n    until: 2m\n    noPDBViolated: true\n",
			[]string{"s.yaml:8:5: expect[0]: until needs from\n  hint: write `from: 2m` with `until:`"}},
		{"after the end", base + "timeline:\n  - at: 11m\n    kubectl: get pods\n",
			[]string{"s.yaml:7:9: timeline[0]: at 11m0s is after the end of the run (duration 10m0s)\n  hint: raise `duration:` or move the action earlier"}},
		{"unknown zone", base + "timeline:\n  - at: 1m\n    partition: {zone: us-east-1d}\n",
			[]string{"s.yaml:8:23: partition: no zone \"us-east-1d\" in this cluster\n  hint: did you mean \"us-east-1a\"?"}},
		{"eksctl instance type", "name: t\ncluster: {eksctl: eksbad.yaml}\n",
			[]string{"eksbad.yaml:5:19: managedNodeGroups[0].instanceType: unknown instance type \"m5.huge\"\n  hint: did you mean \"m5.large\"?"}},
		{"kubectl typo", base + "timeline:\n  - at: 1m\n    kubectl: scael deployment/web --replicas=2\n",
			[]string{"s.yaml:8:14: kubectl: error: unknown command \"scael\" for \"kubectl\"\n  hint: Did you mean this? scale"}},
		{"kubectl unknown resource type", base + "timeline:\n  - at: 1m\n    kubectl: delete jbo pi\n",
			[]string{"s.yaml:8:14: kubectl: error: the server doesn't have a resource type \"jbo\"\n  hint: did you mean \"job\"?"}},
		{"kubectl unknown node", base + "timeline:\n  - at: 1m\n    kubectl: cordon general-7\n",
			[]string{"s.yaml:8:14: kubectl: no node \"general-7\" in this cluster\n  hint: nodes: general-1..general-3"}},
		{"empty", "", []string{"s.yaml:1:1: empty scenario file\n  hint: start with `name: my-scenario`"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			requireParseErrors(t, tc.in, testFS, tc.want)
		})
	}
}

// requireParseErrors parses src as s.yaml with files and requires it to
// fail with an ErrorList whose errors read want, one a line.
func requireParseErrors(t *testing.T, src string, files fs.FS, want []string) {
	t.Helper()
	_, err := Parse("s.yaml", []byte(src), files)
	require.Error(t, err)
	var list ErrorList
	require.True(t, errors.As(err, &list), "%T: %v", err, err)
	got := make([]string, len(list))
	for i, e := range list {
		got[i] = e.Error()
	}
	require.Equal(t, want, got)
	require.Equal(t, strings.Join(want, "\n"), err.Error())
}

func TestErrorFormat(t *testing.T) {
	e := &Error{File: "a.yaml", Line: 3, Column: 7, Msg: "boom", Hint: "try again"}
	require.Equal(t, "a.yaml:3:7: boom\n  hint: try again", e.Error())
	e.Hint = ""
	require.Equal(t, "a.yaml:3:7: boom", e.Error())
	var target *Error
	require.True(t, errors.As(ErrorList{e}.errOrNil(), &target))
	require.Equal(t, 3, target.Line)
	require.NoError(t, ErrorList(nil).errOrNil())
}

func TestEksctl(t *testing.T) {
	s, err := Parse("s.yaml", []byte("name: t\ncluster: {eksctl: eks.yaml}\n"), testFS)
	require.NoError(t, err)
	require.Equal(t, "eks.yaml", s.Cluster.Eksctl)
	require.Equal(t, []string{"us-west-2a", "us-west-2b"}, s.Cluster.Zones)
	require.Len(t, s.Cluster.NodeGroups, 2)
	ng1, ng2 := s.Cluster.NodeGroups[0], s.Cluster.NodeGroups[1]
	require.Equal(t, NodeGroup{Name: "ng-1", InstanceType: "m5.xlarge", Count: 2, Min: 1, Max: 4, DiskGiB: 50,
		Zones: []string{"us-west-2a", "us-west-2b"}, Labels: map[string]string{"role": "worker"},
		Taints: ng1.Taints}, ng1)
	require.Equal(t, "special", ng1.Taints[0].Key)
	require.Equal(t, NodeGroup{Name: "ng-2", InstanceType: "m5.large", Count: 2, Min: 2, Max: 2, DiskGiB: 80, Zones: []string{"us-west-2b"}}, ng2)
	require.Equal(t, []string{"ng-1-1", "ng-1-2", "ng-2-1", "ng-2-2"}, s.NodeNames())
}

func TestDefaults(t *testing.T) {
	s, err := Parse("s.yaml", []byte(base), nil)
	require.NoError(t, err)
	require.Equal(t, uint64(1), s.Seed)
	require.Equal(t, ControlPlane{APIServers: 2, EtcdMembers: 3}, s.Cluster.ControlPlane)
	require.True(t, s.Cluster.Addons)
	require.Equal(t, DefaultZones, s.Cluster.Zones)
	g := s.Cluster.NodeGroups[0]
	require.Equal(t, 3, g.Min)
	require.Equal(t, 3, g.Max)
	require.Equal(t, []string{"us-east-1a", "us-east-1b", "us-east-1c", "us-east-1a"}, []string{g.ZoneOf(1), g.ZoneOf(2), g.ZoneOf(3), g.ZoneOf(4)})
	require.Equal(t, "s.yaml", s.Path)
}

func TestKubectlApplyFiles(t *testing.T) {
	in := base + "timeline:\n  - at: 1m\n    kubectl: apply -f web.yaml\n"
	s, err := Parse("s.yaml", []byte(in), testFS)
	require.NoError(t, err)
	objs, err := s.ReadManifests("web.yaml")
	require.NoError(t, err)
	require.Len(t, objs, 1)
	require.Equal(t, "web", objs[0].GetName())
	require.Equal(t, "default", objs[0].GetNamespace())
	objs[0].SetName("changed")
	again, err := s.ReadManifests("web.yaml")
	require.NoError(t, err)
	require.Equal(t, "web", again[0].GetName(), "callers get copies")

	// A file no kubectl line named is read on demand, same rules.
	other, err := s.ReadManifests("typo.yaml")
	require.Nil(t, other)
	require.EqualError(t, err, "typo.yaml:5:3: Deployment \"web\": unknown field \"replica\" in spec\n  hint: did you mean \"replicas\"?")
	_, err = s.ReadManifests("../x.yaml")
	require.EqualError(t, err, "kubectl apply -f: path \"../x.yaml\" leaves the scenario's directory")

	_, err = Parse("s.yaml", []byte(base+"timeline:\n  - at: 1m\n    kubectl: apply -f nope.yaml\n"), testFS)
	require.EqualError(t, err, "s.yaml:8:14: kubectl apply -f: file \"nope.yaml\" not found\n  hint: the path is relative to the scenario file's directory")
}

// TestLoadPaths covers Load's file-system rules on a real directory:
// relative manifests load, symlinks pointing outside are refused.
func TestLoadPaths(t *testing.T) {
	dir := t.TempDir()
	outside := t.TempDir()
	write := func(path, data string) {
		require.NoError(t, os.MkdirAll(filepath.Dir(path), 0o755))
		require.NoError(t, os.WriteFile(path, []byte(data), 0o644))
	}
	write(filepath.Join(dir, "m", "web.yaml"), deployment)
	write(filepath.Join(outside, "secret.yaml"), deployment)
	require.NoError(t, os.Symlink(filepath.Join(outside, "secret.yaml"), filepath.Join(dir, "m", "link.yaml")))
	require.NoError(t, os.Symlink("web.yaml", filepath.Join(dir, "m", "inside.yaml")))

	file := filepath.Join(dir, "s.yaml")
	write(file, base+"workloads:\n  - file: m/web.yaml\n")
	s, err := Load(file)
	require.NoError(t, err)
	require.Equal(t, filepath.Join(dir, "m", "web.yaml"), s.Workloads[0].Source)
	require.Equal(t, file, s.Path)
	objs, err := s.ReadManifests("m/web.yaml")
	require.NoError(t, err, "read on demand from the scenario's directory")
	require.Len(t, objs, 1)

	write(file, base+"workloads:\n  - file: m/inside.yaml\n")
	_, err = Load(file)
	require.NoError(t, err, "a symlink within the directory is fine")

	write(file, base+"workloads:\n  - file: m/link.yaml\n")
	_, err = Load(file)
	require.EqualError(t, err, file+":7:11: workloads[0].file: path \"m/link.yaml\" leaves the scenario's directory (through a symlink)\n  hint: keep manifests next to the scenario file or in a folder below it")

	_, err = Load(filepath.Join(dir, "missing.yaml"))
	require.ErrorIs(t, err, os.ErrNotExist)
}

func TestManyErrorsSorted(t *testing.T) {
	in := "name: t\nduration: 1x\ncluster:\n  nodeGroups:\n    - {name: g, instanceType: nope, count: 1}\nexpect:\n  - by: 1m\n    nodesReady: {count: -1}\n"
	_, err := Parse("s.yaml", []byte(in), nil)
	var list ErrorList
	require.True(t, errors.As(err, &list))
	require.Len(t, list, 3)
	for i := 1; i < len(list); i++ {
		require.Less(t, list[i-1].Line, list[i].Line)
	}
}

func TestAutoscaledNodesMayBeNamed(t *testing.T) {
	in := strings.Replace(base, "count: 3}", "count: 3, max: 5}", 1) + "timeline:\n  - at: 1m\n    fail: {node: general-5}\n  - at: 2m\n    fail: {node: general-6}\n"
	_, err := Parse("s.yaml", []byte(in), nil)
	require.EqualError(t, err, "s.yaml:10:18: fail: no node \"general-6\" in this cluster\n  hint: nodes: general-1..general-3")
}

func TestParseManifest(t *testing.T) {
	objs, err := ParseManifest([]byte("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata: {a: b}\n---\napiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec: {containers: [{name: c, image: nginx}]}\n"))
	require.NoError(t, err)
	require.Len(t, objs, 2)
	require.Equal(t, "p", objs[1].Obj.GetName())

	_, err = ParseManifest([]byte("apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec: {containers: [{name: c, imag: nginx}]}\n"))
	require.ErrorContains(t, err, "manifest:4:")
	require.ErrorContains(t, err, "imag")

	_, err = ParseManifest([]byte("  \n"))
	require.ErrorContains(t, err, "manifest holds no objects")
}
