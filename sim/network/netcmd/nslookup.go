package netcmd

import (
	"fmt"
	"net/netip"
	"strings"
	"time"

	"github.com/kubesim/kubesim/sim/network"
)

const nslookupUsage = `BusyBox v1.37.0 (2024-09-26 21:31:42 UTC) multi-call binary.

Usage: nslookup [-type=QUERY_TYPE] [-debug] HOST [DNS_SERVER]

Query DNS about HOST

QUERY_TYPE: soa,ns,a,aaaa,cname,mx,txt,any,srv,ptr
`

// nslookup is busybox's current nslookup (FEATURE_NSLOOKUP_BIG, as in
// the busybox and Alpine images): its own resolver sends A and AAAA
// questions for the name — expanded with each search domain only when
// the name has no dot, so `nslookup web.default` is NXDOMAIN while
// `nslookup web` finds web.default.svc.cluster.local — and prints each
// reply as it arrives; any NXDOMAIN makes the exit code 1.
func nslookup(env Env, args []string) Result {
	var types []network.RRType
	timeout := 5
	for len(args) > 0 && strings.HasPrefix(args[0], "-") {
		opt, val, _ := strings.Cut(args[0][1:], "=")
		args = args[1:]
		switch opt {
		case "type", "query", "q":
			t, ok := network.ParseType(val)
			if !ok {
				return Result{Stderr: fmt.Sprintf("nslookup: invalid query type \"%s\"\n", val), ExitCode: 1}
			}
			types = append(types, t)
		case "timeout", "t":
			if _, err := fmt.Sscan(val, &timeout); err != nil || timeout < 1 {
				return Result{Stderr: fmt.Sprintf("nslookup: invalid number '%s'\n", val), ExitCode: 1}
			}
		case "debug", "port", "retry":
		default:
			return Result{Stderr: nslookupUsage, ExitCode: 1}
		}
	}
	if len(args) == 0 || len(args) > 2 {
		return Result{Stderr: nslookupUsage, ExitCode: 1}
	}
	name := args[0]
	conf := network.ResolvConfOf(env.State, env.Pod)
	servers := conf.Nameservers
	if len(args) == 2 {
		servers = []string{args[1]}
	}
	if len(servers) == 0 {
		servers = []string{"127.0.0.1"}
	}
	type query struct {
		name string
		t    network.RRType
	}
	var queries []query
	withSearch := func(t network.RRType) {
		if t == network.TypePTR || len(conf.Searches) == 0 || strings.Contains(name, ".") {
			queries = append(queries, query{name, t})
			return
		}
		for _, s := range conf.Searches {
			queries = append(queries, query{name + "." + s, t})
		}
	}
	if len(types) == 0 {
		if a, err := netip.ParseAddr(name); err == nil && a.Is4() {
			queries = append(queries, query{network.PTRName(a), network.TypePTR})
		} else {
			withSearch(network.TypeA)
			withSearch(network.TypeAAAA)
		}
	} else {
		for _, t := range types {
			withSearch(t)
		}
	}

	var out strings.Builder
	res := Result{}
	for _, s := range servers {
		server, err := netip.ParseAddr(s)
		if err != nil {
			return Result{Stderr: fmt.Sprintf("nslookup: bad address '%s'\n", s), ExitCode: 1}
		}
		var replies []network.Exchange
		for _, q := range queries {
			ex := network.Query(env.State, env.Pod, server, q.name, q.t, env.Pick)
			if ex.Answered {
				replies = append(replies, ex)
			}
		}
		if len(replies) == 0 {
			res.Elapsed += time.Duration(timeout) * time.Second
			continue
		}
		res.Elapsed += rtt
		fmt.Fprintf(&out, "Server:\t\t%s\nAddress:\t%s:53\n\n", s, s)
		for _, ex := range replies {
			r := ex.Reply
			if r.RCode != network.NoError {
				fmt.Fprintf(&out, "** server can't find %s: %s\n", ex.Name, r.RCode)
				res.ExitCode = 1
			} else {
				writeAnswer(&out, r)
			}
			out.WriteString("\n")
		}
		res.Stdout = out.String()
		return res
	}
	return noServers(res, &out)
}

// writeAnswer writes a reply's answer section as busybox prints it.
func writeAnswer(out *strings.Builder, r network.Reply) {
	if !r.Authoritative {
		out.WriteString("Non-authoritative answer:\n")
	}
	for _, rr := range r.Answer {
		out.WriteString(busyboxRR(rr))
	}
}

// noServers ends an nslookup whose servers all timed out.
func noServers(res Result, out *strings.Builder) Result {
	out.WriteString(";; connection timed out; no servers could be reached\n\n")
	res.Stdout, res.ExitCode = out.String(), 1
	return res
}

func busyboxRR(rr network.RR) string {
	switch rr.Type {
	case network.TypeA, network.TypeAAAA:
		return fmt.Sprintf("Name:\t%s\nAddress: %s\n", rr.Name, rr.A)
	case network.TypeCNAME:
		return fmt.Sprintf("%s\tcanonical name = %s\n", rr.Name, rr.Target)
	case network.TypePTR:
		return fmt.Sprintf("%s\tname = %s\n", rr.Name, rr.Target)
	case network.TypeSRV:
		return fmt.Sprintf("%s\tservice = %d %d %d %s\n", rr.Name, rr.Priority, rr.Weight, rr.Port, rr.Target)
	}
	return ""
}

