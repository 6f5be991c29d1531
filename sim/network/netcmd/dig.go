package netcmd

import (
	"fmt"
	"hash/fnv"
	"net/netip"
	"strings"
	"time"

	"github.com/kubesim/kubesim/sim/network"
)

// dig is bind's dig: one question (no search list unless +search), the
// full answer or +short.
func dig(env Env, args []string) Result {
	t := network.TypeA
	var name, server string
	short, search := false, false
	reverse := false
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case strings.HasPrefix(a, "@"):
			server = a[1:]
		case a == "+short":
			short = true
		case a == "+search":
			search = true
		case strings.HasPrefix(a, "+"):
		case a == "-x" && i+1 < len(args):
			i++
			name, reverse = args[i], true
		case a == "-t" && i+1 < len(args):
			i++
			if x, ok := network.ParseType(args[i]); ok {
				t = x
			}
		default:
			if x, ok := network.ParseType(a); ok && name != "" {
				t = x
			} else {
				name = a
			}
		}
	}
	if name == "" {
		name = "."
		t = network.TypeNS
	}
	if reverse {
		a, err := netip.ParseAddr(name)
		if err != nil {
			return Result{Stderr: fmt.Sprintf("dig: '%s' is not a legal IPv4 address\n", name), ExitCode: 10}
		}
		name, t = network.PTRName(a), network.TypePTR
	}
	conf := network.ResolvConfOf(env.State, env.Pod)
	if server == "" && len(conf.Nameservers) > 0 {
		server = conf.Nameservers[0]
	}
	sa, err := netip.ParseAddr(server)
	if err != nil {
		return Result{Stderr: fmt.Sprintf("dig: couldn't get address for '%s': not found\n", server), ExitCode: 10}
	}
	names := []string{strings.TrimSuffix(name, ".")}
	if search && !strings.HasSuffix(name, ".") {
		names = network.Candidates(conf, name)
	}
	var ex network.Exchange
	for _, n := range names {
		ex = network.Query(env.State, env.Pod, sa, n, t, env.Pick)
		if !ex.Answered || (ex.Reply.RCode == network.NoError && len(ex.Reply.Answer) > 0) {
			break
		}
	}
	var out strings.Builder
	if !ex.Answered {
		if !short {
			fmt.Fprintf(&out, "\n; <<>> DiG 9.18.33 <<>> %s\n;; global options: +cmd\n", strings.Join(args, " "))
		}
		fmt.Fprintf(&out, ";; communications error to %s#53: timed out\n;; communications error to %s#53: timed out\n;; communications error to %s#53: timed out\n", server, server, server)
		if !short {
			out.WriteString("\n; <<>> DiG 9.18.33 <<>> " + strings.Join(args, " ") + "\n;; global options: +cmd\n")
		}
		out.WriteString(";; no servers could be reached\n")
		return Result{Stdout: out.String(), ExitCode: 9, Elapsed: 15 * time.Second}
	}
	r := ex.Reply
	if short {
		for _, rr := range r.Answer {
			out.WriteString(rdata(rr) + "\n")
		}
		return Result{Stdout: out.String(), Elapsed: rtt}
	}
	h := fnv.New32a()
	_, _ = h.Write([]byte(ex.Name + env.Now.String()))
	id := h.Sum32() % 65536
	flags := "qr rd ra"
	if r.Authoritative {
		flags = "qr aa rd"
	}
	fmt.Fprintf(&out, "\n; <<>> DiG 9.18.33 <<>> %s\n;; global options: +cmd\n;; Got answer:\n", strings.Join(args, " "))
	fmt.Fprintf(&out, ";; ->>HEADER<<- opcode: QUERY, status: %s, id: %d\n", r.RCode, id)
	fmt.Fprintf(&out, ";; flags: %s; QUERY: 1, ANSWER: %d, AUTHORITY: 0, ADDITIONAL: 1\n", flags, len(r.Answer))
	if r.Authoritative {
		out.WriteString(";; WARNING: recursion requested but not available\n")
	}
	out.WriteString("\n;; OPT PSEUDOSECTION:\n; EDNS: version: 0, flags:; udp: 1232\n")
	fmt.Fprintf(&out, ";; QUESTION SECTION:\n;%s.\t\tIN\t%s\n\n", ex.Name, t)
	size := 12 + len(ex.Name) + 6 + 11
	if len(r.Answer) > 0 {
		out.WriteString(";; ANSWER SECTION:\n")
		for _, rr := range r.Answer {
			fmt.Fprintf(&out, "%s.\t%d\tIN\t%s\t%s\n", rr.Name, rr.TTL, rr.Type, rdata(rr))
			size += 12 + len(rdata(rr))
		}
		out.WriteString("\n")
	}
	fmt.Fprintf(&out, ";; Query time: 0 msec\n;; SERVER: %s#53(%s) (UDP)\n", server, server)
	if !env.Now.IsZero() {
		fmt.Fprintf(&out, ";; WHEN: %s\n", env.Now.UTC().Format("Mon Jan 02 15:04:05 MST 2006"))
	}
	fmt.Fprintf(&out, ";; MSG SIZE  rcvd: %d\n\n", size)
	return Result{Stdout: out.String(), Elapsed: rtt}
}

