package netcmd

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// The option readers of nc, ping and wget complain in busybox's words.
func TestBusyboxOptionErrors(t *testing.T) {
	for _, tc := range []struct {
		argv []string
		want string
	}{
		{[]string{"nc", "-zv", "-w"}, "nc: option requires an argument -- 'w'\n"},
		{[]string{"nc", "-w", "x", "web", "80"}, "nc: invalid number 'x'\n"},
		{[]string{"nc", "-zZ", "web", "80"}, "nc: invalid option -- 'Z'\n"},
		{[]string{"ping", "-c-1", "web"}, "ping: invalid number '-1'\n"},
		{[]string{"ping", "-qx", "web"}, "ping: invalid option -- 'x'\n"},
		{[]string{"wget", "-qT"}, "wget: option requires an argument -- 'T'\n"},
		{[]string{"wget", "--timeout=x", "http://web"}, "wget: invalid number 'x'\n"},
		{[]string{"wget", "--timeout"}, "wget: option '--timeout' requires an argument\n"},
		{[]string{"wget", "--bogus", "http://web"}, "wget: unrecognized option '--bogus'\n"},
		{[]string{"wget", "-qZ", "http://web"}, "wget: invalid option -- 'Z'\n"},
	} {
		var res Result
		switch tc.argv[0] {
		case "nc":
			res = nc(Env{}, tc.argv[1:], flavour{})
		case "ping":
			res = ping(Env{}, tc.argv[1:])
		case "wget":
			_, res.Stderr = parseWget(tc.argv[1:])
		}
		require.Equal(t, tc.want, res.Stderr, "%q", tc.argv)
	}
	o, msg := parseWget([]string{"-qSO-", "-T", "5", "--spider", "--", "-x"})
	require.Empty(t, msg)
	require.Equal(t, wgetOpts{quiet: true, spider: true, serverResp: true, out: "-", outSet: true, timeout: 5, urls: []string{"-x"}}, o)
}
