package shell

import (
	"bytes"
	"cmp"
	"fmt"
	"io"
	"maps"
	"path"
	"slices"
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"

	"github.com/kubesim/kubesim/sim/network"
	"github.com/kubesim/kubesim/sim/volumeutil"
)

// Overlay is a container's writable layer: the files scripts wrote and
// the paths they removed. It lives as long as the container's shells
// share it (the API server keeps one per container instance).
type Overlay struct {
	files   map[string]string
	dirs    map[string]bool
	removed map[string]bool
}

// NewOverlay is an empty writable layer.
func NewOverlay() *Overlay {
	return &Overlay{files: map[string]string{}, dirs: map[string]bool{}, removed: map[string]bool{}}
}

// maxOverlay bounds the bytes an overlay holds (a runaway `yes > f`).
const maxOverlay = 16 << 20

func (o *Overlay) size() int {
	n := 0
	for _, f := range o.files {
		n += len(f)
	}
	return n
}

// entry is a file or directory in a container's view.
type entry struct {
	dir     bool
	content string
	link    string // symlink target shown by ls -l (projected volumes)
	mode    string
}

// fsView is the container's file system: the image's files, the mounted
// volumes and the overlay.
type fsView struct {
	entries map[string]*entry
	ro      []string // read-only mount points
	ov      *Overlay
}

func (v *fsView) addDir(p string) {
	for p != "/" && p != "." && p != "" {
		if e, ok := v.entries[p]; ok && e.dir {
			return
		}
		v.entries[p] = &entry{dir: true}
		p = path.Dir(p)
	}
	v.entries["/"] = &entry{dir: true}
}

func (v *fsView) addFile(p, content string) *entry {
	v.addDir(path.Dir(p))
	e := &entry{content: content}
	v.entries[p] = e
	return e
}

func (v *fsView) get(p string) (*entry, bool) {
	if v.ov != nil {
		if v.ov.removed[p] {
			return nil, false
		}
		if c, ok := v.ov.files[p]; ok {
			return &entry{content: c}, true
		}
		if v.ov.dirs[p] {
			return &entry{dir: true}, true
		}
	}
	e, ok := v.entries[p]
	return e, ok
}

func (v *fsView) isDir(p string) bool {
	e, ok := v.get(p)
	return ok && e.dir
}

// list returns the names in a directory, sorted.
func (v *fsView) list(dir string) []string {
	seen := map[string]bool{}
	add := func(p string) {
		if path.Dir(p) == dir && p != dir {
			if _, ok := v.get(p); ok {
				seen[path.Base(p)] = true
			}
		}
	}
	for p := range v.entries {
		add(p)
	}
	if v.ov != nil {
		for p := range v.ov.files {
			add(p)
		}
		for p := range v.ov.dirs {
			add(p)
		}
	}
	return slices.Sorted(maps.Keys(seen))
}

// readOnly reports whether p lies on a read-only mount.
func (v *fsView) readOnly(p string) bool {
	for _, m := range v.ro {
		if p == m || strings.HasPrefix(p, m+"/") {
			return true
		}
	}
	return false
}

