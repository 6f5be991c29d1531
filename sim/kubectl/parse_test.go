package kubectl

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestParseGood(t *testing.T) {
	tests := []struct {
		line  string
		check func(t *testing.T, c *Command)
	}{
		{"kubectl scale deployment/web --replicas=6", func(t *testing.T, c *Command) {
			require.Equal(t, Scale, c.Verb)
			require.Equal(t, []Target{{"Deployment", "web"}}, c.Targets)
			require.EqualValues(t, 6, c.Replicas)
			require.EqualValues(t, -1, c.CurrentReplicas)
		}},
		{"scale deploy web --replicas 0 -n prod", func(t *testing.T, c *Command) {
			require.Equal(t, []Target{{"Deployment", "web"}}, c.Targets)
			require.EqualValues(t, 0, c.Replicas)
			require.Equal(t, "prod", c.Namespace)
		}},
		{"-n=prod scale rs/a sts/b --replicas=2 --current-replicas=3", func(t *testing.T, c *Command) {
			require.Equal(t, []Target{{"ReplicaSet", "a"}, {"StatefulSet", "b"}}, c.Targets)
			require.EqualValues(t, 3, c.CurrentReplicas)
			require.Equal(t, "prod", c.Namespace)
		}},
		{"scale deployments.apps/web --replicas=1", func(t *testing.T, c *Command) {
			require.Equal(t, "Deployment", c.Targets[0].Kind)
		}},
		{"apply -f manifests/web.yaml", func(t *testing.T, c *Command) {
			require.Equal(t, Apply, c.Verb)
			require.Equal(t, []string{"manifests/web.yaml"}, c.Files)
		}},
		{"apply --filename=a.yaml -f b.yaml", func(t *testing.T, c *Command) {
			require.Equal(t, []string{"a.yaml", "b.yaml"}, c.Files)
		}},
		{"delete po web-1 web-2 --grace-period=10", func(t *testing.T, c *Command) {
			require.Equal(t, []Target{{"Pod", "web-1"}, {"Pod", "web-2"}}, c.Targets)
			require.EqualValues(t, 10, c.GracePeriod)
		}},
		{"delete pods -l app=web --force", func(t *testing.T, c *Command) {
			require.Equal(t, "Pod", c.Kind)
			require.Equal(t, "app=web", c.Selector)
			require.True(t, c.Force)
			require.EqualValues(t, 0, c.GracePeriod, "--force alone means grace 0")
		}},
		{"delete pod x --now", func(t *testing.T, c *Command) { require.EqualValues(t, 1, c.GracePeriod) }},
		{"delete pod x --grace-period=0", func(t *testing.T, c *Command) {
			require.EqualValues(t, 1, c.GracePeriod, "grace 0 without --force becomes 1")
		}},
		{"delete pod/a deploy/b svc/c", func(t *testing.T, c *Command) {
			require.Equal(t, []Target{{"Pod", "a"}, {"Deployment", "b"}, {"Service", "c"}}, c.Targets)
		}},
		{"cordon general-1", func(t *testing.T, c *Command) {
			require.Equal(t, Cordon, c.Verb)
			require.Equal(t, []Target{{"Node", "general-1"}}, c.Targets)
		}},
		{"uncordon node/general-1", func(t *testing.T, c *Command) {
			require.Equal(t, []Target{{"Node", "general-1"}}, c.Targets)
		}},
		{"drain general-1 --ignore-daemonsets --delete-emptydir-data --force --grace-period=5 --timeout=2m --disable-eviction", func(t *testing.T, c *Command) {
			require.True(t, c.IgnoreDaemonSets && c.DeleteEmptyDirData && c.Force && c.DisableEviction)
			require.EqualValues(t, 5, c.GracePeriod)
			require.Equal(t, 2*time.Minute, c.Timeout)
		}},
		{"taint nodes general-1 dedicated=batch:NoSchedule gpu:NoExecute old- spot=true:PreferNoSchedule- --overwrite", func(t *testing.T, c *Command) {
			require.Equal(t, []Target{{"Node", "general-1"}}, c.Targets)
			require.True(t, c.Overwrite)
			require.Equal(t, []TaintSpec{
				{Key: "dedicated", Value: "batch", Effect: "NoSchedule"},
				{Key: "gpu", Effect: "NoExecute"},
				{Key: "old", Remove: true},
				{Key: "spot", Effect: "PreferNoSchedule", Remove: true},
			}, c.Taints)
		}},
		{"taint no/n1 a=b:NoSchedule", func(t *testing.T, c *Command) {
			require.Equal(t, []Target{{"Node", "n1"}}, c.Targets)
		}},
		{"label pods web-1 tier=front env- --overwrite", func(t *testing.T, c *Command) {
			require.Equal(t, []MetaUpdate{{Key: "tier", Value: "front"}, {Key: "env", Remove: true}}, c.Updates)
			require.True(t, c.Overwrite)
		}},
		{`annotate deploy/web 'note=two words' "x.io/y=a\"b"`, func(t *testing.T, c *Command) {
			require.Equal(t, []MetaUpdate{{Key: "note", Value: "two words"}, {Key: "x.io/y", Value: `a"b`}}, c.Updates)
			require.Equal(t, []Target{{"Deployment", "web"}}, c.Targets)
		}},
		{"rollout undo deployment/web --to-revision=2", func(t *testing.T, c *Command) {
			require.Equal(t, RolloutUndo, c.Verb)
			require.EqualValues(t, 2, c.ToRevision)
		}},
		{"rollout restart deploy web", func(t *testing.T, c *Command) {
			require.Equal(t, RolloutRestart, c.Verb)
			require.Equal(t, []Target{{"Deployment", "web"}}, c.Targets)
		}},
		{"set image deployment/web web=nginx:1.25 sidecar=envoy:v2", func(t *testing.T, c *Command) {
			require.Equal(t, []ContainerImage{{"web", "nginx:1.25"}, {"sidecar", "envoy:v2"}}, c.Images)
		}},
		{"create deployment web --image=nginx:1.25 --replicas=3 --port=80", func(t *testing.T, c *Command) {
			require.Equal(t, CreateDeployment, c.Verb)
			require.Equal(t, "web", c.Name)
			require.Equal(t, []string{"nginx:1.25"}, c.Image)
			require.EqualValues(t, 3, c.Replicas)
			require.EqualValues(t, 80, c.Port)
		}},
		{"create deploy web --image=nginx -r 2", func(t *testing.T, c *Command) { require.EqualValues(t, 2, c.Replicas) }},
		{"expose deployment web --port=80 --target-port=8080 --name=web-svc", func(t *testing.T, c *Command) {
			require.EqualValues(t, 80, c.Port)
			require.Equal(t, "8080", c.TargetPort)
			require.Equal(t, "web-svc", c.Service)
		}},
		{"run debug --image=busybox --restart=Never", func(t *testing.T, c *Command) {
			require.Equal(t, "debug", c.Name)
			require.Equal(t, "Never", c.Restart)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.line, func(t *testing.T) {
			c, err := Parse(tt.line)
			require.NoError(t, err)
			require.Equal(t, tt.line, c.Line)
			tt.check(t, c)
		})
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct{ line, want string }{
		{"kubectl scal deploy/web", "error: unknown command \"scal\" for \"kubectl\"\n\nDid you mean this?\n\tscale"},
		{"scale deploy/web", `error: required flag(s) "replicas" not set`},
		{"scale deploy/web --replica=3", "error: unknown flag: --replica"},
		{"scale deploy/web -r 3", "error: unknown shorthand flag: 'r' in -r"},
		{"scale deploy/web --replicas=abc", `error: invalid argument "abc" for "--replicas" flag: strconv.ParseInt: parsing "abc": invalid syntax`},
		{"scale deploy/web --replicas=-1", "error: The --replicas=COUNT flag is required, and COUNT must be greater than or equal to 0"},
		{"scale --replicas=3", errNoResources.Error()},
		{"scale deploy --replicas=3", "error: resource(s) were provided, but no name was specified"},
		{"scale deploy deploy/web --replicas=3", errTypeAndSlash.Error()},
		{"scale foo/web --replicas=3", `error: the server doesn't have a resource type "foo"`},
		{"scale deploy/web --replicas", "error: flag needs an argument: --replicas"},
		{"delete -l", "error: flag needs an argument: 'l' in -l"},
		{"delete pod a -l x=y", "error: name cannot be provided when a selector is specified"},
		{"delete pod x --now --grace-period=5", "error: --now and --grace-period cannot be specified together"},
		{"delete pod x --force=maybe", `error: invalid argument "maybe" for "--force" flag: strconv.ParseBool: parsing "maybe": invalid syntax`},
		{"apply", "error: must specify one of -f and -k"},
		{"cordon", "error: USAGE: cordon NODE [flags]"},
		{"drain", "error: USAGE: drain NODE [flags]"},
		{"drain n1 --timeout=abc", `error: invalid argument "abc" for "--timeout" flag: time: invalid duration "abc"`},
		{"cordon --foo", "error: unknown flag: --foo"},
		{"taint nodes n1", "error: at least one taint update is required"},
		{"taint nodes n1 key=val:Bad", "error: invalid taint effect: Bad, unsupported taint effect"},
		{"taint nodes n1 k=v:NoSchedule k=w:NoSchedule", "error: duplicated taints with the same key and effect: {k w NoSchedule <nil>}"},
		{"taint pods x a=b:NoSchedule", "error: invalid resource type pods, only node types are supported"},
		{"label pods x", "error: at least one label update is required"},
		{"label pods x a=b=c", "error: invalid label spec: a=b=c"},
		{"label pods x a=b a-", "error: can not both modify and remove a label in the same command"},
		{"annotate pods x", "error: at least one annotation update is required"},
		{"rollout undo", "error: required resource not specified"},
		{"rollout restart", "error: required resource not specified"},
		{"rollout undo deploy/web --to-revision=x", `error: invalid argument "x" for "--to-revision" flag: strconv.ParseInt: parsing "x": invalid syntax`},
		{"rollout foo deploy/x", `error: unknown command "foo deploy/x"`},
		{"set foo", `error: unknown command "foo"`},
		{"create foo", "error: Unexpected args: [foo]"},
		{"create deployment web", `error: required flag(s) "image" not set`},
		{"create deployment web --image=nginx --replicas=x", `error: invalid argument "x" for "-r, --replicas" flag: strconv.ParseInt: parsing "x": invalid syntax`},
		{"run x", `error: required flag(s) "image" not set`},
		{"run x --image=nginx --port=x", `error: strconv.Atoi: parsing "x": invalid syntax`},
		{"-n", "error: flag needs an argument: 'n' in -n"},
		{"scale deploy/web --replicas=1 'unterminated", "error: unterminated ' quote in command line"},
		{"", "error: a command is required, one of: annotate, apply, cordon, create, delete, drain, expose, label, rollout, run, scale, set, taint, uncordon"},
		{"get pods", `error: "kubectl get" is not supported in the simulator; supported commands: annotate, apply, cordon, create, delete, drain, expose, label, rollout, run, scale, set, taint, uncordon`},
		{"rollout", `error: "kubectl rollout" requires a sub-command, one of: restart, undo`},
		{"drian n1", "error: unknown command \"drian\" for \"kubectl\"\n\nDid you mean this?\n\tdrain"},
	}
	for _, tt := range tests {
		t.Run(tt.line, func(t *testing.T) {
			c, err := Parse(tt.line)
			require.Nil(t, c)
			require.EqualError(t, err, tt.want)
		})
	}
}

func TestSplitWords(t *testing.T) {
	tests := []struct {
		in   string
		want []string
	}{
		{`a  b	c`, []string{"a", "b", "c"}},
		{`a 'b c' "d e"`, []string{"a", "b c", "d e"}},
		{`a\ b "x\"y" 'p\q'`, []string{"a b", `x"y`, `p\q`}},
		{`k=""`, []string{"k="}},
		{`''`, []string{""}},
	}
	for _, tt := range tests {
		got, err := SplitWords(tt.in)
		require.NoError(t, err)
		require.Equal(t, tt.want, got, tt.in)
	}
}
