package netcmd

import (
	"fmt"
	"net/netip"
	"net/url"
	"path"
	"strconv"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"

	"github.com/kubesim/kubesim/sim/network"
)

const wgetUsage = `BusyBox v1.37.0 (2024-09-26 21:31:42 UTC) multi-call binary.

Usage: wget [-cqS] [--spider] [-O FILE] [-o LOGFILE] [--header STR]
	[--post-data STR | --post-file FILE] [-Y on/off]
	[-P DIR] [-U AGENT] [-T SEC] URL...

Retrieve files via HTTP or FTP
`

type wgetOpts struct {
	quiet, spider, serverResp bool
	out                       string // -O
	outSet                    bool
	timeout                   int // -T, seconds; 0 = the default (900)
	urls                      []string
	hostHeader                string // --header 'Host: …'
}

// wgetShort are wget's short options by their long names.
var wgetShort = map[byte]string{'q': "quiet", 'S': "server-response", 'c': "continue", 'O': "output-document", 'T': "timeout",
	'o': "output-file", 'P': "directory-prefix", 'U': "user-agent", 'Y': "proxy", 't': "tries"}

// wgetValued are the long options that take a value.
var wgetValued = map[string]bool{"output-document": true, "timeout": true, "user-agent": true, "header": true,
	"post-data": true, "post-file": true, "directory-prefix": true, "proxy": true, "tries": true, "output-file": true}

func parseWget(args []string) (wgetOpts, string) {
	o := wgetOpts{timeout: 900}
	set := func(name, val string) (known bool, msg string) {
		switch name {
		case "quiet":
			o.quiet = true
		case "spider":
			o.spider = true
		case "server-response":
			o.serverResp = true
		case "output-document":
			o.out, o.outSet = val, true
		case "timeout":
			o.timeout, msg = count("wget", val)
		case "header":
			o.hostHeader = hostHeader(val, o.hostHeader)
		case "user-agent", "post-data", "post-file", "directory-prefix", "proxy", "tries", "output-file",
			"continue", "no-check-certificate", "no-verbose":
		default:
			return false, ""
		}
		return true, msg
	}
	for i := 0; i < len(args); i++ {
		a := args[i]
		var msg string
		switch {
		case a == "--":
			o.urls = append(o.urls, args[i+1:]...)
			i = len(args)
		case strings.HasPrefix(a, "--"):
			name, val, ok := longOption(args, &i, wgetValued)
			if !ok {
				return o, fmt.Sprintf("wget: option '--%s' requires an argument\n", name)
			}
			var known bool
			if known, msg = set(name, val); !known {
				msg = fmt.Sprintf("wget: unrecognized option '%s'\n", a)
			}
		case strings.HasPrefix(a, "-") && len(a) > 1:
			msg = optionCluster("wget", args, &i, "OToPUYt", func(c byte, v string) (bool, string) { return set(wgetShort[c], v) })
		default:
			o.urls = append(o.urls, a)
		}
		if msg != "" {
			return o, msg
		}
	}
	if len(o.urls) == 0 {
		return o, wgetUsage
	}
	return o, ""
}

// target is a parsed http URL.
type target struct {
	scheme, host, path string
	port               int
	// hostHeader is the Host header given on the command line ("": the
	// URL's host).
	hostHeader string
	// pinned is the address curl --resolve gives host:port, if any.
	pinned netip.Addr
}

// hostHeader is the value of a "Host: …" header line, else was.
func hostHeader(line, was string) string {
	name, v, ok := strings.Cut(line, ":")
	if !ok || !strings.EqualFold(strings.TrimSpace(name), "host") {
		return was
	}
	return strings.TrimSpace(v)
}

func parseURL(raw string) (target, bool) {
	s := raw
	if !strings.Contains(s, "://") {
		s = "http://" + s
	}
	u, err := url.Parse(s)
	if err != nil || u.Hostname() == "" {
		return target{}, false
	}
	t := target{scheme: strings.ToLower(u.Scheme), host: u.Hostname(), path: u.RequestURI()}
	switch t.scheme {
	case "http":
		t.port = 80
	case "https":
		t.port = 443
	default:
		return t, false
	}
	if p := u.Port(); p != "" {
		n, err := strconv.Atoi(p)
		if err != nil || n < 1 || n > 65535 {
			return target{}, false
		}
		t.port = n
	}
	return t, true
}

// fetch is one HTTP GET from a pod: resolution, connection, answer.
type fetch struct {
	t        target
	res      resolved
	addr     netip.Addr
	conn     network.Conn
	response network.Response
}

// urlQueue is the URLs a download command fetches in turn; a redirect's
// location is fetched next.
type urlQueue struct {
	urls      []string
	redirects int
}

func (q *urlQueue) more() bool { return len(q.urls) > 0 }

func (q *urlQueue) next() string {
	raw := q.urls[0]
	q.urls = q.urls[1:]
	return raw
}

// redirect queues location first, unless limit redirects were followed
// already.
func (q *urlQueue) redirect(location string, limit int) bool {
	if q.redirects++; q.redirects > limit {
		return false
	}
	q.urls = append([]string{location}, q.urls...)
	return true
}

// writeFile records a file the command wrote.
func (r *Result) writeFile(name, content string) {
	if r.Files == nil {
		r.Files = map[string]string{}
	}
	r.Files[name] = content
}