// fsView builds the container's file system from the pod and the
// cluster.
func (sh *Shell) fsView(st *State) *fsView {
	v := &fsView{entries: map[string]*entry{}, ov: sh.fs}
	for _, d := range []string{"/bin", "/dev", "/etc", "/home", "/lib", "/mnt", "/opt", "/proc", "/root", "/run", "/sbin", "/srv", "/sys", "/tmp", "/usr/bin", "/usr/lib", "/usr/local/bin", "/usr/sbin", "/var/log", "/var/run", "/var/tmp"} {
		v.addDir(d)
	}
	pod := sh.pod
	v.addFile("/etc/hostname", sh.hostname()+"\n")
	v.addFile("/etc/hosts", network.HostsFile(pod))
	v.addFile("/etc/resolv.conf", network.ResolvConfOf(st.Store, pod).String())
	v.addFile("/etc/os-release", sh.img.osRelease())
	v.addFile("/etc/passwd", "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n")
	v.addFile("/etc/group", "root:x:0:\nnogroup:x:65534:\n")
	v.addFile("/proc/1/cmdline", strings.Join(sh.mainCommand(), "\x00")+"\x00")
	v.addFile("/dev/null", "")
	for _, f := range sh.img.Files {
		v.addFile(f.Path, f.Content)
	}
	vols := map[string]*corev1.Volume{}
	for i := range pod.Spec.Volumes {
		vols[pod.Spec.Volumes[i].Name] = &pod.Spec.Volumes[i]
	}
	for _, m := range sh.ctr.VolumeMounts {
		mp := path.Clean(m.MountPath)
		vol := vols[m.Name]
		if vol == nil {
			continue
		}
		v.addDir(mp)
		files, ro := sh.volumeFiles(st, vol)
		if ro || m.ReadOnly {
			v.ro = append(v.ro, mp)
		}
		keys := slices.Sorted(maps.Keys(files))
		if m.SubPath != "" {
			c, ok := files[m.SubPath]
			if !ok {
				continue
			}
			v.entries[mp] = &entry{content: c}
			continue
		}
		for _, k := range keys {
			e := v.addFile(mp+"/"+k, files[k])
			if ro && !strings.Contains(k, "/") {
				e.link = "..data/" + k
			}
			if mode := fileMode(vol); mode != "" {
				e.mode = mode
			}
		}
		if ro && len(keys) > 0 {
			v.entries[mp+"/..data"] = &entry{dir: true, link: "..2025_01_01_00_00_00.000000001"}
		}
	}
	return v
}

func fileMode(vol *corev1.Volume) string {
	var m *int32
	switch {
	case vol.ConfigMap != nil:
		m = vol.ConfigMap.DefaultMode
	case vol.Secret != nil:
		m = vol.Secret.DefaultMode
	case vol.Projected != nil:
		m = vol.Projected.DefaultMode
	}
	if m == nil {
		return ""
	}
	return modeString(*m)
}

func modeString(m int32) string {
	const rwx = "rwxrwxrwx"
	b := []byte("-")
	for i := 0; i < 9; i++ {
		if m&(1<<(8-i)) != 0 {
			b = append(b, rwx[i])
		} else {
			b = append(b, '-')
		}
	}
	return string(b)
}

// volumeFiles are the files a volume presents, by relative path, and
// whether the volume is read-only (the projected kinds are).
func (sh *Shell) volumeFiles(st *State, vol *corev1.Volume) (map[string]string, bool) {
	pod, ctr := sh.pod, sh.ctr
	files := map[string]string{}
	switch {
	case vol.ConfigMap != nil:
		addPayload(st, "ConfigMap", pod.Namespace, vol.ConfigMap.Name, vol.ConfigMap.Items, files)
		return files, true
	case vol.Secret != nil:
		addPayload(st, "Secret", pod.Namespace, vol.Secret.SecretName, vol.Secret.Items, files)
		return files, true
	case vol.DownwardAPI != nil:
		addDownward(pod, ctr, vol.DownwardAPI.Items, files)
		return files, true
	case vol.Projected != nil:
		for _, src := range vol.Projected.Sources {
			switch {
			case src.ConfigMap != nil:
				addPayload(st, "ConfigMap", pod.Namespace, src.ConfigMap.Name, src.ConfigMap.Items, files)
			case src.Secret != nil:
				addPayload(st, "Secret", pod.Namespace, src.Secret.Name, src.Secret.Items, files)
			case src.DownwardAPI != nil:
				addDownward(pod, ctr, src.DownwardAPI.Items, files)
			case src.ServiceAccountToken != nil:
				files[src.ServiceAccountToken.Path] = sh.token(st, pod)
			}
		}
		return files, true
	case vol.HostPath != nil:
		return hostFiles(st, pod, vol.HostPath.Path), false
	}
	return files, false
}

// addPayload adds the files of a configMap or secret (kind) volume or
// projection.
func addPayload(st *State, kind, ns, name string, items []corev1.KeyToPath, files map[string]string) {
	if o, ok := st.Store.Get(kind, ns, name); ok {
		addItems(volumeutil.Payload(o), items, files)
	}
}