// oldNslookup is busybox 1.28's nslookup (the image the Kubernetes DNS
// debugging guide uses): it resolves through the C library, so the
// search path applies to any name, and prints each address with its
// reverse name.
func oldNslookup(env Env, args []string) Result {
	if len(args) == 0 || len(args) > 2 || strings.HasPrefix(args[0], "-") {
		return Result{Stderr: "BusyBox v1.28.4 (2018-05-22 17:00:17 UTC) multi-call binary.\n\nUsage: nslookup [HOST] [SERVER]\n\nQuery the nameserver for the IP address of the given HOST\noptionally using a specified DNS server\n", ExitCode: 1}
	}
	conf := network.ResolvConfOf(env.State, env.Pod)
	server := ""
	if len(conf.Nameservers) > 0 {
		server = conf.Nameservers[0]
	}
	if len(args) == 2 {
		server = args[1]
	}
	sa, err := netip.ParseAddr(server)
	if err != nil {
		return Result{Stderr: fmt.Sprintf("nslookup: bad address '%s'\n", server), ExitCode: 1}
	}
	var res Result
	reverse := func(a netip.Addr) string {
		ex := network.Query(env.State, env.Pod, sa, network.PTRName(a), network.TypePTR, env.Pick)
		if !ex.Answered {
			res.Elapsed += resolverTimeout
			return ""
		}
		for _, rr := range ex.Reply.Answer {
			if rr.Type == network.TypePTR {
				return rr.Target
			}
		}
		return ""
	}
	var out strings.Builder
	line := func(i int, a netip.Addr) {
		if rev := reverse(a); rev != "" {
			fmt.Fprintf(&out, "Address %d: %s %s\n", i, a, rev)
		} else {
			fmt.Fprintf(&out, "Address %d: %s\n", i, a)
		}
	}
	fmt.Fprintf(&out, "%-10s %s\n", "Server:", server)
	line(1, sa)
	out.WriteString("\n")
	r := resolveVia(env, args[0], server)
	res.Elapsed += r.elapsed
	if len(r.Addrs) == 0 {
		res.Stdout = out.String()
		res.Stderr = fmt.Sprintf("nslookup: can't resolve '%s'\n", args[0])
		res.ExitCode = 1
		return res
	}
	fmt.Fprintf(&out, "%-10s %s\n", "Name:", args[0])
	for i, a := range r.Addrs {
		line(i+1, a)
	}
	res.Stdout = out.String()
	return res
}

type resolved struct {
	network.Resolution
	elapsed time.Duration
}

// resolveVia resolves host as the C library does, with the pod's
// resolv.conf (or only server when given), timing the failures.
func resolveVia(env Env, host, server string) resolved {
	r := network.Resolve(env.State, env.Pod, host, env.Pick)
	if server != "" {
		conf := network.ResolvConfOf(env.State, env.Pod)
		if len(conf.Nameservers) == 0 || conf.Nameservers[0] != server {
			r = network.ResolveWith(env.State, env.Pod, host, []string{server}, env.Pick)
		}
	}
	out := resolved{Resolution: r}
	switch r.Err {
	case network.TryAgain:
		out.elapsed = resolverTimeout
	default:
		out.elapsed = time.Duration(len(r.Exchanges)) * rtt
	}
	return out
}

// bindNslookup is nslookup from bind-tools (netshoot, dnsutils): the
// resolver's search list with ndots, one answer for the first name found.
func bindNslookup(env Env, args []string) Result {
	t := network.TypeA
	for len(args) > 0 && strings.HasPrefix(args[0], "-") {
		opt, val, _ := strings.Cut(args[0][1:], "=")
		args = args[1:]
		if opt == "type" || opt == "query" || opt == "q" {
			if x, ok := network.ParseType(val); ok {
				t = x
			}
		}
	}
	if len(args) == 0 {
		return Result{Stderr: "Usage: nslookup [-opt ...] host [server]\n", ExitCode: 1}
	}
	name := args[0]
	conf := network.ResolvConfOf(env.State, env.Pod)
	servers := conf.Nameservers
	if len(args) > 1 {
		servers = []string{args[1]}
	}
	candidates := network.Candidates(conf, name)
	if a, err := netip.ParseAddr(name); err == nil && a.Is4() {
		candidates, t = []string{network.PTRName(a)}, network.TypePTR
	}
	var out strings.Builder
	var res Result
	for _, s := range servers {
		server, err := netip.ParseAddr(s)
		if err != nil {
			continue
		}
		var last network.Exchange
		answered := false
		for _, c := range candidates {
			ex := network.Query(env.State, env.Pod, server, c, t, env.Pick)
			if !ex.Answered {
				break
			}
			answered, last = true, ex
			if ex.Reply.RCode == network.NoError && len(ex.Reply.Answer) > 0 {
				break
			}
		}
		if !answered {
			res.Elapsed += 15 * time.Second
			continue
		}
		res.Elapsed += rtt
		fmt.Fprintf(&out, "Server:\t\t%s\nAddress:\t%s#53\n\n", s, s)
		if last.Reply.RCode != network.NoError || len(last.Reply.Answer) == 0 {
			if last.Reply.RCode == network.NoError {
				fmt.Fprintf(&out, "*** Can't find %s: No answer\n\n", name)
			} else {
				fmt.Fprintf(&out, "** server can't find %s: %s\n\n", name, last.Reply.RCode)
			}
			res.Stdout, res.ExitCode = out.String(), 1
			return res
		}
		writeAnswer(&out, last.Reply)
		out.WriteString("\n")
		res.Stdout = out.String()
		return res
	}
	return noServers(res, &out)
}
