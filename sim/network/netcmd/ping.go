package netcmd

import (
	"fmt"
	"strings"
	"time"

	"github.com/kubesim/kubesim/sim/network"
)

// ping is busybox ping. Without -c it would run until interrupted; the
// model stops after 4 packets, as `ping -c 4` does.
func ping(env Env, args []string) Result {
	packets, quiet := 4, false
	wait := 10
	pos, msg := shortOptions("ping", args, "cWwsitI", func(c byte, v string) (bool, string) {
		var n int
		var msg string
		switch c {
		case 'q':
			quiet = true
		case 'c':
			packets, msg = count("ping", v)
		case 'W':
			wait, msg = count("ping", v)
		case 'w':
			n, msg = count("ping", v)
			packets = max(n, 1)
		case '4', 'n', 's', 'i', 't', 'I':
		default:
			return false, ""
		}
		return true, msg
	})
	if msg != "" {
		return Result{Stderr: msg, ExitCode: 1}
	}
	if len(pos) != 1 {
		return Result{Stderr: "BusyBox v1.37.0 (2024-09-26 21:31:42 UTC) multi-call binary.\n\nUsage: ping [OPTIONS] HOST\n", ExitCode: 1}
	}
	if packets == 0 {
		packets = 4
	}
	host := pos[0]
	var res Result
	r := resolveVia(env, host, "")
	res.Elapsed += r.elapsed
	if len(r.Addrs) == 0 {
		res.Stderr, res.ExitCode = fmt.Sprintf("ping: bad address '%s'\n", host), 1
		return res
	}
	addr := r.Addrs[0]
	c := network.Echo(env.State, env.Pod, addr)
	var out strings.Builder
	fmt.Fprintf(&out, "PING %s (%s): 56 data bytes\n", host, addr)
	received := 0
	ttl := 64
	if c.Backend != nil && c.Backend != env.Pod {
		ttl = 63
		if c.Backend.Spec.NodeName != env.Pod.Spec.NodeName {
			ttl = 62
		}
	}
	times := []float64{}
	if c.Outcome == network.Connected {
		for i := 0; i < packets; i++ {
			t := 0.060 + 0.011*float64((i*7)%5)
			if ttl == 62 {
				t += 0.35
			}
			times = append(times, t)
			if !quiet {
				fmt.Fprintf(&out, "64 bytes from %s: seq=%d ttl=%d time=%.3f ms\n", addr, i, ttl, t)
			}
		}
		received = packets
	}
	fmt.Fprintf(&out, "\n--- %s ping statistics ---\n%d packets transmitted, %d packets received, %d%% packet loss\n",
		host, packets, received, 100*(packets-received)/packets)
	if received > 0 {
		lo, hi, sum := times[0], times[0], 0.0
		for _, t := range times {
			lo, hi, sum = min(lo, t), max(hi, t), sum+t
		}
		fmt.Fprintf(&out, "round-trip min/avg/max = %.3f/%.3f/%.3f ms\n", lo, sum/float64(len(times)), hi)
		res.Elapsed += time.Duration(packets-1) * time.Second
	} else {
		res.Elapsed += time.Duration(packets-1)*time.Second + time.Duration(wait)*time.Second
		res.ExitCode = 1
	}
	res.Stdout = out.String()
	return res
}
