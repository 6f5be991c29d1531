package network

import (
	"cmp"
	"path"
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"

	"github.com/kubesim/kubesim/sim/kubelet/images"
)

// Server is a process listening on a pod's port.
type Server struct {
	Pod       *corev1.Pod
	Container string
	Port      int32
	Protocol  corev1.Protocol
	// App names what answers: nginx, httpd, coredns, http-echo,
	// agnhost-netexec, agnhost-serve-hostname, hello-app, … or "app" for
	// an image the simulator does not know (a declared containerPort).
	App string
	// HTTP says the listener speaks HTTP.
	HTTP bool
	// Text is the body some apps are configured with (http-echo -text).
	Text string
}

type listen struct {
	port  int32
	proto corev1.Protocol
	app   string
	http  bool
}

func tcp(port int32, app string, http bool) listen {
	return listen{port: port, proto: corev1.ProtocolTCP, app: app, http: http}
}

// imagePorts are the ports the known images' default processes listen on.
var imagePorts = map[string][]listen{
	"docker.io/library/nginx":                  {tcp(80, "nginx", true)},
	"docker.io/library/httpd":                  {tcp(80, "httpd", true)},
	"docker.io/library/caddy":                  {tcp(80, "caddy", true)},
	"docker.io/library/wordpress":              {tcp(80, "wordpress", true)},
	"docker.io/library/traefik":                {tcp(80, "traefik", true), tcp(8080, "traefik", true)},
	"docker.io/library/redis":                  {tcp(6379, "redis", false)},
	"docker.io/library/postgres":               {tcp(5432, "postgres", false)},
	"docker.io/library/mysql":                  {tcp(3306, "mysql", false), tcp(33060, "mysql", false)},
	"docker.io/library/mariadb":                {tcp(3306, "mariadb", false)},
	"docker.io/library/mongo":                  {tcp(27017, "mongo", false)},
	"docker.io/library/memcached":              {tcp(11211, "memcached", false)},
	"docker.io/library/rabbitmq":               {tcp(5672, "rabbitmq", false)},
	"docker.io/kennethreitz/httpbin":           {tcp(80, "httpbin", true)},
	"docker.io/paulbouwer/hello-kubernetes":    {tcp(8080, "hello-kubernetes", true)},
	"gcr.io/google-samples/hello-app":          {tcp(8080, "hello-app", true)},
	"registry.k8s.io/ingress-nginx/controller": {tcp(80, "ingress-nginx", true), tcp(443, "ingress-nginx", false), tcp(10254, "ingress-nginx", true)},
	"ecr/eks/coredns": {
		{port: 53, proto: corev1.ProtocolUDP, app: "coredns"}, tcp(53, "coredns", false),
		tcp(9153, "coredns-metrics", true), tcp(8080, "coredns-health", true), tcp(8181, "coredns-ready", true),
	},
	"registry.k8s.io/metrics-server/metrics-server": {tcp(10250, "metrics-server", false)},
}

// Listeners lists what listens in the pod's running containers: the
// known images' ports (nginx on 80, redis on 6379, …), servers started by
// the container's command (busybox httpd -p, nc -l -p, python -m
// http.server, agnhost netexec, http-echo -listen), and for images the
// simulator does not know, the declared containerPorts. A container that
// is not running listens on nothing. A declared port of a known image
// means nothing: nginx with containerPort 8080 still listens on 80 only.
func Listeners(pod *corev1.Pod) []Server {
	if pod == nil || isFinished(pod) {
		return nil
	}
	// A running container serves once its app has warmed up, which the
	// kubelet reports as Ready; one with a readiness probe may serve
	// while its probe fails (a probe on the wrong path), so it counts as
	// serving from the start.
	probed := map[string]bool{}
	for _, c := range pod.Spec.Containers {
		probed[c.Name] = c.ReadinessProbe != nil
	}
	running := map[string]bool{}
	for _, cs := range append(append([]corev1.ContainerStatus{}, pod.Status.ContainerStatuses...), pod.Status.InitContainerStatuses...) {
		if cs.State.Running != nil && (cs.Ready || probed[cs.Name]) {
			running[cs.Name] = true
		}
	}
	var out []Server
	containers := append(append([]corev1.Container{}, pod.Spec.Containers...), pod.Spec.InitContainers...)
	for i := range containers {
		c := &containers[i]
		if !running[c.Name] {
			continue
		}
		for _, l := range containerListens(c) {
			out = append(out, Server{Pod: pod, Container: c.Name, Port: l.port, Protocol: l.proto, App: l.app, HTTP: l.http, Text: l.text})
		}
	}
	return out
}

// Listener finds what listens on the pod's port/protocol.
func Listener(pod *corev1.Pod, port int32, proto corev1.Protocol) (Server, bool) {
	for _, s := range Listeners(pod) {
		if s.Port == port && s.Protocol == proto {
			return s, true
		}
	}
	return Server{}, false
}

type listenText struct {
	listen
	text string
}

