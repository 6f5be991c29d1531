package shell

import (
	"path"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"

	"github.com/kubesim/kubesim/sim/kubelet/images"
	"github.com/kubesim/kubesim/sim/network/netcmd"
)

// Image is what a container's file system holds: whether it has a shell
// and which one, the utilities on its PATH, its own variables and files.
type Image struct {
	// Ref is the reference as the pod spec gives it.
	Ref        string
	Repository string
	Tag        string
	// NoShell: a distroless or scratch image (only its own binary).
	NoShell bool
	Flavor  Flavor
	// Bash: /bin/bash exists besides /bin/sh.
	Bash bool
	// Tools are the utilities the image has besides the base set of its
	// flavour (curl, wget, nslookup, dig, nc, ps, ...).
	Tools []string
	// Lacks are base utilities the image does not have (Debian's slim
	// images have no ps).
	Lacks []string
	// App are the image's own executables (nginx, python, ...).
	App []string
	// Entrypoint is the default command line (PID 1's cmdline).
	Entrypoint []string
	Env        []EnvVar
	Files      []File
}

// File is a file the image ships.
type File struct{ Path, Content string }

// busyboxApplets are the utilities of busybox (busybox, alpine and the
// images built on them); coreutils is the Debian base set.
var (
	busyboxApplets = words(`[ awk base64 basename cat chmod chown cp cut date dd df dirname du echo env expr false find free grep
		head hostname id kill ln ls md5sum mkdir mv nc nproc nslookup printenv printf ps pwd readlink rm rmdir sed seq sh
		sha256sum sleep sort stat tail tee test time timeout top touch tr true uname uniq uptime wc wget which whoami xargs yes`)
	coreutils = words(`[ awk base64 basename cat chmod chown cp cut date dd df dirname du echo env expr false find grep head
		hostname id kill ln ls md5sum mkdir mv nproc printenv printf pwd readlink rm rmdir sed seq sh sha256sum sleep sort stat
		tail tee test timeout touch tr true uname uniq wc which whoami xargs yes`)
)

func words(s string) []string { return strings.Fields(s) }

