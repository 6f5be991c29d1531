package images

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestParse(t *testing.T) {
	for _, tc := range []struct{ in, want, err string }{
		{"nginx", "docker.io/library/nginx:latest", ""},
		{"nginx:1.27", "docker.io/library/nginx:1.27", ""},
		{"bitnami/redis:7.2", "docker.io/bitnami/redis:7.2", ""},
		{"registry.k8s.io/pause:3.10", "registry.k8s.io/pause:3.10", ""},
		{"localhost:5000/app", "localhost:5000/app:latest", ""},
		{"602401143452.dkr.ecr.us-west-2.amazonaws.com/eks/kube-proxy:v1.32.0-minimal-eksbuild.2", "602401143452.dkr.ecr.us-west-2.amazonaws.com/eks/kube-proxy:v1.32.0-minimal-eksbuild.2", ""},
		{"NGINX", "", "invalid reference format: repository name must be lowercase"},
		{"nginx:", "", "invalid reference format"},
		{"ngin x", "", "invalid reference format"},
	} {
		r, err := Parse(tc.in)
		if tc.err != "" {
			require.EqualError(t, err, tc.err, tc.in)
			continue
		}
		require.NoError(t, err, tc.in)
		require.Equal(t, tc.want, r.String())
	}
}

func TestResolve(t *testing.T) {
	c := Default()
	for _, tc := range []struct {
		image string
		ok    bool
		err   string
		mib   float64
	}{
		{"nginx:1.27", true, "", 68},
		{"nginx:1.14.2", true, "", 68},
		{"nginx:1.27.5-alpine", true, "", 20},
		{"nginx:stable-alpine", true, "", 20},
		{"nginx", true, "", 68},
		{"nginx:1.999", false, `rpc error: code = NotFound desc = failed to pull and unpack image "docker.io/library/nginx:1.999": failed to resolve reference "docker.io/library/nginx:1.999": docker.io/library/nginx:1.999: not found`, 0},
		{"nginx:1.161", false, "not found", 0},
		{"nginx:1.27.6", false, "not found", 0},
		{"busybox:1.28", true, "", 2.1},
		{"redis:7-alpine3.20", true, "", 17},
		{"postgres:16", true, "", 150},
		{"ubuntu:22.04", true, "", 28},
		{"ubuntu:21.99", false, "not found", 0},
		{"registry.k8s.io/pause:3.9", true, "", 0.3},
		{"602401143452.dkr.ecr.eu-west-1.amazonaws.com/eks/kube-proxy:v1.32.0-minimal-eksbuild.2", true, "", 30},
		{"602401143452.dkr.ecr.us-west-2.amazonaws.com/amazon-k8s-cni:v1.19.2-eksbuild.1", true, "", 45},
		{"ghcr.io/acme/shop:2.3.1", true, "", 50},
		{"doesnotexist", false, "pull access denied, repository does not exist", 0},
		{"acme/app:nonexistent-tag", false, "not found", 0},
		{"registry.example.com/app:1", false, "no such host", 0},
	} {
		r, err := Parse(tc.image)
		require.NoError(t, err)
		res, err := c.Resolve(r)
		if !tc.ok {
			require.Error(t, err, tc.image)
			require.Contains(t, err.Error(), tc.err, tc.image)
			continue
		}
		require.NoError(t, err, tc.image)
		require.InDelta(t, tc.mib, float64(res.SizeBytes)/(1<<20), tc.mib*0.021+0.01, tc.image)
		require.Regexp(t, `@sha256:[0-9a-f]{64}$`, res.ImageID())
		again, _ := c.Resolve(r)
		require.Equal(t, res.Digest, again.Digest, "deterministic")
	}
}

