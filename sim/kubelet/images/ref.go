package images

import (
	"errors"
	"strings"
)

// Ref is a parsed container image reference, normalised like containerd
// does: "nginx" is docker.io/library/nginx:latest.
type Ref struct {
	Original string // as written in the pod spec
	Domain   string // registry host, e.g. docker.io
	Path     string // repository path, e.g. library/nginx
	Tag      string // "latest" when neither tag nor digest was given
	Digest   string // "sha256:..." when pinned by digest
}

// Name is the fully qualified repository, e.g. docker.io/library/nginx.
func (r Ref) Name() string { return r.Domain + "/" + r.Path }

// String is the fully qualified reference containerd reports, e.g.
// docker.io/library/nginx:1.27 (or name@digest for digest references).
func (r Ref) String() string {
	if r.Digest != "" {
		return r.Name() + "@" + r.Digest
	}
	return r.Name() + ":" + r.Tag
}

// errInvalid is docker/distribution's parse error text.
var errInvalid = errors.New("invalid reference format")

// Parse parses and normalises an image reference. Errors carry the
// wording of the reference library the kubelet uses.
func Parse(image string) (Ref, error) {
	r := Ref{Original: image}
	rest := image
	if i := strings.IndexByte(rest, '@'); i >= 0 {
		r.Digest = rest[i+1:]
		rest = rest[:i]
		if !validDigest(r.Digest) {
			return Ref{}, errInvalid
		}
	}
	if i := strings.LastIndexByte(rest, ':'); i > strings.LastIndexByte(rest, '/') {
		r.Tag = rest[i+1:]
		rest = rest[:i]
		if !validTag(r.Tag) {
			return Ref{}, errInvalid
		}
	}
	if rest == "" {
		return Ref{}, errInvalid
	}
	parts := strings.Split(rest, "/")
	if len(parts) > 1 && (strings.ContainsAny(parts[0], ".:") || parts[0] == "localhost") {
		r.Domain, parts = parts[0], parts[1:]
	}
	for _, p := range parts {
		if strings.ToLower(p) != p {
			return Ref{}, errors.New("invalid reference format: repository name must be lowercase")
		}
		if !validComponent(p) {
			return Ref{}, errInvalid
		}
	}
	r.Path = strings.Join(parts, "/")
	switch r.Domain {
	case "", "index.docker.io", "registry-1.docker.io":
		r.Domain = "docker.io"
	}
	if r.Domain == "docker.io" && len(parts) == 1 {
		r.Path = "library/" + r.Path
	}
	if r.Tag == "" && r.Digest == "" {
		r.Tag = "latest"
	}
	return r, nil
}

// Normalize is the fully qualified form of an image reference
// ("nginx:1.27" -> "docker.io/library/nginx:1.27"), or the input unchanged
// when it does not parse. Node status lists images under these names.
func Normalize(image string) string {
	r, err := Parse(image)
	if err != nil {
		return image
	}
	return r.String()
}

func validDigest(d string) bool {
	const p = "sha256:"
	if !strings.HasPrefix(d, p) || len(d) != len(p)+64 {
		return false
	}
	for _, c := range d[len(p):] {
		if !isHex(c) {
			return false
		}
	}
	return true
}

func isHex(c rune) bool { return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' }

func validTag(t string) bool {
	if t == "" || len(t) > 128 || t[0] == '.' || t[0] == '-' {
		return false
	}
	for _, c := range t {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '.' || c == '-') {
			return false
		}
	}
	return true
}

// validComponent checks one path component: lower-case alphanumerics
// separated by single '.', '_', '-' (or "__").
func validComponent(p string) bool {
	if p == "" || !isAlnum(rune(p[0])) || !isAlnum(rune(p[len(p)-1])) {
		return false
	}
	for _, c := range p {
		if !isAlnum(c) && c != '.' && c != '_' && c != '-' {
			return false
		}
	}
	return true
}

func isAlnum(c rune) bool { return c >= 'a' && c <= 'z' || c >= '0' && c <= '9' }
