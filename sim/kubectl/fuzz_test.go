package kubectl

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// FuzzParse checks that no command line makes Parse or Run panic, that
// every error is worded with a kubectl prefix, and that whatever parses
// also runs against a small cluster without panicking.
func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"scale deployment/web --replicas=6",
		"kubectl drain general-1 --ignore-daemonsets --timeout=30s",
		"taint nodes n1 a=b:NoSchedule c- --overwrite",
		`annotate pod x "k=v w"`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, line string) {
		c, err := Parse(line)
		if err != nil {
			require.Nil(t, c)
			var ke *Error
			require.True(t, errors.As(err, &ke), "%T", err)
			require.True(t, strings.HasPrefix(err.Error(), "error: "), err.Error())
			return
		}
		require.NotEmpty(t, c.Verb)
		fx := newFixture(t)
		fx.node("n1")
		fx.deployment("web", 1)
		fx.pod("web-1", podOpts{node: "n1", ownerKind: "ReplicaSet", ownerName: "rs", ready: true})
		fx.env.Rollback = func(string, string, int64) error { return nil }
		_, err = c.Run(fx.env)
		if err != nil {
			require.NotEmpty(t, err.Error())
		}
		fx.Engine.RunUntil(time.Minute)
	})
}