// ImageOf describes an image reference.
func ImageOf(ref string) Image {
	r, err := images.Parse(ref)
	name, tag := ref, "latest"
	if err == nil {
		name, tag = r.Name(), r.Tag
		if tag == "" {
			tag = "latest"
		}
	}
	img := Image{Ref: ref, Repository: name, Tag: tag, Flavor: Ash}
	base := path.Base(name)
	has := func(parts ...string) bool {
		for _, p := range parts {
			if strings.Contains(name, p) {
				return true
			}
		}
		return false
	}
	alpine := strings.Contains(tag, "alpine")
	debian := func(app ...string) {
		img.App = app
		if !alpine {
			img.Flavor, img.Bash = Dash, true
		}
	}
	switch {
	case has("distroless", "/pause", "coredns", "metrics-server", "http-echo", "hello-app", "karpenter", "aws-load-balancer-controller",
		"cluster-autoscaler", "aws-ebs-csi-driver", "aws-network-policy-agent", "amazon-k8s-cni", "kube-proxy", "kube-state-metrics", "/scratch"):
		img.NoShell = true
		img.App = []string{"/" + base}
		switch {
		case has("pause"):
			img.App = []string{"/pause"}
		case has("coredns"):
			img.App = []string{"/coredns"}
		case has("amazon-k8s-cni"):
			img.App = []string{"/app/aws-vpc-cni"}
		}
		img.Entrypoint = img.App
	case has("library/nginx", "nginx/nginx"):
		debian("nginx")
		img.Tools = []string{"curl"}
		img.Lacks = []string{"ps"}
		img.Entrypoint = []string{"nginx: master process nginx -g daemon off;"}
		img.Env = []EnvVar{{"NGINX_VERSION", versionOf(tag, "1.29.3")}, {"NJS_VERSION", "0.9.4"}, {"NJS_RELEASE", "1~bookworm"}, {"PKG_RELEASE", "1~bookworm"}, {"DYNPKG_RELEASE", "1~bookworm"}}
		img.Files = []File{{"/usr/share/nginx/html/index.html", images.NginxIndex}, {"/usr/share/nginx/html/50x.html", "<!DOCTYPE html>\n<html>\n<head>\n<title>Error</title>\n</head>\n<body>\n<h1>An error occurred.</h1>\n</body>\n</html>\n"},
			{"/etc/nginx/conf.d/default.conf", "server {\n    listen       80;\n    listen  [::]:80;\n    server_name  localhost;\n\n    location / {\n        root   /usr/share/nginx/html;\n        index  index.html index.htm;\n    }\n}\n"}}
	case has("library/httpd"):
		debian("httpd", "httpd-foreground")
		img.Lacks = []string{"ps"}
		img.Entrypoint = []string{"httpd", "-DFOREGROUND"}
		img.Env = []EnvVar{{"HTTPD_PREFIX", "/usr/local/apache2"}, {"HTTPD_VERSION", versionOf(tag, "2.4.65")}}
		img.Files = []File{{"/usr/local/apache2/htdocs/index.html", "<html><body><h1>It works!</h1></body></html>\n"}}
	case has("library/redis"):
		debian("redis-server", "redis-cli")
		img.Entrypoint = []string{"redis-server *:6379"}
		img.Env = []EnvVar{{"REDIS_VERSION", versionOf(tag, "8.2.2")}}
	case has("library/postgres"):
		debian("postgres", "psql", "pg_isready")
		img.Entrypoint = []string{"postgres"}
		img.Env = []EnvVar{{"LANG", "en_US.utf8"}, {"PG_MAJOR", strings.Split(versionOf(tag, "18.0"), ".")[0]}, {"PG_VERSION", versionOf(tag, "18.0")}, {"PGDATA", "/var/lib/postgresql/data"}}
	case has("library/mysql", "library/mariadb"):
		debian("mysqld", "mysql")
		img.Entrypoint = []string{"mysqld"}
	case has("library/python"):
		debian("python", "python3", "pip", "pip3")
		img.Tools = []string{"curl", "wget", "ps"}
		img.Entrypoint = []string{"python3"}
		img.Env = []EnvVar{{"LANG", "C.UTF-8"}, {"PYTHON_VERSION", versionOf(tag, "3.14.0")}}
	case has("library/node"):
		debian("node", "npm", "npx", "yarn")
		img.Tools = []string{"curl", "wget", "ps"}
		img.Entrypoint = []string{"node"}
		img.Env = []EnvVar{{"NODE_VERSION", versionOf(tag, "25.1.0")}, {"YARN_VERSION", "1.22.22"}}
	case has("library/golang"):
		debian("go")
		img.Tools = []string{"curl", "wget", "ps"}
		img.Entrypoint = []string{"bash"}
		img.Env = []EnvVar{{"GOLANG_VERSION", versionOf(tag, "1.25.4")}, {"GOPATH", "/go"}}
	case has("library/ubuntu", "library/debian"):
		img.Flavor, img.Bash = Dash, true
		img.Entrypoint = []string{"bash"}
		img.Tools = []string{"ps"}
	case has("library/centos", "amazonlinux"):
		img.Flavor, img.Bash = Bash, true
		img.Entrypoint = []string{"bash"}
		img.Tools = []string{"ps", "curl"}
	case has("netshoot"):
		img.Bash = true
		img.Tools = []string{"curl", "dig", "host", "nslookup", "nc", "ps", "wget", "ping", "tcpdump", "ip", "ss", "netstat"}
		img.Entrypoint = []string{"zsh"}
	case has("curlimages/curl"):
		img.Tools = []string{"curl"}
		img.App = []string{"curl"}
		img.Entrypoint = []string{"curl"}
	case has("library/busybox", "library/alpine"):
		img.Entrypoint = []string{"sh"}
	case has("agnhost"):
		img.App = []string{"/agnhost"}
		img.Entrypoint = []string{"/agnhost", "pause"}
	default:
		img.Entrypoint = []string{"/docker-entrypoint.sh"}
	}
	return img
}

