// Package manifests writes the YAML of small workloads and scenarios:
// what the tests of several packages run and what the benchmark
// generates. It imports nothing of the simulator, so any package can use
// it.
package manifests

import (
	"fmt"
	"strings"
)

// Deployment is the manifest of a Deployment called name with replicas
// pods labelled app=<name>, each running the one container given as a
// YAML flow mapping, e.g. `{name: nginx, image: nginx:1.27}`.
func Deployment(name string, replicas int, container string) string {
	return Workload("Deployment", name, replicas, container)
}

// Workload is the manifest of a workload of kind (Deployment,
// StatefulSet, ...) called name with replicas pods labelled app=<name>,
// each running the one container given as a YAML flow mapping; spec adds
// fields to the workload's spec, one YAML line each (e.g.
// "serviceName: web"), written after the pod template.
func Workload(kind, name string, replicas int, container string, spec ...string) string {
	var b strings.Builder
	fmt.Fprintf(&b, `apiVersion: apps/v1
kind: %[1]s
metadata: {name: %[2]s}
spec:
  replicas: %[3]d
  selector: {matchLabels: {app: %[2]s}}
  template:
    metadata: {labels: {app: %[2]s}}
    spec:
      containers:
      - %[4]s
`, kind, name, replicas, container)
	for _, l := range spec {
		b.WriteString("  " + l + "\n")
	}
	return b.String()
}

// ReplicationController is the manifest of a v1 ReplicationController
// called name with replicas pods labelled app=<name>, each running the
// one container given as a YAML flow mapping. It gives no selector: the
// API server defaults it to the template's labels.
func ReplicationController(name string, replicas int, container string) string {
	return fmt.Sprintf(`apiVersion: v1
kind: ReplicationController
metadata: {name: %[1]s}
spec:
  replicas: %[2]d
  template:
    metadata: {labels: {app: %[1]s}}
    spec:
      containers:
      - %[3]s
`, name, replicas, container)
}

// InScenario is manifest as an entry of a scenario's workloads list:
// "  - manifest:" and the manifest indented under it.
func InScenario(manifest string) string {
	var b strings.Builder
	b.WriteString("  - manifest:\n")
	for _, l := range strings.SplitAfter(strings.TrimSuffix(manifest, "\n"), "\n") {
		b.WriteString("      " + l)
	}
	b.WriteString("\n")
	return b.String()
}

// SmallCluster is the header of a scenario called name on a small cluster
// with the add-ons: three m5.large nodes, seed 3, 30 minutes (the API
// server's and the web page's end-to-end tests run on it). Workloads
// follow it.
func SmallCluster(name string) string {
	return "name: " + name + `
seed: 3
duration: 30m
cluster:
  nodeGroups:
    - name: general
      instanceType: m5.large
      count: 3
`
}

// ScaleScenario is a scenario called name of nodes m5.4xlarge nodes (no
// add-ons) running deployments Deployments app-0, app-1, ... of replicas
// pods of 100m/128Mi each: the big cluster the live session's benchmarks
// and the web page's scale test measure.
func ScaleScenario(name string, nodes, deployments, replicas int) string {
	var b strings.Builder
	fmt.Fprintf(&b, "name: %s\nseed: 1\nduration: 2h\ncluster:\n  addons: false\n  nodeGroups:\n    - {name: general, instanceType: m5.4xlarge, count: %d}\nworkloads:\n", name, nodes)
	for i := range deployments {
		b.WriteString(InScenario(Deployment(fmt.Sprintf("app-%d", i), replicas,
			"{name: c, image: nginx:1.27, resources: {requests: {cpu: 100m, memory: 128Mi}}}")))
	}
	return b.String()
}
