package images

import (
	"path"
	"slices"
	"strconv"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/api/resource"
)

// Annotations that override a container's behaviour, set on the pod (or
// its template). A key suffixed with ".<container name>" applies to that
// container only and wins over the plain key. Invalid values are ignored.
//
//	sim.kubesim.io/start-delay: 5s      extra time from Created to Started (slow entrypoint)
//	sim.kubesim.io/ready-after: 10s     the app serves (is ready) this long after start;
//	                                    without a readinessProbe the pod turns Ready then
//	sim.kubesim.io/crash-after: 30s     the process exits this long after start (exit code 1
//	                                    unless exit-code says otherwise)
//	sim.kubesim.io/exit-code: "1"       the exit code; alone, the process exits right after start
//	sim.kubesim.io/memory: 300Mi        the process's resident memory; beyond the container's
//	                                    memory limit it is OOMKilled (exit 137)
//	sim.kubesim.io/ignore-sigterm: "true"   the process only stops at SIGKILL (grace period end)
//	sim.kubesim.io/stop-delay: 5s       time from SIGTERM to exit
const (
	AnnotationStartDelay    = "sim.kubesim.io/start-delay"
	AnnotationReadyAfter    = "sim.kubesim.io/ready-after"
	AnnotationCrashAfter    = "sim.kubesim.io/crash-after"
	AnnotationExitCode      = "sim.kubesim.io/exit-code"
	AnnotationMemory        = "sim.kubesim.io/memory"
	AnnotationIgnoreSIGTERM = "sim.kubesim.io/ignore-sigterm"
	AnnotationStopDelay     = "sim.kubesim.io/stop-delay"
	// AnnotationUnhealthyAfter: the app stops answering its probes this
	// long after it started (liveness restarts it, readiness unreadies it).
	AnnotationUnhealthyAfter = "sim.kubesim.io/unhealthy-after"
)

// Behavior is how a container's process behaves once started. (Every
// container a kubelet runs holds one: the flags come last, packed, not
// each beside its duration.)
type Behavior struct {
	// StartDelay is added to the runtime's own start latency.
	StartDelay time.Duration
	// WarmUp is the time from start to serving: probes fail before.
	WarmUp time.Duration
	// ReadyAfter, when ReadyAfterSet, is an explicit readiness delay that
	// applies even without a readiness probe.
	ReadyAfter time.Duration
	// RunFor: unless Forever, the process exits RunFor after start with
	// ExitCode.
	RunFor time.Duration
	// MemoryBytes is the process's resident memory.
	MemoryBytes int64
	// StopTime is the time from SIGTERM to exit, unless IgnoresSIGTERM.
	StopTime time.Duration
	// UnhealthyAfter, when UnhealthyAfterSet: probes fail from this long
	// after the start.
	UnhealthyAfter time.Duration
	// StartError, if set, is why the runtime cannot start the process
	// (the container terminates at once with reason StartError, exit 128).
	StartError string
	// Writes are the files the command writes, in time order (a write
	// after the process exits never happens).
	Writes   []Write
	ExitCode int32
	// Forever: the process runs until stopped.
	Forever           bool
	ReadyAfterSet     bool
	IgnoresSIGTERM    bool
	UnhealthyAfterSet bool
}

// BehaviorOf derives the behaviour of a container running image img with
// the given command and args, under the pod's annotations.
func BehaviorOf(img *Image, container string, command, args []string, annotations map[string]string) Behavior {
	b := Behavior{
		WarmUp: img.WarmUp, Forever: !img.Exits, MemoryBytes: int64(img.MemoryMiB * (1 << 20)),
		StopTime: img.StopTime, IgnoresSIGTERM: img.IgnoresSIGTERM,
	}
	argv := command
	if len(command) > 0 {
		argv = append(slices.Clip(command), args...)
	} else if len(args) > 0 && (img.Exits || isUtility(path.Base(args[0]))) {
		argv = args
	}
	if len(argv) > 0 {
		interpretArgv(img, argv, &b)
	}
	applyAnnotations(&b, container, annotations)
	return b
}

func interpretArgv(img *Image, argv []string, b *Behavior) {
	name := path.Base(argv[0])
	switch {
	case slices.Contains(img.App, argv[0]) || slices.Contains(img.App, name):
		appCommand(img, argv, b)
	case isShell(name):
		for i := 1; i < len(argv); i++ {
			if strings.HasPrefix(argv[i], "-") && strings.Contains(argv[i], "c") && i+1 < len(argv) {
				runScript(img, argv[i+1], b)
				return
			}
		}
		b.Forever, b.RunFor, b.ExitCode = false, 0, 0 // no terminal: reads EOF and exits
	case isUtility(name) || img.Shell:
		var e evaluator
		e.img = img
		e.run([][]string{argv}, []string{""})
		e.apply(b, true)
	}
	// Other images run their own entrypoint with whatever command: an app.
}