func addItems(data map[string]string, items []corev1.KeyToPath, files map[string]string) {
	if len(items) == 0 {
		maps.Copy(files, data)
		return
	}
	for _, it := range items {
		if c, ok := data[it.Key]; ok {
			files[it.Path] = c
		}
	}
}

func addDownward(pod *corev1.Pod, ctr *corev1.Container, items []corev1.DownwardAPIVolumeFile, files map[string]string) {
	for _, it := range items {
		switch {
		case it.FieldRef != nil:
			files[it.Path] = fieldRef(pod, it.FieldRef.FieldPath, true)
		case it.ResourceFieldRef != nil:
			files[it.Path] = resourceFieldRef(pod, ctr, it.ResourceFieldRef)
		}
	}
}

// fieldRef resolves a downward API field path (volume: labels and
// annotations as key="value" lines).
func fieldRef(pod *corev1.Pod, fp string, volume bool) string {
	kv := func(m map[string]string) string {
		var b strings.Builder
		for i, k := range slices.Sorted(maps.Keys(m)) {
			if i > 0 {
				b.WriteByte('\n')
			}
			fmt.Fprintf(&b, "%s=%s", k, strconv.Quote(m[k]))
		}
		return b.String()
	}
	switch {
	case fp == "metadata.name":
		return pod.Name
	case fp == "metadata.namespace":
		return pod.Namespace
	case fp == "metadata.uid":
		return string(pod.UID)
	case fp == "metadata.labels" && volume:
		return kv(pod.Labels)
	case fp == "metadata.annotations" && volume:
		return kv(pod.Annotations)
	case strings.HasPrefix(fp, "metadata.labels['"):
		return pod.Labels[strings.TrimSuffix(strings.TrimPrefix(fp, "metadata.labels['"), "']")]
	case strings.HasPrefix(fp, "metadata.annotations['"):
		return pod.Annotations[strings.TrimSuffix(strings.TrimPrefix(fp, "metadata.annotations['"), "']")]
	case fp == "spec.nodeName":
		return pod.Spec.NodeName
	case fp == "spec.serviceAccountName":
		return pod.Spec.ServiceAccountName
	case fp == "status.hostIP":
		return pod.Status.HostIP
	case fp == "status.hostIPs":
		return pod.Status.HostIP
	case fp == "status.podIP", fp == "status.podIPs":
		return pod.Status.PodIP
	}
	return ""
}

// resourceFieldRef is a container's request or limit in the divisor's
// unit, rounded up (upstream's ExtractContainerResourceValue); a missing
// limit reads as the node's allocatable, which we approximate by the
// request.
func resourceFieldRef(pod *corev1.Pod, ctr *corev1.Container, ref *corev1.ResourceFieldSelector) string {
	c := ctr
	if ref.ContainerName != "" {
		if f := FindContainer(pod, ref.ContainerName); f != nil {
			c = f
		}
	}
	var q resource.Quantity
	ok := false
	list, name, _ := strings.Cut(ref.Resource, ".")
	switch r := corev1.ResourceName(name); r {
	case corev1.ResourceCPU, corev1.ResourceMemory, corev1.ResourceEphemeralStorage:
		switch list {
		case "limits":
			q, ok = c.Resources.Limits[r]
		case "requests":
			q, ok = c.Resources.Requests[r]
		}
	}
	if !ok {
		return "0"
	}
	div := ref.Divisor
	if div.IsZero() {
		div = resource.MustParse("1")
	}
	if strings.HasSuffix(ref.Resource, "cpu") {
		m, d := q.MilliValue(), div.MilliValue()
		return strconv.FormatInt((m+d-1)/d, 10)
	}
	v, d := q.Value(), div.Value()
	return strconv.FormatInt((v+d-1)/d, 10)
}

