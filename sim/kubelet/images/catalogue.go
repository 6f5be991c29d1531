// Package images is the simulated container runtime's knowledge of
// container images: which references exist in their registries, how big
// they are, and how the processes inside behave (start-up time, memory,
// whether they run forever, how they react to SIGTERM).
//
// # Which images can be pulled
//
// An image whose repository is in the catalogue can be pulled only with a
// tag the catalogue accepts; any other tag fails with "not found", like
// nginx:1.999 (or nginx:1.161, the broken image of the Kubernetes docs'
// rollout example). A tag is accepted if it is "latest", one of the
// image's tag aliases ("stable", "alpine", "noble", ...), or a version
// optionally followed by "-<variant>". Versions are checked against the
// newest release of each listed line: with the line 1.27.5, the tags 1,
// 1.27, 1.27.0 ... 1.27.5 exist, 1.27.6 does not. Digest references to a
// known repository always resolve.
//
// A repository that is not in the catalogue is assumed to exist (a public
// or private image we do not model) and gets the default behaviour: about
// 50 MiB, ready a second after start, runs until stopped. It fails to pull
// only when it is obviously fake: a repository or tag containing
// "doesnotexist", "does-not-exist", "nonexistent", "non-existent",
// "notexist", "invalid", "bogus" or "no-such" ("pull access denied,
// repository does not exist"), or a registry host under .invalid, .test,
// .example, .local or example.com ("no such host"). References that do
// not parse (upper case, bad characters) are InvalidImageName.
package images

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Image is what the simulation knows about one image repository.
type Image struct {
	// Repository is the fully qualified name (docker.io/library/nginx).
	Repository string
	// Also lists other names of the same content (mirrors, other regions).
	Also []string
	// SizeMiB is the compressed amd64 size of the default variant;
	// AlpineMiB and SlimMiB (if set) apply to tags naming those variants.
	SizeMiB, AlpineMiB, SlimMiB float64
	// WarmUp is how long the process takes from start to serving
	// (readiness and startup probes fail until then).
	WarmUp time.Duration
	// MemoryMiB is the steady resident memory of the default process.
	MemoryMiB float64
	// Exits says the default command ends at once with exit code 0 (a
	// shell or REPL without a terminal): such a pod completes, or
	// crash-loops under restartPolicy Always.
	Exits bool
	// Shell says the image has a POSIX shell and the usual utilities, so
	// command/args like `sleep 3600` or `sh -c "exit 1"` are interpreted;
	// unknown executables fail to start.
	Shell bool
	// StopTime is how long the default process takes to exit on SIGTERM;
	// IgnoresSIGTERM means it runs on until SIGKILL at the grace period's
	// end (a PID 1 without a handler: node, python, sleep).
	StopTime       time.Duration
	IgnoresSIGTERM bool
	// Versions, Variants and TagAliases define the existing tags (see the
	// package comment). A variant ending in '*' matches by prefix
	// ("alpine*" accepts alpine3.20). TagPattern, if set, also accepts
	// matching tags (EKS build tags like v1.32.0-eksbuild.2).
	Versions, Variants, TagAliases []string
	TagPattern                     *regexp.Regexp
	// App lists the image's own executables: a command starting with one
	// of them behaves like the default command.
	App []string
}

// Catalogue is a set of known images, looked up by repository name.
type Catalogue struct{ byName map[string]*Image }

// New returns an empty catalogue.
func New() *Catalogue { return &Catalogue{byName: map[string]*Image{}} }

// Add registers img under its repository and its other names (replacing
// earlier entries of the same names).
func (c *Catalogue) Add(img Image) {
	p := &img
	c.byName[img.Repository] = p
	for _, n := range img.Also {
		c.byName[n] = p
	}
}

// Lookup returns the image of a parsed reference, if known.
func (c *Catalogue) Lookup(r Ref) (*Image, bool) {
	if img, ok := c.byName[r.Name()]; ok {
		return img, true
	}
	if ecrPrivate.MatchString(r.Domain) {
		img, ok := c.byName["ecr/"+r.Path]
		return img, ok
	}
	return nil, false
}

// ecrPrivate matches private ECR registry hosts of any account and region.
var ecrPrivate = regexp.MustCompile(`^\d{12}\.dkr\.ecr\.[a-z0-9-]+\.amazonaws\.com(\.cn)?$`)

// Names lists the repositories in the catalogue, sorted.
func (c *Catalogue) Names() []string {
	var out []string
	for n, img := range c.byName {
		if n == img.Repository {
			out = append(out, n)
		}
	}
	slices.Sort(out)
	return out
}

// DefaultImage is the behaviour of a repository the catalogue does not
// know: a plausible application image.
var DefaultImage = Image{
	SizeMiB: 50, WarmUp: time.Second, MemoryMiB: 64, StopTime: 500 * time.Millisecond,
}

// Resolved is the outcome of resolving a reference in its registry.
type Resolved struct {
	Ref       Ref
	Image     *Image // the catalogue entry, or &DefaultImage
	SizeBytes int64
	Digest    string // sha256:..., the repo digest the image resolves to
}

// ImageID is what container statuses report as imageID:
// docker.io/library/nginx@sha256:....
func (r Resolved) ImageID() string { return r.Ref.Name() + "@" + r.Digest }

