package runner_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/kubesim/kubesim/scenarios"
)

var reachableScenario = clusterYAML("reachable", "4m", 2, true) + `workloads:
` + deploymentYAML("db", 1, `{name: redis, image: "redis:7"}`) + `
  - manifest:
      apiVersion: v1
      kind: Service
      metadata: {name: db}
      spec: {selector: {app: db}, ports: [{port: 6379}]}
` + deploymentYAML("api", 2, `{name: api, image: "busybox:1.37", command: [sleep, infinity]}`) + `
` + deploymentYAML("web", 1, `{name: web, image: "busybox:1.37", command: [sleep, infinity]}`) + `
  - manifest:
      apiVersion: networking.k8s.io/v1
      kind: NetworkPolicy
      metadata: {name: db-from-api}
      spec:
        podSelector: {matchLabels: {app: db}}
        ingress: [{from: [{podSelector: {matchLabels: {app: api}}}], ports: [{port: 6379}]}]
timeline:
  - at: 2m
    kubectl: scale deployment/db --replicas=0
expect:
  - by: 90s
    reachable: {from: app=api, to: "db:6379"}
  - by: 90s
    reachable: {from: app=web, to: "db.default.svc.cluster.local:6379", blocked: true}
  - by: 90s
    reachable: {from: app=api, to: "db:6380"}
  - at: 3m
    reachable: {from: app=api, to: "db:6379", blocked: true}
  - by: 90s
    reachable: {from: app=nobody, to: "db:6379"}
`

// TestReachableExpectation: reachable checks judged by the network
// model: the api pods reach the db Service through the policy, the web
// pods are dropped, a port the Service lacks fails with the reason, a
// scaled-to-zero Service is blocked, and a selector matching nothing
// fails saying so.
func TestReachableExpectation(t *testing.T) {
	v := verdicts(runYAML(t, reachableScenario))
	require.True(t, v[0].Passed, v[0].Message)
	require.True(t, v[1].Passed, v[1].Message)
	require.False(t, v[2].Passed)
	require.Contains(t, v[2].Message, "timed out (Service default/db has no port 6380/TCP")
	require.True(t, v[3].Passed, v[3].Message)
	require.False(t, v[4].Passed)
	require.Contains(t, v[4].Message, "no running pod matches app=nobody in default")
}

func TestReachableParseErrors(t *testing.T) {
	for _, tc := range []struct{ check, want string }{
		{`{from: app=api, to: db}`, `t.yaml:7:36: expect[0].reachable.to: "db" is not HOST:PORT`},
		{`{from: app=api, to: "db:0"}`, `expect[0].reachable.to: "db:0" is not HOST:PORT`},
		{`{to: "db:80"}`, `missing required field "from"`},
		{`{from: app=api, to: "db:80", protocol: ICMP}`, `expect[0].reachable.protocol: unsupported protocol "ICMP"`},
		{`{from: "app in (", to: "db:80"}`, `expect[0].reachable.from:`},
	} {
		src := "name: x\nduration: 1m\ncluster:\n  nodeGroups: [{name: g, instanceType: m5.large, count: 1}]\nexpect:\n  - by: 1m\n    reachable: " + tc.check + "\n"
		_, err := scenarios.Parse("t.yaml", []byte(src), nil)
		require.Error(t, err, tc.check)
		require.Contains(t, err.Error(), tc.want)
	}
}
