package kubectl

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/kubesim/kubesim/sim/store"
	"github.com/kubesim/kubesim/sim/store/storetest"
)

func sampleOf(t *testing.T, info *store.KindInfo) store.Object {
	t.Helper()
	obj, err := storetest.Sample(info.Kind)
	require.NoError(t, err)
	return obj
}

// verbsFor lists the scenario kubectl commands that apply to a kind, each
// as a command line over one spelling of the type (a short name, the
// plural, the singular, the group-qualified name), and a check of its
// effect on the stored object.
type kindVerb struct {
	line  string
	check func(t *testing.T, f *fixture, info *store.KindInfo)
}

func verbsFor(info *store.KindInfo) []kindVerb {
	ns := ""
	if info.Namespaced {
		ns = " -n default"
	}
	spell := append(info.Names(), info.Kind)
	if g := info.GroupVersion.Group; g != "" {
		spell = append(spell, info.Resource+"."+g)
	}
	pick := func(i int) string { return spell[i%len(spell)] }
	stored := func(t *testing.T, f *fixture, info *store.KindInfo) store.Object {
		o, ok := f.Store.Get(info.Kind, map[bool]string{true: "default"}[info.Namespaced], "sample")
		require.True(t, ok, "%s/sample is gone", info.Kind)
		return o
	}
	vs := []kindVerb{
		{fmt.Sprintf("label %s sample tier=gold%s", pick(0), ns), func(t *testing.T, f *fixture, info *store.KindInfo) {
			require.Equal(t, "gold", stored(t, f, info).GetLabels()["tier"])
		}},
		{fmt.Sprintf("annotate %s/sample note=hi%s", pick(1), ns), func(t *testing.T, f *fixture, info *store.KindInfo) {
			require.Equal(t, "hi", stored(t, f, info).GetAnnotations()["note"])
		}},
		{fmt.Sprintf("label %s sample tier-%s", pick(2), ns), func(t *testing.T, f *fixture, info *store.KindInfo) {
			require.NotContains(t, stored(t, f, info).GetLabels(), "tier")
		}},
	}
	if info.HasSubresource("scale") {
		vs = append(vs, kindVerb{fmt.Sprintf("scale %s/sample --replicas=3%s", pick(3), ns), func(t *testing.T, f *fixture, info *store.KindInfo) {
			require.Equal(t, int32(3), replicasOf(stored(t, f, info)))
		}})
	}
	if slices.Contains(restartableKinds, info.Kind) {
		vs = append(vs, kindVerb{fmt.Sprintf("rollout restart %s/sample%s", pick(4), ns), func(t *testing.T, f *fixture, info *store.KindInfo) {
			require.NotEmpty(t, restartTemplateOf(stored(t, f, info)).Annotations[RestartedAtAnnotation])
		}})
	}
	if sample, _ := storetest.Sample(info.Kind); podSpecOf(sample) != nil {
		vs = append(vs, kindVerb{fmt.Sprintf("set image %s/sample c=busybox:1.37%s", pick(5), ns), func(t *testing.T, f *fixture, info *store.KindInfo) {
			require.Equal(t, "busybox:1.37", podSpecOf(stored(t, f, info)).Containers[0].Image)
		}})
	}
	if slices.Contains(exposableKinds, info.Kind) {
		vs = append(vs, kindVerb{fmt.Sprintf("expose %s/sample --port=80 --name=sample-exposed%s", pick(6), ns), func(t *testing.T, f *fixture, info *store.KindInfo) {
			_, ok := f.Store.Get("Service", "default", "sample-exposed")
			require.True(t, ok, "the Service exposing %s/sample", info.Kind)
		}})
	}
	if info.Kind == "Node" {
		for _, l := range []string{"cordon sample", "uncordon sample", "taint nodes sample k=v:NoSchedule", "drain sample --ignore-daemonsets"} {
			vs = append(vs, kindVerb{l, func(t *testing.T, f *fixture, info *store.KindInfo) { stored(t, f, info) }})
		}
	}
	vs = append(vs, kindVerb{fmt.Sprintf("delete %s sample%s", pick(len(spell)-1), ns), func(t *testing.T, f *fixture, info *store.KindInfo) {
		ns := map[bool]string{true: "default"}[info.Namespaced]
		if o, ok := f.Store.Get(info.Kind, ns, "sample"); ok {
			require.NotNil(t, o.GetDeletionTimestamp(), "%s/sample neither deleted nor terminating", info.Kind)
		}
	}})
	return vs
}

// TestEveryKindEveryVerb runs every command of the scenario kubectl subset
// that applies to a kind, for every kind of the store's kind table: apply
// from a file, label, annotate, scale where the kind has a scale
// subresource, rollout restart, set image and expose for the kinds they
// work on, the node commands for Nodes, and delete, with the type
// spelled each way kubectl accepts it.
func TestEveryKindEveryVerb(t *testing.T) {
	for _, kind := range store.Kinds() {
		info, _ := store.LookupKind(kind)
		t.Run(kind, func(t *testing.T) {
			f := newFixture(t)
			sample := sampleOf(t, info)
			f.files["sample.yaml"] = []store.Object{sample}
			out, err := f.run("apply -f sample.yaml")
			require.NoError(t, err)
			require.Contains(t, out, "/sample created")
			for _, v := range verbsFor(info) {
				_, err := f.run(v.line)
				require.NoError(t, err, v.line)
				v.check(t, f, info)
			}
		})
	}
}

// TestDeleteJobByName is the reproduction of `kubectl: delete job pi` in a
// scenario timeline, refused with `the server doesn't have a resource type
// "job"` although the API server serves Jobs.
func TestDeleteJobByName(t *testing.T) {
	f := newFixture(t)
	job := sampleOf(t, mustKind(t, "Job"))
	job.SetName("pi")
	f.create(job)
	out, err := f.run("delete job pi")
	require.NoError(t, err)
	require.Equal(t, `job.batch "pi" deleted`, strings.TrimSpace(out))
}

func TestUnknownResourceType(t *testing.T) {
	_, err := Parse("delete widget w")
	require.EqualError(t, err, `error: the server doesn't have a resource type "widget"`)
}

func mustKind(t *testing.T, kind string) *store.KindInfo {
	info, ok := store.LookupKind(kind)
	require.True(t, ok, kind)
	return info
}