func containerListens(c *corev1.Container) []listenText {
	argv := append(append([]string{}, c.Command...), c.Args...)
	if l, ok := commandListens(argv); ok {
		return l
	}
	ref, err := images.Parse(c.Image)
	if err != nil {
		return nil
	}
	img, known := images.Default().Lookup(ref)
	if !known {
		var out []listenText
		for _, p := range c.Ports {
			proto := cmp.Or(p.Protocol, corev1.ProtocolTCP)
			out = append(out, listenText{listen: listen{port: p.ContainerPort, proto: proto, app: "app", http: proto == corev1.ProtocolTCP}})
		}
		return out
	}
	var out []listenText
	switch img.Repository {
	case "docker.io/hashicorp/http-echo":
		return []listenText{httpEcho(argv)}
	case "registry.k8s.io/e2e-test-images/agnhost":
		return agnhost(argv)
	}
	for _, l := range imagePorts[img.Repository] {
		out = append(out, listenText{listen: l})
	}
	return out
}

// commandListens recognises servers started from a shell image's command:
// busybox `httpd [-f] -p PORT`, `nc -l[k] -p PORT` / `nc -lk PORT`,
// `python -m http.server [PORT]`, also inside `sh -c "…"`.
func commandListens(argv []string) ([]listenText, bool) {
	if len(argv) >= 3 && (path.Base(argv[0]) == "sh" || path.Base(argv[0]) == "bash") && argv[1] == "-c" {
		argv = strings.Fields(argv[2])
	}
	var out []listenText
	for i, a := range argv {
		switch path.Base(a) {
		case "httpd":
			port := flagValue(argv[i+1:], "-p", "80")
			if n, err := strconv.Atoi(strings.TrimPrefix(port, ":")); err == nil {
				out = append(out, listenText{listen: tcp(int32(n), "busybox-httpd", true)})
			}
		case "nc", "netcat":
			rest := argv[i+1:]
			listenMode := false
			for _, r := range rest {
				if strings.HasPrefix(r, "-") && strings.Contains(r, "l") && !strings.HasPrefix(r, "--") {
					listenMode = true
				}
			}
			if !listenMode {
				continue
			}
			port := flagValue(rest, "-p", "")
			if port == "" {
				for _, r := range rest {
					if _, err := strconv.Atoi(r); err == nil {
						port = r
					}
				}
			}
			proto := corev1.ProtocolTCP
			for _, r := range rest {
				if strings.HasPrefix(r, "-") && strings.Contains(r, "u") && !strings.HasPrefix(r, "--") {
					proto = corev1.ProtocolUDP
				}
			}
			if n, err := strconv.Atoi(port); err == nil {
				out = append(out, listenText{listen: listen{port: int32(n), proto: proto, app: "nc"}})
			}
		case "http.server":
			port := "8000"
			if i+1 < len(argv) {
				if _, err := strconv.Atoi(argv[i+1]); err == nil {
					port = argv[i+1]
				}
			}
			n, _ := strconv.Atoi(port)
			out = append(out, listenText{listen: tcp(int32(n), "python-http.server", true)})
		}
	}
	return out, len(out) > 0
}

// flagValue finds "-p 8080", "-p8080" or "-p=8080" in args.
func flagValue(args []string, flag, def string) string {
	for i, a := range args {
		switch {
		case a == flag && i+1 < len(args):
			return args[i+1]
		case strings.HasPrefix(a, flag+"="):
			return a[len(flag)+1:]
		case strings.HasPrefix(a, flag) && len(a) > len(flag) && a[len(flag)] >= '0' && a[len(flag)] <= '9':
			return a[len(flag):]
		}
	}
	return def
}

func httpEcho(argv []string) listenText {
	l := listenText{listen: tcp(5678, "http-echo", true)}
	for _, a := range argv {
		a = strings.TrimPrefix(a, "-")
		a = strings.TrimPrefix(a, "-")
		switch {
		case strings.HasPrefix(a, "listen="):
			addr := a[len("listen="):]
			if i := strings.LastIndexByte(addr, ':'); i >= 0 {
				if n, err := strconv.Atoi(addr[i+1:]); err == nil {
					l.port = int32(n)
				}
			}
		case strings.HasPrefix(a, "text="):
			l.text = strings.Trim(a[len("text="):], `"'`)
		}
	}
	return l
}

func agnhost(argv []string) []listenText {
	for i, a := range argv {
		switch a {
		case "netexec":
			port := flagValue(argv[i+1:], "--http-port", "8080")
			n, err := strconv.Atoi(port)
			if err != nil {
				n = 8080
			}
			udp := flagValue(argv[i+1:], "--udp-port", "8081")
			u, err := strconv.Atoi(udp)
			if err != nil {
				u = 8081
			}
			return []listenText{{listen: tcp(int32(n), "agnhost-netexec", true)},
				{listen: listen{port: int32(u), proto: corev1.ProtocolUDP, app: "agnhost-netexec"}}}
		case "serve-hostname":
			port := flagValue(argv[i+1:], "--port", "9376")
			n, err := strconv.Atoi(port)
			if err != nil {
				n = 9376
			}
			return []listenText{{listen: tcp(int32(n), "agnhost-serve-hostname", true)}}
		}
	}
	return nil
}