// appCommand is the image's own program: a server, unless asked for a
// one-shot (`python -c ...`, `node -e ...`, `--version`).
func appCommand(img *Image, argv []string, b *Behavior) {
	b.Forever = true
	for _, a := range argv[1:] {
		switch a {
		case "-c", "-e", "--eval", "--version", "-V", "-v", "version", "--help", "-h":
			b.Forever, b.RunFor, b.ExitCode = false, 100*time.Millisecond, 0
			return
		}
	}
}

func isShell(name string) bool {
	switch name {
	case "sh", "bash", "ash", "dash", "zsh", "ksh":
		return true
	}
	return false
}

func applyAnnotations(b *Behavior, container string, ann map[string]string) {
	if len(ann) == 0 {
		return // nothing to look up (most pods)
	}
	get := func(key string) (string, bool) { return annotationFor(ann, key, container) }
	dur := func(key string) (time.Duration, bool) {
		v, ok := get(key)
		if !ok {
			return 0, false
		}
		d, err := time.ParseDuration(v)
		return d, err == nil && d >= 0
	}
	if d, ok := dur(AnnotationStartDelay); ok {
		b.StartDelay = d
	}
	if d, ok := dur(AnnotationReadyAfter); ok {
		b.ReadyAfter, b.ReadyAfterSet = d, true
	}
	if d, ok := dur(AnnotationStopDelay); ok {
		b.StopTime = d
	}
	if d, ok := dur(AnnotationUnhealthyAfter); ok {
		b.UnhealthyAfter, b.UnhealthyAfterSet = d, true
	}
	code, hasCode := int32(1), false
	if v, ok := get(AnnotationExitCode); ok {
		if n, err := strconv.ParseInt(v, 10, 32); err == nil && n >= 0 && n <= 255 {
			code, hasCode = int32(n), true
		}
	}
	if d, ok := dur(AnnotationCrashAfter); ok {
		b.Forever, b.RunFor, b.ExitCode = false, d, code
	} else if hasCode {
		b.Forever, b.RunFor, b.ExitCode = false, 0, code
	}
	if n, ok := DeclaredMemory(container, ann); ok {
		b.MemoryBytes = n
	}
	if v, ok := get(AnnotationIgnoreSIGTERM); ok {
		if t, err := strconv.ParseBool(v); err == nil {
			b.IgnoresSIGTERM = t
		}
	}
}

// DefaultWorkingSetBytes is the memory working set of a container that
// requests no memory and declares none.
const DefaultWorkingSetBytes = 64 << 20

// DeclaredMemory is the resident memory the sim.kubesim.io/memory
// annotation declares for a container (ok false: none, or invalid).
func DeclaredMemory(container string, ann map[string]string) (int64, bool) {
	v, ok := annotationFor(ann, AnnotationMemory, container)
	if !ok {
		return 0, false
	}
	q, err := resource.ParseQuantity(v)
	if err != nil || q.Sign() < 0 {
		return 0, false
	}
	return q.Value(), true
}

// WorkingSetBytes is a running container's memory working set as the
// metrics and the kubelet's eviction manager see it: what the
// sim.kubesim.io/memory annotation declares, else its memory request
// (the simulator does not model memory growth), else
// DefaultWorkingSetBytes.
func WorkingSetBytes(container string, request resource.Quantity, ann map[string]string) int64 {
	if n, ok := DeclaredMemory(container, ann); ok {
		return n
	}
	if !request.IsZero() {
		return request.Value()
	}
	return DefaultWorkingSetBytes
}

// annotationFor is the value of the annotation key.container, else of
// key. The per-container key is put together in a buffer on the stack
// (a map lookup by string(bytes) copies nothing): containers start often
// and their pods usually have neither annotation.
func annotationFor(ann map[string]string, key, container string) (string, bool) {
	if len(ann) == 0 {
		return "", false
	}
	var buf [96]byte
	b := append(append(append(buf[:0], key...), '.'), container...)
	if v, ok := ann[string(b)]; ok {
		return v, true
	}
	v, ok := ann[key]
	return v, ok
}