func TestBehavior(t *testing.T) {
	c := Default()
	img := func(s string) *Image {
		r, _ := Parse(s)
		res, err := c.Resolve(r)
		require.NoError(t, err)
		return res.Image
	}
	type want struct {
		forever  bool
		runFor   time.Duration
		code     int32
		ignore   bool
		startErr bool
	}
	for _, tc := range []struct {
		name          string
		image         string
		command, args []string
		ann           map[string]string
		want          want
	}{
		{"nginx default", "nginx:1.27", nil, nil, nil, want{forever: true}},
		{"busybox default exits", "busybox", nil, nil, nil, want{code: 0, ignore: true}},
		{"busybox sleep", "busybox", []string{"sleep", "3600"}, nil, nil, want{runFor: time.Hour, ignore: true}},
		{"busybox args sleep", "busybox", nil, []string{"sleep", "30"}, nil, want{runFor: 30 * time.Second, ignore: true}},
		{"sleep infinity", "busybox", []string{"sleep", "infinity"}, nil, nil, want{forever: true, ignore: true}},
		{"sh exit 1", "busybox", []string{"sh", "-c", "exit 1"}, nil, nil, want{code: 1, ignore: true}},
		{"false", "alpine", []string{"false"}, nil, nil, want{code: 1, ignore: true}},
		{"true", "alpine", []string{"true"}, nil, nil, want{code: 0, ignore: true}},
		{"echo then sleep", "busybox", []string{"/bin/sh", "-c", "echo hello; sleep 10 && exit 3"}, nil, nil, want{runFor: 10 * time.Second, code: 3, ignore: true}},
		{"or", "busybox", []string{"sh", "-c", "false || sleep 2m"}, nil, nil, want{runFor: 2 * time.Minute, ignore: true}},
		{"for loop", "busybox", []string{"sh", "-c", "for i in 1 2 3 4; do echo line $i; sleep 5; done"}, nil, nil, want{runFor: 20 * time.Second, ignore: true}},
		{"nested for", "busybox", []string{"sh", "-c", "sleep 1; for i in a b; do for j in x y z; do sleep 2; done; done; sleep 1"}, nil, nil, want{runFor: 14 * time.Second, ignore: true}},
		{"for over an expansion", "busybox", []string{"sh", "-c", "for f in $(ls); do sleep 3; done"}, nil, nil, want{runFor: 3 * time.Second, ignore: true}},
		{"while loop", "busybox", nil, []string{"/bin/sh", "-c", "while true; do echo hi; sleep 5; done"}, nil, want{forever: true, ignore: true}},
		{"trap", "busybox", []string{"sh", "-c", "trap 'exit 0' TERM; sleep 600 & wait"}, nil, nil, want{code: 0}},
		{"tail -f", "ubuntu", []string{"tail", "-f", "/dev/null"}, nil, nil, want{forever: true, ignore: true}},
		{"typo in shell", "busybox", []string{"sh", "-c", "slep 10"}, nil, nil, want{code: 127, ignore: true}},
		{"exec not found", "busybox", []string{"/app/server"}, nil, nil, want{code: 128, startErr: true, ignore: true}},
		{"python server", "python:3.12", []string{"python", "app.py"}, nil, nil, want{forever: true, ignore: true}},
		{"python default exits", "python:3.12-slim", nil, nil, nil, want{code: 0, ignore: true}},
		{"nginx custom cmd", "nginx", []string{"nginx", "-g", "daemon off;"}, nil, nil, want{forever: true}},
		{"crash-after", "nginx", nil, nil, map[string]string{AnnotationCrashAfter: "30s"}, want{runFor: 30 * time.Second, code: 1}},
		{"exit-code alone", "nginx", nil, nil, map[string]string{AnnotationExitCode: "2"}, want{code: 2}},
		{"per-container wins", "nginx", nil, nil, map[string]string{AnnotationCrashAfter: "30s", AnnotationCrashAfter + ".web": "5s"}, want{runFor: 5 * time.Second, code: 1}},
		{"bad annotation ignored", "nginx", nil, nil, map[string]string{AnnotationCrashAfter: "soon"}, want{forever: true}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := BehaviorOf(img(tc.image), "web", tc.command, tc.args, tc.ann)
			got := want{forever: b.Forever, ignore: b.IgnoresSIGTERM, startErr: b.StartError != ""}
			if !b.Forever {
				got.runFor, got.code = b.RunFor, b.ExitCode
			}
			require.Equal(t, tc.want, got)
		})
	}
	b := BehaviorOf(img("nginx"), "web", nil, nil, map[string]string{AnnotationMemory: "300Mi", AnnotationReadyAfter: "10s", AnnotationStartDelay: "2s"})
	require.Equal(t, int64(300<<20), b.MemoryBytes)
	require.True(t, b.ReadyAfterSet)
	require.Equal(t, 10*time.Second, b.ReadyAfter)
	require.Equal(t, 2*time.Second, b.StartDelay)
	require.Equal(t, 300*time.Millisecond, img("nginx").WarmUp)
	require.Equal(t, 3*time.Second, img("postgres:17").WarmUp)
}

