package manifests

import (
	"testing"

	"github.com/stretchr/testify/require"
	appsv1 "k8s.io/api/apps/v1"
	"sigs.k8s.io/yaml"
)

func TestWorkload(t *testing.T) {
	var set appsv1.StatefulSet
	src := Workload("StatefulSet", "db", 2, "{name: pg, image: postgres:17}", "serviceName: db",
		"volumeClaimTemplates:", "- metadata: {name: data}")
	require.NoError(t, yaml.UnmarshalStrict([]byte(src), &set), src)
	require.Equal(t, "StatefulSet", set.Kind)
	require.Equal(t, "db", set.Name)
	require.Equal(t, int32(2), *set.Spec.Replicas)
	require.Equal(t, map[string]string{"app": "db"}, set.Spec.Selector.MatchLabels)
	require.Equal(t, map[string]string{"app": "db"}, set.Spec.Template.Labels)
	require.Len(t, set.Spec.Template.Spec.Containers, 1)
	require.Equal(t, "postgres:17", set.Spec.Template.Spec.Containers[0].Image)
	require.Equal(t, "db", set.Spec.ServiceName)
	require.Equal(t, "data", set.Spec.VolumeClaimTemplates[0].Name)
}

// scenarioDoc is what the tests read back of a generated scenario.
type scenarioDoc struct {
	Name     string `json:"name"`
	Seed     int    `json:"seed"`
	Duration string `json:"duration"`
	Cluster  struct {
		Addons     *bool `json:"addons"`
		NodeGroups []struct {
			Name         string `json:"name"`
			InstanceType string `json:"instanceType"`
			Count        int    `json:"count"`
		} `json:"nodeGroups"`
	} `json:"cluster"`
	Workloads []struct {
		Manifest appsv1.Deployment `json:"manifest"`
	} `json:"workloads"`
}

func TestInScenario(t *testing.T) {
	var doc scenarioDoc
	src := "workloads:\n" + InScenario(Deployment("web", 3, "{name: nginx, image: nginx:1.27}"))
	require.NoError(t, yaml.UnmarshalStrict([]byte(src), &doc), src)
	require.Len(t, doc.Workloads, 1)
	require.Equal(t, "web", doc.Workloads[0].Manifest.Name)
	require.Equal(t, int32(3), *doc.Workloads[0].Manifest.Spec.Replicas)
	require.Equal(t, "nginx", doc.Workloads[0].Manifest.Spec.Template.Spec.Containers[0].Name)
}

func TestScaleScenario(t *testing.T) {
	var doc scenarioDoc
	src := ScaleScenario("scale", 10, 3, 7)
	require.NoError(t, yaml.UnmarshalStrict([]byte(src), &doc), src)
	require.Equal(t, "scale", doc.Name)
	require.Equal(t, 10, doc.Cluster.NodeGroups[0].Count)
	require.Len(t, doc.Workloads, 3)
	require.Equal(t, "app-2", doc.Workloads[2].Manifest.Name)
	require.Equal(t, int32(7), *doc.Workloads[2].Manifest.Spec.Replicas)
}

func TestSmallCluster(t *testing.T) {
	var doc scenarioDoc
	src := SmallCluster("small") + "workloads:\n" + InScenario(Deployment("web", 2, "{name: nginx, image: nginx:1.27}"))
	require.NoError(t, yaml.UnmarshalStrict([]byte(src), &doc), src)
	require.Equal(t, "small", doc.Name)
	require.Equal(t, 3, doc.Seed)
	require.Equal(t, "30m", doc.Duration)
	require.Nil(t, doc.Cluster.Addons, "the add-ons are on")
	require.Len(t, doc.Cluster.NodeGroups, 1)
	require.Equal(t, "m5.large", doc.Cluster.NodeGroups[0].InstanceType)
	require.Equal(t, 3, doc.Cluster.NodeGroups[0].Count)
	require.Equal(t, "web", doc.Workloads[0].Manifest.Name)
}
