package netcmd

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"

	"github.com/kubesim/kubesim/sim/network"
)

// nc is busybox nc (netcat 1.10 compatible) or, in netshoot, OpenBSD
// netcat. Only outbound connections are modelled (a listener started
// with -l is a server the network model sees in the container's
// command); with no input the connection is held until -w expires.
func nc(env Env, args []string, fl flavour) Result {
	var zero, udp, listen bool
	verbose := 0
	wait := 0
	pos, msg := shortOptions("nc", args, "wpsiqeo", func(c byte, v string) (bool, string) {
		var msg string
		switch c {
		case 'z':
			zero = true
		case 'v':
			verbose++
		case 'u':
			udp = true
		case 'l':
			listen = true
		case 'w':
			wait, msg = count("nc", v)
		case 'n', 'k', 'N', '4', 'p', 's', 'i', 'q', 'e', 'o':
		default:
			return false, ""
		}
		return true, msg
	})
	if msg != "" {
		return Result{Stderr: msg, ExitCode: 1}
	}
	if listen {
		return Result{Stderr: "nc: listening is not modelled: start the listener as the container's command\n", ExitCode: 1}
	}
	if len(pos) != 2 {
		return Result{Stderr: "BusyBox v1.37.0 (2024-09-26 21:31:42 UTC) multi-call binary.\n\nUsage: nc [OPTIONS] HOST PORT  - connect\nnc [OPTIONS] -l -p PORT [HOST] [PORT]  - listen\n", ExitCode: 1}
	}
	host := pos[0]
	port, err := strconv.Atoi(pos[1])
	if err != nil || port < 1 || port > 65535 {
		if fl.bindTools {
			return Result{Stderr: fmt.Sprintf("nc: port number invalid: %s\n", pos[1]), ExitCode: 1}
		}
		return Result{Stderr: fmt.Sprintf("nc: bad port '%s'\n", pos[1]), ExitCode: 1}
	}
	var res Result
	r := resolveVia(env, host, "")
	res.Elapsed += r.elapsed
	if len(r.Addrs) == 0 {
		if fl.bindTools {
			res.Stderr = fmt.Sprintf("nc: getaddrinfo for host \"%s\" port %d: Name does not resolve\n", host, port)
		} else {
			res.Stderr = fmt.Sprintf("nc: bad address '%s'\n", host)
		}
		res.ExitCode = 1
		return res
	}
	addr := r.Addrs[0]
	proto := corev1.ProtocolTCP
	if udp {
		proto = corev1.ProtocolUDP
	}
	conn := network.Dial(env.State, env.Pod, addr, int32(port), proto, env.Pick)
	outcome := conn.Outcome
	if udp && outcome == network.TimedOut {
		// A UDP "connection" succeeds unless something answers with
		// port unreachable.
		outcome = network.Connected
	}
	var stderr strings.Builder
	switch outcome {
	case network.Connected:
		res.Elapsed += rtt
		if verbose > 0 {
			if fl.bindTools {
				fmt.Fprintf(&stderr, "Connection to %s (%s) %d port [%s] succeeded!\n", host, addr, port, strings.ToLower(string(proto)))
			} else {
				fmt.Fprintf(&stderr, "%s (%s:%d) open\n", host, addr, port)
			}
		}
		if !zero {
			hold := time.Duration(wait) * time.Second
			if wait == 0 {
				hold = 60 * time.Second // the server's idle timeout closes it
			}
			res.Elapsed += hold
		}
		res.Stderr = stderr.String()
		return res
	case network.Refused:
		res.Elapsed += rtt
	default:
		if wait > 0 && time.Duration(wait)*time.Second < synTimeout {
			res.Elapsed += time.Duration(wait) * time.Second
		} else {
			res.Elapsed += synTimeout
		}
	}
	msg = errnoText(outcome, fl.musl)
	if fl.bindTools {
		if verbose > 0 {
			fmt.Fprintf(&stderr, "nc: connect to %s (%s) port %d (%s) failed: %s\n", host, addr, port, strings.ToLower(string(proto)), msg)
		}
	} else if verbose > 1 || (verbose == 1 && outcome != network.Refused) {
		fmt.Fprintf(&stderr, "nc: %s (%s:%d): %s\n", host, addr, port, msg)
	}
	res.Stderr, res.ExitCode = stderr.String(), 1
	return res
}
