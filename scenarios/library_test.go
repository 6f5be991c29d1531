package scenarios

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestLibraryLoads(t *testing.T) {
	lib := Library()
	require.GreaterOrEqual(t, len(lib), 6)
	for _, e := range lib {
		t.Run(e.Name, func(t *testing.T) {
			s, err := LoadLibrary(e.Name)
			require.NoError(t, err)
			require.Equal(t, e.Name, s.Name, "library file name must match the scenario name")
			require.NotEmpty(t, e.Description)
			require.NotEmpty(t, s.Expect)
			require.LessOrEqual(t, s.Duration.Minutes(), 20.0)
		})
	}
}

func TestResolve(t *testing.T) {
	s, err := Resolve("demo")
	require.NoError(t, err)
	require.Equal(t, "demo", s.Name)
	require.Equal(t, "library/demo.yaml", s.Path)

	s, err = Resolve("testdata/golden/full.yaml")
	require.NoError(t, err)
	require.Equal(t, "full-example", s.Name)

	_, err = Resolve("node-falure")
	require.ErrorContains(t, err, `no scenario file or library scenario named "node-falure" (library: ca-insufficient-capacity, ca-scale-down, ca-scale-up, cordon-drain, demo, disk-pressure, diurnal-hpa-ca, diurnal-hpa-karpenter, etcd-backup-restore, etcd-lose-one-member, etcd-lose-quorum, fargate-namespace, karpenter-consolidation, karpenter-spot-interruption, node-failure, rolling-update, unschedulable-pod, zone-outage); did you mean "node-failure"?`)

	_, err = Resolve("missing/file.yaml")
	require.EqualError(t, err, `scenario file "missing/file.yaml" not found`)

	_, err = LoadLibrary("../library/demo")
	require.Error(t, err)

	src, err := LibrarySource("demo")
	require.NoError(t, err)
	require.Contains(t, string(src), "name: demo\n")
	_, err = LibrarySource("library/demo")
	require.Error(t, err)
}

func TestLibraryEntries(t *testing.T) {
	names := LibraryNames()
	require.IsIncreasing(t, names)
	for _, want := range []string{"demo", "node-failure", "rolling-update", "unschedulable-pod", "zone-outage", "cordon-drain"} {
		require.Contains(t, names, want)
	}
}