// versionOf is a tag's version, or the line's newest.
func versionOf(tag, newest string) string {
	v, _, _ := strings.Cut(tag, "-")
	if v == "" || v[0] < '0' || v[0] > '9' {
		return newest
	}
	if strings.Count(v, ".") < 2 && strings.HasPrefix(newest, v+".") {
		return newest
	}
	return v
}

// Has reports whether the image has an executable of this name on its
// PATH.
func (img Image) Has(name string) bool {
	if slices.Contains(img.App, name) || slices.Contains(img.App, "/"+name) {
		return true
	}
	if img.NoShell {
		return false
	}
	if name == "bash" {
		return img.Bash
	}
	if isNetCommand(name) {
		return netcmd.Has(img.Ref, name)
	}
	if slices.Contains(img.Tools, name) {
		return true
	}
	if slices.Contains(img.Lacks, name) {
		return false
	}
	switch name {
	case "sh", "ash", "dash":
		return name == "sh" || (name == "ash") == (img.Flavor == Ash)
	}
	if img.Flavor == Ash {
		return slices.Contains(busyboxApplets, name)
	}
	return slices.Contains(coreutils, name)
}

// hasPath reports whether an absolute executable path exists.
func (img Image) hasPath(p string) bool {
	if slices.Contains(img.App, p) {
		return true
	}
	switch path.Dir(p) {
	case "/bin", "/usr/bin", "/sbin", "/usr/sbin", "/usr/local/bin":
		return img.Has(path.Base(p))
	}
	return false
}

func (img Image) pathVar() string {
	if img.NoShell {
		return "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
	}
	return "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
}

func (img Image) osRelease() string {
	switch {
	case img.NoShell:
		return "PRETTY_NAME=\"Distroless\"\nNAME=\"Debian GNU/Linux\"\nID=debian\n"
	case img.Flavor == Ash && !strings.Contains(img.Repository, "busybox"):
		return "NAME=\"Alpine Linux\"\nID=alpine\nVERSION_ID=3.22.2\nPRETTY_NAME=\"Alpine Linux v3.22\"\nHOME_URL=\"https://alpinelinux.org/\"\nBUG_REPORT_URL=\"https://gitlab.alpinelinux.org/alpine/aports/-/issues\"\n"
	case img.Flavor == Ash:
		return ""
	case strings.Contains(img.Repository, "ubuntu"):
		return "PRETTY_NAME=\"Ubuntu 24.04.3 LTS\"\nNAME=\"Ubuntu\"\nVERSION_ID=\"24.04\"\nVERSION=\"24.04.3 LTS (Noble Numbat)\"\nID=ubuntu\nID_LIKE=debian\n"
	case strings.Contains(img.Repository, "amazonlinux"):
		return "NAME=\"Amazon Linux\"\nVERSION=\"2023\"\nID=\"amzn\"\nID_LIKE=\"fedora\"\nVERSION_ID=\"2023\"\nPRETTY_NAME=\"Amazon Linux 2023\"\n"
	}
	return "PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nNAME=\"Debian GNU/Linux\"\nVERSION_ID=\"12\"\nVERSION=\"12 (bookworm)\"\nVERSION_CODENAME=bookworm\nID=debian\nHOME_URL=\"https://www.debian.org/\"\n"
}

// mainCommand is PID 1's command line.
func (sh *Shell) mainCommand() []string { return mainCommandOf(sh.ctr) }

// mainCommandOf is a container's process: its command and args, else
// its image's entrypoint.
func mainCommandOf(ctr *corev1.Container) []string {
	argv := append(append([]string(nil), ctr.Command...), ctr.Args...)
	if len(ctr.Command) == 0 && len(ctr.Args) == 0 {
		argv = ImageOf(ctr.Image).Entrypoint
	}
	return argv
}
