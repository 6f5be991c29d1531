package netcmd

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/kubesim/kubesim/sim/network"
)

type curlOpts struct {
	silent, showErr, include, head, fail, verbose, follow bool
	out                                                   string
	maxTime, connectTimeout                               time.Duration
	writeOut                                              string
	urls                                                  []string
	hostHeader                                            string   // -H 'Host: …'
	resolve                                               []string // --resolve host:port:addr
}

func parseCurl(args []string) (curlOpts, string) {
	var o curlOpts
	seconds := func(v string) (time.Duration, bool) {
		f, err := strconv.ParseFloat(v, 64)
		if err != nil || f < 0 {
			return 0, false
		}
		return time.Duration(f * float64(time.Second)), true
	}
	withArg := map[string]bool{"o": true, "m": true, "w": true, "H": true, "X": true, "d": true, "A": true, "u": true, "e": true, "x": true,
		"output": true, "max-time": true, "connect-timeout": true, "write-out": true, "header": true, "request": true, "data": true,
		"user-agent": true, "user": true, "resolve": true, "retry": true, "cacert": true, "proxy": true}
	flags := map[string]*bool{"s": &o.silent, "silent": &o.silent, "S": &o.showErr, "show-error": &o.showErr,
		"i": &o.include, "include": &o.include, "I": &o.head, "head": &o.head, "f": &o.fail, "fail": &o.fail,
		"v": &o.verbose, "verbose": &o.verbose, "L": &o.follow, "location": &o.follow}
	for i := 0; i < len(args); i++ {
		a := args[i]
		var opts []string // normalised option names
		var val string
		switch {
		case strings.HasPrefix(a, "--"):
			name, v, ok := longOption(args, &i, withArg)
			if !ok {
				return o, fmt.Sprintf("curl: option %s: requires parameter\ncurl: try 'curl --help' or 'curl --manual' for more information\n", a)
			}
			opts, val = []string{name}, v
		case strings.HasPrefix(a, "-") && len(a) > 1:
			for j := 1; j < len(a); j++ {
				c := string(a[j])
				if withArg[c] {
					v := a[j+1:]
					if v == "" {
						if i+1 >= len(args) {
							return o, fmt.Sprintf("curl: option -%s: requires parameter\ncurl: try 'curl --help' or 'curl --manual' for more information\n", c)
						}
						i++
						v = args[i]
					}
					opts, val = append(opts, c), v
					break
				}
				opts = append(opts, c)
			}
		default:
			o.urls = append(o.urls, a)
			continue
		}
		for _, op := range opts {
			if b := flags[op]; b != nil {
				*b = true
				continue
			}
			switch op {
			case "o", "output":
				o.out = val
			case "m", "max-time", "connect-timeout":
				d, ok := seconds(val)
				if !ok {
					return o, "curl: option " + a + ": expected a proper numerical parameter\ncurl: try 'curl --help' or 'curl --manual' for more information\n"
				}
				if op == "connect-timeout" {
					o.connectTimeout = d
				} else {
					o.maxTime = d
				}
			case "w", "write-out":
				o.writeOut = val
			case "H", "header":
				o.hostHeader = hostHeader(val, o.hostHeader)
			case "resolve":
				o.resolve = append(o.resolve, val)
			case "k", "insecure", "X", "request", "d", "data", "A", "user-agent",
				"u", "user", "e", "x", "proxy", "retry", "cacert", "4", "ipv4", "n", "N", "no-buffer", "q":
			default:
				return o, fmt.Sprintf("curl: option %s: is unknown\ncurl: try 'curl --help' or 'curl --manual' for more information\n", a)
			}
		}
	}
	if len(o.urls) == 0 {
		return o, "curl: try 'curl --help' or 'curl --manual' for more information\n"
	}
	return o, ""
}

const curlMeterHead = "  % Total    % Received % Xferd  Average Speed   Time    Time     Time  Current\n" +
	"                                 Dload  Upload   Total   Spent    Left  Speed\n"

// curlMeter is the progress meter's last line.
func curlMeter(size int, elapsed time.Duration, done bool) string {
	pct := 0
	if done {
		pct = 100
	}
	speed := "0"
	if done && size > 0 {
		bps := float64(size) / max(elapsed.Seconds(), 0.001)
		speed = strconv.Itoa(int(bps))
		if bps >= 100000 {
			speed = fmt.Sprintf("%dk", int(bps/1024))
		}
	}
	spent := "--:--:--"
	if !done {
		s := int(elapsed.Seconds())
		spent = fmt.Sprintf("%d:%02d:%02d", s/3600, s/60%60, s%60)
	}
	return fmt.Sprintf("%3d %5d  %3d %5d    0     0 %6s      0 --:--:-- %8s --:--:-- %5s\n", pct, size, pct, size, speed, spent, speed)
}