func TestCatalogueNames(t *testing.T) {
	names := Default().Names()
	require.Contains(t, names, "docker.io/library/nginx")
	require.Contains(t, names, "ecr/eks/coredns")
	require.NotContains(t, names, "k8s.gcr.io/pause", "aliases are not listed")
	cl := Default().Clone()
	cl.Add(Image{Repository: "docker.io/acme/shop", SizeMiB: 10, Versions: []string{"1.2.3"}})
	r, _ := Parse("acme/shop:1.3")
	_, err := cl.Resolve(r)
	require.Error(t, err)
	_, err = Default().Resolve(r)
	require.NoError(t, err, "the default catalogue is unchanged")
}

// TestParseSleep pins the operands sleep accepts; the kubelet's command
// model and the exec shell both read them here.
func TestParseSleep(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want time.Duration
		ok   bool
	}{
		{"30", 30 * time.Second, true},
		{"1.5m", 90 * time.Second, true},
		{"2h", 2 * time.Hour, true},
		{"1d", 24 * time.Hour, true},
		{"0", 0, true},
		{"-1", 0, false},
		{"abc", 0, false},
		{"NaN", 0, false},
		{"1e30d", 0, false}, // past what a Duration holds: refused, not wrapped
		{"", 0, false},
	} {
		got, ok := ParseSleep(tc.in)
		if ok != tc.ok || got != tc.want {
			t.Errorf("ParseSleep(%q) = %v, %v; want %v, %v", tc.in, got, ok, tc.want, tc.ok)
		}
	}
}

// TestAnnotationForContainer: a per-container annotation wins over the
// pod-wide one, for any length of container name (the key is put
// together on the stack up to 96 bytes), and looking up costs nothing.
func TestAnnotationForContainer(t *testing.T) {
	long := strings.Repeat("c", 120)
	ann := map[string]string{
		AnnotationMemory: "100Mi", AnnotationMemory + ".web": "200Mi", AnnotationMemory + "." + long: "300Mi",
		AnnotationExitCode + ".web": "3",
	}
	for _, tc := range []struct {
		container string
		want      int64
	}{{"web", 200 << 20}, {long, 300 << 20}, {"other", 100 << 20}} {
		n, ok := DeclaredMemory(tc.container, ann)
		require.True(t, ok, tc.container)
		require.Equal(t, tc.want, n, tc.container)
	}
	_, ok := DeclaredMemory("web", nil)
	require.False(t, ok)
	nginx := &Image{Repository: "docker.io/library/nginx"}
	b := BehaviorOf(nginx, "web", nil, nil, ann)
	require.Equal(t, int32(3), b.ExitCode)
	require.False(t, b.Forever)
	require.Equal(t, float64(0), testing.AllocsPerRun(100, func() { _, _ = annotationFor(ann, AnnotationMemory, "web") }))
	require.Equal(t, float64(0), testing.AllocsPerRun(100, func() { BehaviorOf(nginx, "web", nil, nil, nil) }))
}
