package images

import (
	"regexp"
	"time"
)

const (
	ms = time.Millisecond
	s  = time.Second
)

// Variant sets shared by the Debian-based official images.
var (
	debianVariants = []string{"alpine*", "bookworm", "bullseye", "trixie", "slim*"}
)

// builtin is the default catalogue. Sizes are compressed linux/amd64
// sizes from Docker Hub / ECR (rounded), warm-up and memory are typical
// figures for the default command with no load.
var builtin = []Image{
	{Repository: "docker.io/library/nginx", Also: []string{"public.ecr.aws/nginx/nginx"},
		SizeMiB: 68, AlpineMiB: 20, WarmUp: 300 * ms, MemoryMiB: 8, StopTime: 100 * ms,
		Versions: []string{"1.7.12", "1.8.1", "1.9.15", "1.10.3", "1.11.13", "1.12.2", "1.13.12", "1.14.2", "1.15.12",
			"1.16.1", "1.17.10", "1.18.0", "1.19.10", "1.20.2", "1.21.6", "1.22.1", "1.23.4", "1.24.0", "1.25.5",
			"1.26.3", "1.27.5", "1.28.0", "1.29.3"},
		Variants:   []string{"alpine", "alpine-slim", "alpine-perl", "alpine-otel", "perl", "otel", "bookworm*", "trixie*", "alpine3*"},
		TagAliases: []string{"stable", "mainline"}, App: []string{"nginx", "/docker-entrypoint.sh"}},
	{Repository: "docker.io/library/httpd", SizeMiB: 56, AlpineMiB: 22, WarmUp: 400 * ms, MemoryMiB: 10, StopTime: 200 * ms,
		Versions: []string{"2.2.34", "2.4.65"}, Variants: debianVariants, App: []string{"httpd", "httpd-foreground"}},
	{Repository: "docker.io/library/redis", SizeMiB: 45, AlpineMiB: 17, WarmUp: 200 * ms, MemoryMiB: 8, StopTime: 200 * ms,
		Versions: []string{"3.2.12", "4.0.14", "5.0.14", "6.0.20", "6.2.20", "7.0.15", "7.2.11", "7.4.6", "8.0.4", "8.2.2"},
		Variants: debianVariants, App: []string{"redis-server", "redis-sentinel", "docker-entrypoint.sh"}},
	{Repository: "docker.io/library/postgres", SizeMiB: 150, AlpineMiB: 105, WarmUp: 3 * s, MemoryMiB: 30, StopTime: 500 * ms,
		Versions: []string{"9.6.24", "10.23", "11.22", "12.22", "13.22", "14.19", "15.14", "16.10", "17.6", "18.0"},
		Variants: debianVariants, App: []string{"postgres", "docker-entrypoint.sh"}},
	{Repository: "docker.io/library/mysql", SizeMiB: 165, WarmUp: 10 * s, MemoryMiB: 400, StopTime: 2 * s,
		Versions: []string{"5.7.44", "8.0.44", "8.4.7", "9.5.0"}, Variants: []string{"oracle", "debian", "bookworm"},
		TagAliases: []string{"lts", "innovation"}, App: []string{"mysqld", "docker-entrypoint.sh"}},
	{Repository: "docker.io/library/mariadb", SizeMiB: 120, WarmUp: 5 * s, MemoryMiB: 100, StopTime: time.Second,
		Versions: []string{"10.6.23", "10.11.14", "11.4.8", "11.8.3", "12.0.2"}, Variants: []string{"noble", "jammy", "ubi*"},
		TagAliases: []string{"lts"}, App: []string{"mariadbd", "docker-entrypoint.sh"}},
	{Repository: "docker.io/library/mongo", SizeMiB: 250, WarmUp: 2 * s, MemoryMiB: 120, StopTime: time.Second,
		Versions: []string{"4.4.29", "5.0.31", "6.0.26", "7.0.25", "8.0.15"}, Variants: []string{"jammy", "noble", "focal"},
		App: []string{"mongod", "docker-entrypoint.sh"}},
	{Repository: "docker.io/library/memcached", SizeMiB: 30, AlpineMiB: 5, WarmUp: 100 * ms, MemoryMiB: 4, StopTime: 100 * ms,
		Versions: []string{"1.5.22", "1.6.39"}, Variants: debianVariants, App: []string{"memcached"}},
	{Repository: "docker.io/library/rabbitmq", SizeMiB: 100, AlpineMiB: 75, WarmUp: 8 * s, MemoryMiB: 120, StopTime: 2 * s,
		Versions: []string{"3.13.7", "4.0.9", "4.1.4", "4.2.0"}, Variants: []string{"management", "alpine", "management-alpine"},
		TagAliases: []string{"management", "management-alpine"}, App: []string{"rabbitmq-server", "docker-entrypoint.sh"}},
	{Repository: "docker.io/library/traefik", SizeMiB: 50, WarmUp: 500 * ms, MemoryMiB: 40, StopTime: 200 * ms,
		Versions: []string{"2.11.30", "3.5.4"}, TagAliases: []string{"v2", "v3"}, App: []string{"traefik"}},
	{Repository: "docker.io/library/haproxy", SizeMiB: 40, AlpineMiB: 12, WarmUp: 100 * ms, MemoryMiB: 10, StopTime: 100 * ms,
		Versions: []string{"2.8.16", "3.0.12", "3.2.7"}, Variants: debianVariants, TagAliases: []string{"lts"}, App: []string{"haproxy"}},
	{Repository: "docker.io/library/caddy", SizeMiB: 18, WarmUp: 200 * ms, MemoryMiB: 15, StopTime: 100 * ms,
		Versions: []string{"2.10.2"}, Variants: []string{"alpine", "builder*"}, App: []string{"caddy"}},
	{Repository: "docker.io/library/wordpress", SizeMiB: 250, WarmUp: 2 * s, MemoryMiB: 40, StopTime: 200 * ms,
		Versions: []string{"6.8.3"}, Variants: []string{"apache", "fpm", "fpm-alpine", "php8*", "cli*"}, App: []string{"apache2-foreground", "docker-entrypoint.sh"}},

	// Language images: their default command is a REPL or a shell, which
	// exits at once without a terminal. `python app.py`-like commands
	// start an application (runs until stopped).
	{Repository: "docker.io/library/python", SizeMiB: 390, SlimMiB: 45, AlpineMiB: 18, WarmUp: 500 * ms, MemoryMiB: 10,
		Exits: true, Shell: true, IgnoresSIGTERM: true,
		Versions: []string{"2.7.18", "3.6.15", "3.7.17", "3.8.20", "3.9.24", "3.10.19", "3.11.14", "3.12.12", "3.13.9", "3.14.0"},
		Variants: debianVariants, App: []string{"python", "python3", "gunicorn", "uvicorn", "flask", "pip", "pip3"}},
	{Repository: "docker.io/library/node", SizeMiB: 390, SlimMiB: 75, AlpineMiB: 55, WarmUp: 500 * ms, MemoryMiB: 40,
		Exits: true, Shell: true, IgnoresSIGTERM: true,
		Versions: []string{"10.24.1", "12.22.12", "14.21.3", "16.20.2", "18.20.8", "20.19.5", "22.21.0", "24.11.0", "25.1.0"},
		Variants: debianVariants, TagAliases: []string{"lts", "current"}, App: []string{"node", "npm", "npx", "yarn"}},
	{Repository: "docker.io/library/golang", SizeMiB: 300, AlpineMiB: 90, WarmUp: 100 * ms, MemoryMiB: 2,
		Exits: true, Shell: true,
		Versions: []string{"1.16.15", "1.17.13", "1.18.10", "1.19.13", "1.20.14", "1.21.13", "1.22.12", "1.23.12", "1.24.9", "1.25.4"},
		Variants: debianVariants, App: []string{"go"}},
	{Repository: "docker.io/library/openjdk", SizeMiB: 330, SlimMiB: 210, WarmUp: 2 * s, MemoryMiB: 150,
		Exits: true, Shell: true, Versions: []string{"8", "11", "17", "21", "22", "23", "24", "25"}, Variants: []string{"jdk*", "jre*", "slim*"},
		App: []string{"java"}},
	{Repository: "docker.io/library/eclipse-temurin", SizeMiB: 190, AlpineMiB: 160, WarmUp: 2 * s, MemoryMiB: 150,
		Exits: true, Shell: true, Versions: []string{"8", "11", "17", "21", "25"}, Variants: []string{"jdk*", "jre*", "alpine*", "noble", "jammy"},
		App: []string{"java"}},

	// Base images with a shell: command/args are interpreted.
	{Repository: "docker.io/library/busybox", SizeMiB: 2.1, MemoryMiB: 1, Exits: true, Shell: true, IgnoresSIGTERM: true,
		Versions: []string{"1.24.2", "1.25.1", "1.26.2", "1.27.2", "1.28.4", "1.29.3", "1.30.1", "1.31.1", "1.32.1", "1.33.1", "1.34.1", "1.35.0", "1.36.1", "1.37.0"},
		Variants: []string{"musl", "glibc", "uclibc"}, TagAliases: []string{"stable", "unstable"}},
	{Repository: "docker.io/library/alpine", SizeMiB: 3.5, MemoryMiB: 1, Exits: true, Shell: true, IgnoresSIGTERM: true,
		Versions: []string{"3.1.4", "3.2.3", "3.3.3", "3.4.6", "3.5.3", "3.6.5", "3.7.3", "3.8.5", "3.9.6", "3.10.9", "3.11.13", "3.12.12",
			"3.13.12", "3.14.10", "3.15.11", "3.16.9", "3.17.10", "3.18.12", "3.19.9", "3.20.8", "3.21.5", "3.22.2"},
		TagAliases: []string{"edge"}},
	{Repository: "docker.io/library/ubuntu", SizeMiB: 28, MemoryMiB: 1, Exits: true, Shell: true, IgnoresSIGTERM: true,
		TagAliases: []string{"rolling", "devel", "14.04", "16.04", "18.04", "20.04", "22.04", "24.04", "25.04", "25.10",
			"trusty", "xenial", "bionic", "focal", "jammy", "noble", "plucky", "questing"}},
	{Repository: "docker.io/library/debian", SizeMiB: 48, SlimMiB: 28, MemoryMiB: 1, Exits: true, Shell: true, IgnoresSIGTERM: true,
		Versions: []string{"9.13", "10.13", "11.11", "12.12", "13.1"}, Variants: []string{"slim"},
		TagAliases: []string{"stable", "oldstable", "testing", "unstable", "sid", "stretch", "buster", "bullseye", "bookworm", "trixie",
			"stretch-slim", "buster-slim", "bullseye-slim", "bookworm-slim", "trixie-slim", "stable-slim"}},
	{Repository: "docker.io/library/centos", SizeMiB: 80, MemoryMiB: 1, Exits: true, Shell: true, IgnoresSIGTERM: true,
		Versions: []string{"6.10", "7.9.2009", "8.4.2105"}, TagAliases: []string{"centos6", "centos7", "centos8"}},
	{Repository: "docker.io/library/amazonlinux", Also: []string{"public.ecr.aws/amazonlinux/amazonlinux"}, SizeMiB: 52, MemoryMiB: 1,
		Exits: true, Shell: true, IgnoresSIGTERM: true, Versions: []string{"1", "2", "2023"}},
	{Repository: "docker.io/curlimages/curl", SizeMiB: 11, MemoryMiB: 2, Exits: true, Shell: true, IgnoresSIGTERM: true,
		Versions: []string{"7.88.1", "8.17.0"}, App: []string{"curl"}},
	{Repository: "docker.io/nicolaka/netshoot", SizeMiB: 190, MemoryMiB: 2, Exits: true, Shell: true, IgnoresSIGTERM: true,
		Versions: []string{"0.14"}, TagAliases: []string{"v0.1", "v0.5", "v0.9", "v0.11", "v0.13", "v0.14"}},

	// Test and demo servers.
	{Repository: "registry.k8s.io/e2e-test-images/agnhost", Also: []string{"k8s.gcr.io/e2e-test-images/agnhost"},
		SizeMiB: 55, WarmUp: 100 * ms, MemoryMiB: 10, StopTime: 100 * ms, Versions: []string{"2.56"}, App: []string{"/agnhost", "agnhost"}},
	{Repository: "docker.io/hashicorp/http-echo", SizeMiB: 3.5, WarmUp: 50 * ms, MemoryMiB: 3, StopTime: 50 * ms,
		Versions: []string{"0.2.3", "1.0.0"}, App: []string{"/http-echo"}},
	{Repository: "docker.io/kennethreitz/httpbin", SizeMiB: 190, WarmUp: 2 * s, MemoryMiB: 60, StopTime: 500 * ms, App: []string{"gunicorn"}},
	{Repository: "docker.io/paulbouwer/hello-kubernetes", SizeMiB: 45, WarmUp: 500 * ms, MemoryMiB: 30, IgnoresSIGTERM: true,
		Versions: []string{"1.10.1"}},
	{Repository: "gcr.io/google-samples/hello-app", Also: []string{"us-docker.pkg.dev/google-samples/containers/gke/hello-app"},
		SizeMiB: 4.5, WarmUp: 50 * ms, MemoryMiB: 3, StopTime: 50 * ms, Versions: []string{"1.0", "2.0"}},

	// Kubernetes and EKS system images.
	{Repository: "registry.k8s.io/pause", Also: []string{"k8s.gcr.io/pause", "ecr/eks/pause"},
		SizeMiB: 0.3, MemoryMiB: 0.5, StopTime: 10 * ms, Versions: []string{"3.9", "3.10.1"}},
	{Repository: "ecr/eks/kube-proxy", Also: []string{"public.ecr.aws/eks-distro/kubernetes/kube-proxy", "registry.k8s.io/kube-proxy"},
		SizeMiB: 30, WarmUp: 500 * ms, MemoryMiB: 20, StopTime: 100 * ms,
		TagPattern: regexp.MustCompile(`^v1\.\d+\.\d+(-minimal)?(-eksbuild\.\d+|-eks-\d+-\d+)?$`), App: []string{"kube-proxy"}},
	// The CNI init container copies the plugin binaries and exits.
	{Repository: "ecr/amazon-k8s-cni-init", Also: []string{"public.ecr.aws/eks/amazon-k8s-cni-init"},
		SizeMiB: 45, MemoryMiB: 5, Exits: true,
		TagPattern: regexp.MustCompile(`^v1\.\d+\.\d+(-eksbuild\.\d+)?$`)},
	{Repository: "ecr/amazon-k8s-cni", Also: []string{"public.ecr.aws/eks/amazon-k8s-cni"},
		SizeMiB: 45, WarmUp: 3 * s, MemoryMiB: 40, StopTime: 500 * ms,
		TagPattern: regexp.MustCompile(`^v1\.\d+\.\d+(-eksbuild\.\d+)?$`), App: []string{"/app/aws-vpc-cni"}},
	{Repository: "ecr/amazon/aws-network-policy-agent", SizeMiB: 25, WarmUp: time.Second, MemoryMiB: 20, StopTime: 200 * ms,
		TagPattern: regexp.MustCompile(`^v1\.\d+\.\d+(-eksbuild\.\d+)?$`)},
	{Repository: "ecr/eks/coredns", Also: []string{"registry.k8s.io/coredns/coredns", "docker.io/coredns/coredns"},
		SizeMiB: 20, WarmUp: 500 * ms, MemoryMiB: 15, StopTime: 100 * ms,
		TagPattern: regexp.MustCompile(`^v?1\.\d+\.\d+(-eksbuild\.\d+)?$`), App: []string{"/coredns", "coredns"}},
	{Repository: "registry.k8s.io/metrics-server/metrics-server", Also: []string{"ecr/eks/metrics-server"},
		SizeMiB: 20, WarmUp: 2 * s, MemoryMiB: 25, StopTime: 100 * ms,
		TagPattern: regexp.MustCompile(`^v0\.\d+\.\d+(-eksbuild\.\d+)?$`)},
	{Repository: "registry.k8s.io/ingress-nginx/controller", SizeMiB: 110, WarmUp: 3 * s, MemoryMiB: 90, StopTime: 2 * s,
		TagPattern: regexp.MustCompile(`^v1\.\d+\.\d+$`)},
	{Repository: "registry.k8s.io/autoscaling/cluster-autoscaler", SizeMiB: 40, WarmUp: 2 * s, MemoryMiB: 60, StopTime: 200 * ms,
		TagPattern: regexp.MustCompile(`^v1\.\d+\.\d+$`)},
	{Repository: "public.ecr.aws/karpenter/controller", SizeMiB: 45, WarmUp: 3 * s, MemoryMiB: 120, StopTime: 500 * ms,
		TagPattern: regexp.MustCompile(`^(v?0\.\d+\.\d+|v?1\.\d+\.\d+)$`)},
	{Repository: "public.ecr.aws/eks/aws-load-balancer-controller", Also: []string{"ecr/amazon/aws-load-balancer-controller"},
		SizeMiB: 35, WarmUp: 3 * s, MemoryMiB: 60, StopTime: 200 * ms, TagPattern: regexp.MustCompile(`^v2\.\d+\.\d+$`)},
	{Repository: "public.ecr.aws/ebs-csi-driver/aws-ebs-csi-driver", Also: []string{"ecr/eks/aws-ebs-csi-driver"},
		SizeMiB: 40, WarmUp: time.Second, MemoryMiB: 30, StopTime: 200 * ms, TagPattern: regexp.MustCompile(`^v1\.\d+\.\d+(-eksbuild\.\d+)?$`)},
}

var defaultCatalogue = func() *Catalogue {
	c := New()
	for _, img := range builtin {
		c.Add(img)
	}
	return c
}()

// Default returns the built-in catalogue. It is shared: do not Add to it;
// use Clone for a catalogue a scenario extends.
func Default() *Catalogue { return defaultCatalogue }

// Clone returns a copy of c that can be extended independently.
func (c *Catalogue) Clone() *Catalogue {
	out := New()
	for k, v := range c.byName {
		out.byName[k] = v
	}
	return out
}
