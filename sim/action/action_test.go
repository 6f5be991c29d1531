package action_test

import (
	"slices"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/kubesim/kubesim/sim/action"
)

type unregistered struct{}

func (unregistered) ActionName() string { return "fail" }

// probe is an action type no entry registers.
type probe struct{}

func (*probe) ActionName() string { return "probe" }

func TestRegistryRefusesWhatItDoesNotKnow(t *testing.T) {
	names := action.Names()
	require.True(t, slices.IsSorted(names))
	for _, n := range []string{"api", "apply", "cordon", "delete", "drain", "etcd", "fail", "kubectl", "partition", "recover", "uncordon"} {
		require.Contains(t, names, n)
		require.True(t, action.Known(n))
		require.NotEmpty(t, action.Example(n), n)
	}
	require.False(t, action.Known("explode"))

	_, err := action.Write(unregistered{})
	require.ErrorContains(t, err, "not a registered action", "the name alone does not make an action")
	_, err = action.Write((*action.Fail)(nil))
	require.ErrorContains(t, err, "no action")
	require.NotNil(t, action.Validate(nil, &action.World{}))
	require.Panics(t, func() {
		action.Register(action.Entry[*action.Fail]{})
	}, "a second entry for a name")
	run, write := func(*action.Env, *probe) {}, func(*probe) (any, error) { return nil, nil }
	parseFields := func(action.Decoder, *action.Fields) (*probe, bool) { return nil, false }
	for name, e := range map[string]action.Entry[*probe]{
		"no parse":               {Run: run, Write: write},
		"fields without a parse": {Fields: []string{"node"}, Run: run, Write: write},
		"a parse without fields": {ParseFields: parseFields, Run: run, Write: write},
	} {
		require.Panics(t, func() { action.Register(e) }, name)
	}
	require.False(t, action.Known("probe"))
}

// TestValidateAgainstTheWorld: the checks the loader and the live session
// share, including snapshots seen in order.
func TestValidateAgainstTheWorld(t *testing.T) {
	w := &action.World{Nodes: map[string]bool{"general-1": true}, NodeHint: "nodes: general-1",
		EtcdMembers: []string{"etcd-1", "etcd-2", "etcd-3"}, Zones: []string{"us-east-1a", "us-east-1b"}}
	for _, tc := range []struct {
		a          action.Action
		msg, field string
	}{
		{&action.Fail{Node: "general-1"}, "", ""},
		{&action.Drain{Node: "general-2"}, `drain: no node "general-2" in this cluster`, "node"},
		{&action.Kubectl{Line: "cordon general-9"}, `kubectl: no node "general-9" in this cluster`, ""},
		{&action.Kubectl{Line: "scale deployment/web --replicas=2"}, "", ""},
		{&action.Partition{Zone: "us-east-1c"}, `partition: no zone "us-east-1c" in this cluster`, "zone"},
		{&action.Etcd{Op: "stop", Arg: "etcd-4"}, `etcd: no member "etcd-4" (the cluster has 3 etcd members)`, "stop"},
		{&action.Etcd{Op: "restore", Arg: "s1"}, `etcd.restore: no snapshot "s1" was taken before this point`, "restore"},
		{&action.Etcd{Op: "snapshot", Arg: "s1"}, "", ""},
		{&action.Etcd{Op: "restore", Arg: "s1"}, "", ""},
		{&action.Delete{Kind: "Pod", Name: "p"}, "", ""},
	} {
		p := action.Validate(tc.a, w)
		if tc.msg == "" {
			require.Nil(t, p, "%#v", tc.a)
			continue
		}
		require.NotNil(t, p, "%#v", tc.a)
		require.Equal(t, tc.msg, p.Msg)
		require.Equal(t, tc.field, p.Field)
		require.NotEmpty(t, p.Hint)
	}
}