// curl is curl (8.x, or 7.88 in the Debian-based images).
func curl(env Env, args []string, fl flavour) Result {
	o, usage := parseCurl(args)
	if usage != "" {
		return Result{Stderr: usage, ExitCode: 2}
	}
	var res Result
	var stdout, stderr strings.Builder
	meter := !o.silent && !env.TTY && o.out == "" || (!o.silent && o.out != "")
	failed := func(code int, msg string) Result {
		if !o.silent || o.showErr {
			fmt.Fprintf(&stderr, "curl: (%d) %s\n", code, msg)
		}
		res.Stdout, res.Stderr, res.ExitCode = stdout.String(), stderr.String(), code
		return res
	}
	q := urlQueue{urls: o.urls}
	for q.more() {
		raw := q.next()
		t, ok := parseURL(raw)
		if !ok {
			if strings.Contains(raw, "://") {
				return failed(1, fmt.Sprintf("Protocol \"%s\" not supported", strings.SplitN(raw, "://", 2)[0]))
			}
			return failed(3, "URL rejected: Bad hostname")
		}
		if meter {
			stderr.WriteString(curlMeterHead)
		}
		t.hostHeader = o.hostHeader
		t.pinned = pinnedAddr(o.resolve, t)
		f := doFetch(env, t)
		res.Elapsed += f.res.elapsed
		if len(f.res.Addrs) == 0 {
			if meter {
				stderr.WriteString(curlMeter(0, res.Elapsed, false))
			}
			return failed(6, "Could not resolve host: "+t.host)
		}
		limit := o.connectTimeout
		if o.maxTime > 0 && (limit == 0 || o.maxTime < limit) {
			limit = o.maxTime
		}
		switch f.conn.Outcome {
		case network.Refused:
			res.Elapsed += rtt
			if meter {
				stderr.WriteString(curlMeter(0, res.Elapsed, false))
			}
			return failed(7, fmt.Sprintf("Failed to connect to %s port %d after %d ms: Couldn't connect to server", t.host, t.port, ms(res.Elapsed)))
		case network.TimedOut:
			if limit > 0 && limit < synTimeout {
				res.Elapsed += limit
				if meter {
					stderr.WriteString(curlMeter(0, res.Elapsed, false))
				}
				if strings.HasPrefix(fl.curl, "7.") {
					return failed(28, fmt.Sprintf("Connection timed out after %d milliseconds", ms(limit)+1))
				}
				return failed(28, fmt.Sprintf("Failed to connect to %s port %d after %d ms: Timeout was reached", t.host, t.port, ms(limit)+1))
			}
			res.Elapsed += synTimeout
			if meter {
				stderr.WriteString(curlMeter(0, res.Elapsed, false))
			}
			return failed(28, fmt.Sprintf("Failed to connect to %s port %d after %d ms: Couldn't connect to server", t.host, t.port, ms(synTimeout)+4))
		}
		res.Elapsed += 2 * rtt
		r := f.response
		if r.Status == 0 {
			if meter {
				stderr.WriteString(curlMeter(0, res.Elapsed, false))
			}
			return failed(52, "Empty reply from server")
		}
		if o.follow && r.Status >= 300 && r.Status < 400 && r.Location != "" {
			if !q.redirect(r.Location, 50) {
				return failed(47, "Maximum (50) redirects followed")
			}
			if meter {
				stderr.WriteString(curlMeter(len(r.Body), 2*rtt, true))
			}
			continue
		}
		if o.fail && r.Status >= 400 {
			if meter {
				stderr.WriteString(curlMeter(0, res.Elapsed, false))
			}
			return failed(22, fmt.Sprintf("The requested URL returned error: %d", r.Status))
		}
		var body strings.Builder
		if o.include || o.head {
			fmt.Fprintf(&body, "HTTP/1.1 %d %s\r\n", r.Status, r.StatusText)
			if r.Server != "" {
				fmt.Fprintf(&body, "Server: %s\r\n", r.Server)
			}
			if r.Location != "" {
				fmt.Fprintf(&body, "Location: %s\r\n", r.Location)
			}
			fmt.Fprintf(&body, "Content-Type: %s\r\nContent-Length: %d\r\nConnection: keep-alive\r\n\r\n", r.Type, len(r.Body))
		}
		if !o.head {
			body.WriteString(r.Body)
		}
		if meter {
			stderr.WriteString(curlMeter(len(r.Body), 2*rtt, true))
		}
		if o.out != "" && o.out != "-" {
			res.writeFile(o.out, body.String())
		} else {
			stdout.WriteString(body.String())
		}
		if o.writeOut != "" {
			w := strings.ReplaceAll(o.writeOut, "%{http_code}", fmt.Sprintf("%03d", r.Status))
			w = strings.ReplaceAll(w, "%{response_code}", fmt.Sprintf("%03d", r.Status))
			w = strings.ReplaceAll(w, "%{remote_ip}", f.addr.String())
			w = strings.ReplaceAll(w, "%{size_download}", strconv.Itoa(len(r.Body)))
			w = strings.ReplaceAll(w, `\n`, "\n")
			stdout.WriteString(w)
		}
	}
	res.Stdout, res.Stderr = stdout.String(), stderr.String()
	return res
}

func ms(d time.Duration) int64 { return d.Milliseconds() }

// pinnedAddr is the address a --resolve entry (host:port:addr) gives the
// URL's host and port, if one does (the invalid address otherwise).
func pinnedAddr(entries []string, t target) netip.Addr {
	for _, e := range entries {
		host, rest, ok := strings.Cut(strings.TrimPrefix(e, "+"), ":")
		port, addr, ok2 := strings.Cut(rest, ":")
		if !ok || !ok2 || !strings.EqualFold(host, t.host) && host != "*" || port != strconv.Itoa(t.port) {
			continue
		}
		if a, err := netip.ParseAddr(strings.Trim(strings.Split(addr, ",")[0], "[]")); err == nil {
			return a
		}
	}
	return netip.Addr{}
}