// readFile reads a file for a command: content, or an error message
// suffix ("No such file or directory", "Is a directory").
func (c *Call) readFile(p string) (string, string) {
	v := c.Sh.fsView(c.State)
	e, ok := v.get(c.Abs(p))
	switch {
	case !ok:
		return "", "No such file or directory"
	case e.dir:
		return "", "Is a directory"
	}
	return e.content, ""
}

// ReadFile reads a file of the container (for commands of other
// packages); ok is false if it does not exist or is a directory.
func (c *Call) ReadFile(p string) (string, bool) {
	s, msg := c.readFile(p)
	return s, msg == ""
}

// writeFile writes (or appends to) a file in the overlay; the message is
// the failure ("Read-only file system", "Is a directory", "No such file or
// directory"), "" on success.
func (sh *Shell) writeFile(st *State, p, content string, appendTo bool) string {
	v := sh.fsView(st)
	if e, ok := v.get(p); ok && e.dir {
		return "Is a directory"
	}
	if !v.isDir(path.Dir(p)) {
		return "No such file or directory"
	}
	if v.readOnly(p) {
		return "Read-only file system"
	}
	if appendTo {
		if e, ok := v.get(p); ok {
			content = e.content + content
		}
	}
	if sh.fs.size()+len(content) > maxOverlay {
		return "No space left on device"
	}
	delete(sh.fs.removed, p)
	sh.fs.files[p] = content
	return ""
}

// applyRedirects opens a command's redirections. ok is false when one
// failed (its message is written to errw).
func (sh *Shell) applyRedirects(rs []redirect, in io.Reader, out, errw io.Writer) (io.Reader, io.Writer, io.Writer, func(), bool) {
	var closers []func()
	closeAll := func() {
		for _, c := range closers {
			c()
		}
	}
	for _, r := range rs {
		target, err := sh.expandString(r.target, errw)
		if err != nil {
			return in, out, errw, closeAll, false
		}
		var w io.Writer
		switch {
		case r.op == ">&":
			switch target {
			case "1":
				w = out
			case "2":
				w = errw
			default:
				_, _ = fmt.Fprintf(errw, "%s: %s: bad file descriptor\n", sh.name, target)
				return in, out, errw, closeAll, false
			}
		case r.op == "<":
			p := sh.abs(target)
			var content, msg string
			sh.host.Read(func(st *State) {
				e, ok := sh.fsView(st).get(p)
				switch {
				case !ok:
					msg = "nonexistent directory"
					if ok := sh.fsView(st).isDir(path.Dir(p)); ok {
						msg = "No such file or directory"
					}
				case e.dir:
					msg = "Is a directory"
				default:
					content = e.content
				}
			})
			if msg != "" {
				_, _ = fmt.Fprintf(errw, "%s: can't open %s: %s\n", sh.name, target, msg)
				return in, out, errw, closeAll, false
			}
			in = strings.NewReader(content)
			continue
		case target == "/dev/null":
			w = io.Discard
		case target == "/dev/stdout":
			w = out
		case target == "/dev/stderr":
			w = errw
		default:
			p := sh.abs(target)
			appendTo := r.op == ">>"
			var msg string
			sh.host.Read(func(st *State) { msg = sh.writeFile(st, p, "", appendTo) })
			if msg != "" {
				_, _ = fmt.Fprintf(errw, "%s: can't create %s: %s\n", sh.name, target, msg)
				return in, out, errw, closeAll, false
			}
			buf := &bytes.Buffer{}
			w = &limitWriter{w: buf, n: maxOutput}
			closers = append(closers, func() {
				sh.host.Read(func(st *State) { sh.writeFile(st, p, buf.String(), true) })
			})
		}
		if r.fd == 2 {
			errw = w
		} else {
			out = w
		}
	}
	return in, out, errw, closeAll, true
}

// token is the bound ServiceAccount token the kubelet writes into a
// serviceAccountToken projection ("" when the shell has no issuer).
func (sh *Shell) token(st *State, pod *corev1.Pod) string {
	if sh.Token == nil {
		return ""
	}
	return sh.Token(st, pod.Namespace, cmp.Or(pod.Spec.ServiceAccountName, "default"))
}