func doFetch(env Env, t target) fetch {
	f := fetch{t: t}
	if t.pinned.IsValid() {
		f.res = resolved{Resolution: network.Resolution{Name: t.host, Addrs: []netip.Addr{t.pinned}}}
	} else {
		f.res = resolveVia(env, t.host, "")
	}
	if len(f.res.Addrs) == 0 {
		return f
	}
	f.addr = f.res.Addrs[0]
	f.conn = network.Dial(env.State, env.Pod, f.addr, int32(t.port), corev1.ProtocolTCP, env.Pick)
	host := t.host
	if t.hostHeader != "" {
		host = t.hostHeader
	}
	f.response = network.Fetch(env.State, f.conn, t.path, host, env.Pick)
	return f
}

// wget is busybox wget.
func wget(env Env, args []string, fl flavour) Result {
	o, usage := parseWget(args)
	if usage != "" {
		return Result{Stderr: usage, ExitCode: 1}
	}
	var res Result
	var stderr, stdout strings.Builder
	fail := func(msg string) Result {
		stderr.WriteString("wget: " + msg + "\n")
		res.Stdout, res.Stderr, res.ExitCode = stdout.String(), stderr.String(), 1
		return res
	}
	q := urlQueue{urls: o.urls}
	for q.more() {
		raw := q.next()
		t, ok := parseURL(raw)
		if !ok {
			if strings.Contains(raw, "://") && !strings.HasPrefix(raw, "http") {
				return fail("not an http or ftp url: " + raw)
			}
			return fail(fmt.Sprintf("bad address '%s'", raw))
		}
		t.hostHeader = o.hostHeader
		f := doFetch(env, t)
		res.Elapsed += f.res.elapsed
		if len(f.res.Addrs) == 0 {
			return fail(fmt.Sprintf("bad address '%s'", t.host))
		}
		if !o.quiet {
			fmt.Fprintf(&stderr, "Connecting to %s (%s:%d)\n", t.host, f.addr, t.port)
		}
		switch f.conn.Outcome {
		case network.Refused:
			res.Elapsed += rtt
			return fail(fmt.Sprintf("can't connect to remote host (%s): Connection refused", f.addr))
		case network.TimedOut:
			if o.timeout > 0 && time.Duration(o.timeout)*time.Second < synTimeout {
				res.Elapsed += time.Duration(o.timeout) * time.Second
				return fail("download timed out")
			}
			res.Elapsed += synTimeout
			return fail(fmt.Sprintf("can't connect to remote host (%s): %s", f.addr, errnoText(network.TimedOut, fl.musl)))
		}
		res.Elapsed += 2 * rtt
		r := f.response
		if r.Status == 0 {
			return fail("error getting response: Connection reset by peer")
		}
		if o.serverResp {
			fmt.Fprintf(&stderr, "  HTTP/1.1 %d %s\n", r.Status, r.StatusText)
			if r.Server != "" {
				fmt.Fprintf(&stderr, "  Server: %s\n", r.Server)
			}
			fmt.Fprintf(&stderr, "  Content-Type: %s\n  Content-Length: %d\n  Connection: close\n  \n", r.Type, len(r.Body))
		}
		if r.Status >= 300 && r.Status < 400 && r.Location != "" {
			// busybox follows up to 16 redirects.
			if !q.redirect(r.Location, 16) {
				return fail("too many redirections")
			}
			continue
		}
		if r.Status >= 400 || r.Status >= 300 {
			return fail(fmt.Sprintf("server returned error: HTTP/1.1 %d %s", r.Status, r.StatusText))
		}
		if o.spider {
			if !o.quiet {
				stderr.WriteString("remote file exists\n")
			}
			continue
		}
		name := o.out
		if !o.outSet {
			name = path.Base(t.path)
			if i := strings.IndexAny(name, "?#"); i >= 0 {
				name = name[:i]
			}
			if name == "/" || name == "." || name == "" {
				name = "index.html"
			}
		}
		if name == "-" {
			stdout.WriteString(r.Body)
			if !o.quiet {
				stderr.WriteString("writing to stdout\n")
				stderr.WriteString(progress("-", len(r.Body), env.TTY))
				stderr.WriteString("written to stdout\n")
			}
			continue
		}
		res.writeFile(name, r.Body)
		if !o.quiet {
			fmt.Fprintf(&stderr, "saving to '%s'\n", name)
			stderr.WriteString(progress(path.Base(name), len(r.Body), env.TTY))
			fmt.Fprintf(&stderr, "'%s' saved\n", name)
		}
	}
	res.Stdout, res.Stderr = stdout.String(), stderr.String()
	return res
}

// progress is busybox's final progress bar line for a finished
// download: on a terminal it is redrawn with \r and ends with a newline,
// otherwise it is printed once without one.
func progress(file string, size int, tty bool) string {
	line := fmt.Sprintf("%-20.20s %3d%% |%s| %5s%3d:%02d:%02d ETA", file, 100, strings.Repeat("*", 32), size5(size), 0, 0, 0)
	if tty {
		return "\r" + line + "\n"
	}
	return line
}

// size5 is busybox's smart_ulltoa5: five characters, scaled by 1024
// with a k/M/G suffix beyond 99999 ("92.1k", " 123M").
func size5(n int) string {
	if n <= 99999 {
		return fmt.Sprintf("%5d", n)
	}
	ul, idx := uint64(n)*10, 0
	for {
		ul /= 1024
		idx++
		if ul < 100000 {
			break
		}
	}
	u, v := ul/10, ul%10
	scale := " kMGTPEZY"[idx : idx+1]
	if u >= 100 {
		return fmt.Sprintf("%4d%s", u, scale)
	}
	return fmt.Sprintf("%2d.%d%s", u, v, scale)
}
