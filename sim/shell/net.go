package shell

import (
	"hash/fnv"
	"maps"
	"path"
	"slices"

	"github.com/kubesim/kubesim/sim/network/netcmd"
)

// The network commands (nslookup, dig, host, wget, curl, nc, ping) are
// sim/network/netcmd's: DNS through the CoreDNS model, connections
// through kube-proxy to ready endpoints under the NetworkPolicies, with
// the real tools' output. They take virtual time (a timeout is waited
// out on the clock) and may write files (wget's index.html).
func init() {
	for _, name := range netcmd.Commands {
		Commands[name] = netCommand
	}
}

func isNetCommand(name string) bool { return slices.Contains(netcmd.Commands, name) }

func netCommand(c *Call) int {
	env := netcmd.Env{State: c.State.Store, Pod: c.Pod(), Container: c.Container().Name, Pick: c.Sh.pick, TTY: c.Sh.tty, Now: c.State.Now}
	res, ok := netcmd.Run(env, c.Args)
	if !ok {
		c.Errorf("%s: not found\n", c.Args[0])
		return 127
	}
	c.Printf("%s", res.Stdout)
	c.Errorf("%s", res.Stderr)
	for _, p := range slices.Sorted(maps.Keys(res.Files)) {
		if msg := c.Sh.writeFile(c.State, c.Abs(p), res.Files[p], false); msg != "" {
			c.Errorf("%s: can't open '%s': %s\n", path.Base(c.Args[0]), p, msg)
		}
	}
	c.Wait = res.Elapsed
	return res.ExitCode
}

// pick chooses a Service endpoint as kube-proxy's random choice would,
// from a sequence of its own (the simulation's streams stay untouched: an
// exec does not change what happens in the cluster).
func (sh *Shell) pick(n int) int {
	if n <= 1 {
		return 0
	}
	sh.picks++
	h := fnv.New64a()
	_, _ = h.Write([]byte(string(sh.pod.UID) + "/" + sh.ctr.Name))
	x := h.Sum64() + uint64(sh.picks)*0x9e3779b97f4a7c15
	x ^= x >> 31
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 29
	return int(x % uint64(n))
}
