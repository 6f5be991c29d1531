// Package netcmd is what the network commands print inside a pod of the
// simulated cluster: busybox nslookup (both the classic format of
// busybox 1.28 and the current one), bind's nslookup and dig, busybox
// wget and nc, and curl — with the wording, exit codes and durations of
// the real tools, computed from the network model (sim/network): DNS
// through CoreDNS, kube-proxy to ready endpoints, NetworkPolicies,
// whatever listens on the port.
//
// A shell model (kubectl exec) calls Run with the command's argv; Run
// says whether the command is one of these. Nothing here has side
// effects: files a command would write come back in Result.Files, the
// time it would take in Result.Elapsed.
package netcmd

import (
	"path"
	"slices"
	"strconv"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"

	"github.com/kubesim/kubesim/sim/kubelet/images"
	"github.com/kubesim/kubesim/sim/network"
)

// Env is where a command runs.
type Env struct {
	State network.State
	Pod   *corev1.Pod
	// Container is the container the command runs in; its image decides
	// which implementation answers (busybox, bind, curl …). "" is the
	// pod's first container.
	Container string
	// Pick chooses among a Service's endpoints (kube-proxy's random
	// choice); pass a seeded stream. nil picks the first.
	Pick network.Pick
	// TTY says stdout/stderr are a terminal (kubectl exec -t): progress
	// output differs.
	TTY bool
	// Now is the cluster's clock (dig prints it).
	Now time.Time
}

// Result is a finished command.
type Result struct {
	Stdout, Stderr string
	ExitCode       int
	// Elapsed is how long the command ran (a connect timeout, DNS
	// retries): the caller advances its clock by it, or not.
	Elapsed time.Duration
	// Files are files the command wrote (wget's index.html, curl -o),
	// by path as given.
	Files map[string]string
}

// Commands lists the command names Run handles.
var Commands = []string{"nslookup", "dig", "host", "wget", "curl", "nc", "netcat", "ping"}

// Run runs argv if argv[0] is one of Commands (ok false otherwise). The
// caller decides beforehand whether the image has the command (Has).
func Run(env Env, argv []string) (res Result, ok bool) {
	if len(argv) == 0 || env.Pod == nil || env.State == nil {
		return Result{}, false
	}
	name := path.Base(argv[0])
	if !slices.Contains(Commands, name) {
		return Result{}, false
	}
	f := flavourOf(env.image())
	switch name {
	case "nslookup":
		if f.bindTools {
			return bindNslookup(env, argv[1:]), true
		}
		if f.oldBusybox {
			return oldNslookup(env, argv[1:]), true
		}
		return nslookup(env, argv[1:]), true
	case "dig":
		return dig(env, argv[1:]), true
	case "host":
		return host(env, argv[1:]), true
	case "wget":
		return wget(env, argv[1:], f), true
	case "curl":
		return curl(env, argv[1:], f), true
	case "ping":
		return ping(env, argv[1:]), true
	default:
		return nc(env, argv[1:], f), true
	}
}

func (e Env) image() string {
	for _, c := range append(append([]corev1.Container{}, e.Pod.Spec.Containers...), e.Pod.Spec.InitContainers...) {
		if e.Container == "" || c.Name == e.Container {
			return c.Image
		}
	}
	for _, c := range e.Pod.Spec.EphemeralContainers {
		if c.Name == e.Container {
			return c.Image
		}
	}
	return ""
}

// flavour is which implementations an image ships.
type flavour struct {
	busybox    bool // busybox applets (nslookup, wget, nc)
	oldBusybox bool // busybox ≤ 1.28: the classic nslookup
	musl       bool // strerror wording of musl ("Operation timed out")
	curl       string
	bindTools  bool // bind's nslookup, dig, host
	wget       bool
	nc         bool
}

func flavourOf(image string) flavour {
	ref, err := images.Parse(image)
	if err != nil {
		return flavour{}
	}
	repo := ref.Name()
	if img, ok := images.Default().Lookup(ref); ok {
		repo = img.Repository
	}
	tag := ref.Tag
	alpine := strings.Contains(tag, "alpine")
	switch {
	case repo == "docker.io/library/busybox":
		return flavour{busybox: true, oldBusybox: versionAtMost(tag, 1, 28), musl: strings.Contains(tag, "musl"), wget: true, nc: true}
	case repo == "docker.io/library/alpine":
		return flavour{busybox: true, musl: true, wget: true, nc: true}
	case repo == "docker.io/curlimages/curl":
		v := "8.17.0"
		if strings.HasPrefix(tag, "7") {
			v = "7.88.1"
		}
		return flavour{busybox: true, musl: true, curl: v, wget: true, nc: true}
	case repo == "docker.io/nicolaka/netshoot":
		return flavour{busybox: true, musl: true, curl: "8.14.1", bindTools: true, wget: true, nc: true}
	case strings.Contains(repo, "dnsutils"):
		return flavour{bindTools: true}
	case repo == "registry.k8s.io/e2e-test-images/agnhost":
		return flavour{busybox: true, musl: true, curl: "8.5.0", wget: true, nc: true}
	case repo == "docker.io/library/nginx" || repo == "docker.io/library/httpd":
		if alpine {
			return flavour{busybox: true, musl: true, curl: "8.14.1", wget: true, nc: true}
		}
		if repo == "docker.io/library/nginx" {
			return flavour{curl: "7.88.1"}
		}
	case repo == "docker.io/library/amazonlinux":
		return flavour{curl: "8.11.1"}
	case alpine:
		return flavour{busybox: true, musl: true, wget: true, nc: true}
	}
	return flavour{}
}

// versionAtMost: a tag like 1.28 or 1.28.4-uclibc is ≤ major.minor.
func versionAtMost(tag string, major, minor int) bool {
	parts := strings.SplitN(strings.SplitN(tag, "-", 2)[0], ".", 3)
	if len(parts) < 2 {
		return false
	}
	ma, err1 := strconv.Atoi(parts[0])
	mi, err2 := strconv.Atoi(parts[1])
	if err1 != nil || err2 != nil {
		return false
	}
	return ma < major || (ma == major && mi <= minor)
}

// Has reports whether the image ships the command (busybox images have
// nslookup, wget and nc; curl images curl; netshoot and dnsutils dig;
// the Debian-based nginx image only curl).
func Has(image, command string) bool {
	f := flavourOf(image)
	switch path.Base(command) {
	case "nslookup":
		return f.busybox || f.bindTools
	case "dig", "host":
		return f.bindTools
	case "wget":
		return f.wget
	case "curl":
		return f.curl != ""
	case "nc", "netcat":
		return f.nc
	case "ping":
		return f.busybox
	}
	return false
}

// Timings of the real stacks.
const (
	// synTimeout is how long a TCP connect to a silent address takes to
	// fail on Linux (tcp_syn_retries 6: 1+2+…+64 s).
	synTimeout = 127 * time.Second
	// resolverTimeout is how long glibc/musl wait for a nameserver
	// (timeout 5 s, attempts 2) before giving up on a name.
	resolverTimeout = 10 * time.Second
	// rtt is a round trip inside the VPC, as commands report it.
	rtt = time.Millisecond
)

func errnoText(o network.Outcome, musl bool) string {
	switch o {
	case network.Refused:
		return "Connection refused"
	case network.TimedOut:
		if musl {
			return "Operation timed out"
		}
		return "Connection timed out"
	}
	return ""
}