func rdata(rr network.RR) string {
	switch rr.Type {
	case network.TypeA, network.TypeAAAA:
		return rr.A.String()
	case network.TypeSRV:
		return fmt.Sprintf("%d %d %d %s.", rr.Priority, rr.Weight, rr.Port, rr.Target)
	}
	return rr.Target + "."
}

// host is bind's host: the search list, A answers (and CNAMEs).
func host(env Env, args []string) Result {
	var pos []string
	for _, a := range args {
		if !strings.HasPrefix(a, "-") {
			pos = append(pos, a)
		}
	}
	if len(pos) == 0 {
		return Result{Stderr: "Usage: host [-aCdilrTvVw] [-c class] [-N ndots] [-t type] [-W time]\n            [-R number] [-m flag] [-p port] hostname [server]\n", ExitCode: 1}
	}
	name := pos[0]
	conf := network.ResolvConfOf(env.State, env.Pod)
	if len(pos) > 1 {
		conf.Nameservers = pos[1:2]
	}
	t := network.TypeA
	cands := network.Candidates(conf, name)
	if a, err := netip.ParseAddr(name); err == nil && a.Is4() {
		cands, t = []string{network.PTRName(a)}, network.TypePTR
	}
	var out strings.Builder
	for _, s := range conf.Nameservers {
		sa, err := netip.ParseAddr(s)
		if err != nil {
			continue
		}
		var last network.Exchange
		for _, c := range cands {
			last = network.Query(env.State, env.Pod, sa, c, t, env.Pick)
			if !last.Answered || (last.Reply.RCode == network.NoError && len(last.Reply.Answer) > 0) {
				break
			}
		}
		if !last.Answered {
			continue
		}
		if last.Reply.RCode != network.NoError || len(last.Reply.Answer) == 0 {
			rc := last.Reply.RCode
			return Result{Stdout: fmt.Sprintf("Host %s not found: %d(%s)\n", name, int(rc), rc), ExitCode: 1, Elapsed: rtt}
		}
		for _, rr := range last.Reply.Answer {
			switch rr.Type {
			case network.TypeA:
				fmt.Fprintf(&out, "%s has address %s\n", rr.Name, rr.A)
			case network.TypeCNAME:
				fmt.Fprintf(&out, "%s is an alias for %s.\n", rr.Name, rr.Target)
			case network.TypePTR:
				fmt.Fprintf(&out, "%s domain name pointer %s.\n", rr.Name, rr.Target)
			}
		}
		return Result{Stdout: out.String(), Elapsed: rtt}
	}
	return Result{Stdout: ";; connection timed out; no servers could be reached\n", ExitCode: 1, Elapsed: 10 * time.Second}
}