// PullError is a failed pull, with the CRI error text the kubelet shows.
type PullError struct{ Message string }

func (e *PullError) Error() string { return e.Message }

// Resolve looks a reference up in its registry: size and digest of an
// existing image, or the error a real pull would end with.
func (c *Catalogue) Resolve(r Ref) (Resolved, error) {
	img, known := c.Lookup(r)
	full := r.String()
	switch {
	case fakeHost(r.Domain):
		host := r.Domain
		return Resolved{}, &PullError{fmt.Sprintf("rpc error: code = Unknown desc = failed to pull and unpack image %q: failed to resolve reference %q: failed to do request: Head %q: dial tcp: lookup %s: no such host",
			full, full, "https://"+host+"/v2/"+r.Path+"/manifests/"+refPart(r), hostOnly(host))}
	case !known && looksFake(r.Path):
		return Resolved{}, &PullError{fmt.Sprintf("rpc error: code = Unknown desc = failed to pull and unpack image %q: failed to resolve reference %q: pull access denied, repository does not exist or may require authorization: server message: insufficient_scope: authorization failed",
			full, full)}
	case r.Digest == "" && (looksFake(r.Tag) || known && !img.TagExists(r.Tag)):
		return Resolved{}, &PullError{fmt.Sprintf("rpc error: code = NotFound desc = failed to pull and unpack image %q: failed to resolve reference %q: %s: not found", full, full, full)}
	}
	if !known {
		img = &DefaultImage
	}
	digest := r.Digest
	if digest == "" {
		sum := sha256.Sum256([]byte(full))
		digest = "sha256:" + hex.EncodeToString(sum[:])
	}
	return Resolved{Ref: r, Image: img, SizeBytes: img.sizeBytes(r.Tag, digest), Digest: digest}, nil
}

func refPart(r Ref) string {
	if r.Digest != "" {
		return r.Digest
	}
	return r.Tag
}

func hostOnly(h string) string {
	if i := strings.IndexByte(h, ':'); i >= 0 {
		return h[:i]
	}
	return h
}

// sizeBytes is the image size for a tag, varied by a few percent per
// digest so that different tags do not weigh exactly the same.
func (img *Image) sizeBytes(tag, digest string) int64 {
	mib := img.SizeMiB
	switch {
	case img.AlpineMiB > 0 && strings.Contains(tag, "alpine"):
		mib = img.AlpineMiB
	case img.SlimMiB > 0 && strings.Contains(tag, "slim"):
		mib = img.SlimMiB
	}
	h, _ := strconv.ParseUint(digest[len(digest)-4:], 16, 64) // 0..65535
	return int64(mib * (1 + (float64(h)/65535-0.5)*0.04) * (1 << 20))
}

var fakeWords = []string{"doesnotexist", "does-not-exist", "nonexistent", "non-existent", "notexist", "invalid", "bogus", "no-such"}

func looksFake(s string) bool {
	s = strings.ToLower(s)
	for _, w := range fakeWords {
		if strings.Contains(s, w) {
			return true
		}
	}
	return false
}

func fakeHost(domain string) bool {
	h := hostOnly(domain)
	for _, suf := range []string{".invalid", ".test", ".example", ".local", "example.com"} {
		if strings.HasSuffix(h, suf) {
			return true
		}
	}
	return false
}

// TagExists reports whether a tag of this image exists (see the package
// comment for the rule).
func (img *Image) TagExists(tag string) bool {
	if tag == "latest" || slices.Contains(img.TagAliases, tag) {
		return true
	}
	if img.TagPattern != nil && img.TagPattern.MatchString(tag) {
		return true
	}
	if img.variantOK(tag) {
		return true
	}
	base := tag
	if i := strings.IndexByte(tag, '-'); i >= 0 {
		if !img.variantOK(tag[i+1:]) {
			return false
		}
		base = tag[:i]
	}
	return slices.Contains(img.TagAliases, base) || img.versionOK(base)
}

func (img *Image) variantOK(v string) bool {
	for _, want := range img.Variants {
		if p, ok := strings.CutSuffix(want, "*"); ok && strings.HasPrefix(v, p) || v == want {
			return true
		}
	}
	return false
}

// versionOK checks a dotted numeric version against the version lines.
func (img *Image) versionOK(v string) bool {
	got, ok := parseVersion(strings.TrimPrefix(v, "v"))
	if !ok {
		return false
	}
	for _, line := range img.Versions {
		want, _ := parseVersion(line)
		if versionInLine(got, want) {
			return true
		}
	}
	return false
}

func versionInLine(got, line []int) bool {
	k, n := len(got), len(line)
	if k > n {
		return false
	}
	if k < n {
		return slices.Equal(got, line[:k])
	}
	return slices.Equal(got[:n-1], line[:n-1]) && got[n-1] <= line[n-1]
}

func parseVersion(s string) ([]int, bool) {
	if s == "" {
		return nil, false
	}
	parts := strings.Split(s, ".")
	out := make([]int, len(parts))
	for i, p := range parts {
		n, err := strconv.Atoi(p)
		if err != nil || n < 0 || p[0] == '+' {
			return nil, false
		}
		out[i] = n
	}
	return out, true
}
