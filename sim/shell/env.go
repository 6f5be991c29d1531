package shell

import (
	"cmp"
	"fmt"
	"maps"
	"net"
	"slices"
	"strconv"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/validation"

	"github.com/kubesim/kubesim/sim/volumeutil"
)

// EnvVar is one variable of a process's environment.
type EnvVar struct{ Name, Value string }

// Environment is a container's environment as the runtime hands it to a
// process: PATH and HOSTNAME, the image's own variables, then what the
// kubelet builds (upstream's makeEnvironmentVariables: envFrom, env with
// $(VAR) references expanded, then the Service link variables of the
// Services that existed when the container started), then HOME.
func Environment(st *State, pod *corev1.Pod, ctr *corev1.Container, img Image) []EnvVar {
	var out []EnvVar
	idx := map[string]int{}
	put := func(name, value string) {
		if i, ok := idx[name]; ok {
			out[i].Value = value
			return
		}
		idx[name] = len(out)
		out = append(out, EnvVar{Name: name, Value: value})
	}
	put("PATH", img.pathVar())
	host := pod.Name
	if pod.Spec.Hostname != "" {
		host = pod.Spec.Hostname
	}
	put("HOSTNAME", host)
	for _, e := range img.Env {
		put(e.Name, e.Value)
	}
	user := map[string]bool{}
	userVal := map[string]string{}
	setUser := func(name, value string) {
		user[name] = true
		userVal[name] = value
		put(name, value)
	}
	for _, ef := range ctr.EnvFrom {
		var data map[string]string
		switch {
		case ef.ConfigMapRef != nil:
			if o, ok := st.Store.Get("ConfigMap", pod.Namespace, ef.ConfigMapRef.Name); ok {
				data = o.(*corev1.ConfigMap).Data
			}
		case ef.SecretRef != nil:
			if o, ok := st.Store.Get("Secret", pod.Namespace, ef.SecretRef.Name); ok {
				data = volumeutil.Payload(o)
			}
		}
		for _, k := range slices.Sorted(maps.Keys(data)) {
			name := ef.Prefix + k
			if len(validation.IsEnvVarName(name)) > 0 {
				continue // the kubelet skips invalid names (an InvalidEnvironmentVariableNames event)
			}
			setUser(name, data[k])
		}
	}
	services := serviceEnv(st, pod, ctr)
	serviceVal := map[string]string{}
	for _, e := range services {
		serviceVal[e.Name] = e.Value
	}
	for _, e := range ctr.Env {
		value := e.Value
		if e.ValueFrom != nil {
			value = valueFrom(st, pod, ctr, e.ValueFrom)
		} else {
			value = expandRefs(value, func(n string) (string, bool) {
				if v, ok := userVal[n]; ok {
					return v, true
				}
				v, ok := serviceVal[n]
				return v, ok
			})
		}
		setUser(e.Name, value)
	}
	for _, e := range services {
		if !user[e.Name] {
			put(e.Name, e.Value)
		}
	}
	if _, ok := idx["HOME"]; !ok {
		put("HOME", "/root")
	}
	return out
}

// expandRefs expands $(VAR) references as the kubelet does: $$ escapes,
// an undefined reference stays as written.
func expandRefs(s string, lookup func(string) (string, bool)) string {
	if !strings.Contains(s, "$") {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] != '$' || i+1 >= len(s) {
			b.WriteByte(s[i])
			continue
		}
		switch s[i+1] {
		case '$':
			b.WriteByte('$')
			i++
		case '(':
			j := strings.IndexByte(s[i:], ')')
			if j < 0 {
				b.WriteString(s[i:])
				return b.String()
			}
			name := s[i+2 : i+j]
			if v, ok := lookup(name); ok {
				b.WriteString(v)
			} else {
				b.WriteString(s[i : i+j+1])
			}
			i += j
		default:
			b.WriteByte('$')
		}
	}
	return b.String()
}

func valueFrom(st *State, pod *corev1.Pod, ctr *corev1.Container, vf *corev1.EnvVarSource) string {
	switch {
	case vf.FieldRef != nil:
		return fieldRef(pod, vf.FieldRef.FieldPath, false)
	case vf.ResourceFieldRef != nil:
		return resourceFieldRef(pod, ctr, vf.ResourceFieldRef)
	case vf.ConfigMapKeyRef != nil:
		if o, ok := st.Store.Get("ConfigMap", pod.Namespace, vf.ConfigMapKeyRef.Name); ok {
			cm := o.(*corev1.ConfigMap)
			if v, ok := cm.Data[vf.ConfigMapKeyRef.Key]; ok {
				return v
			}
			return string(cm.BinaryData[vf.ConfigMapKeyRef.Key])
		}
	case vf.SecretKeyRef != nil:
		if o, ok := st.Store.Get("Secret", pod.Namespace, vf.SecretKeyRef.Name); ok {
			s := o.(*corev1.Secret)
			if v, ok := s.Data[vf.SecretKeyRef.Key]; ok {
				return string(v)
			}
			return s.StringData[vf.SecretKeyRef.Key]
		}
	}
	return ""
}

// serviceEnv are the Docker-link style variables of the Services the
// kubelet saw when the container started: the pod's namespace's (unless
// enableServiceLinks is false) and the master service `kubernetes`.
func serviceEnv(st *State, pod *corev1.Pod, ctr *corev1.Container) []EnvVar {
	started := startedAt(pod, ctr.Name)
	links := pod.Spec.EnableServiceLinks == nil || *pod.Spec.EnableServiceLinks
	byName := map[string]*corev1.Service{}
	consider := func(ns string, only string) {
		for _, o := range st.Store.List("Service", ns) {
			svc := o.(*corev1.Service)
			if only != "" && svc.Name != only {
				continue
			}
			if !started.IsZero() && svc.CreationTimestamp.After(started) {
				continue
			}
			if _, dup := byName[svc.Name]; dup && ns == "default" && pod.Namespace != "default" {
				continue
			}
			byName[svc.Name] = svc
		}
	}
	if links {
		consider(pod.Namespace, "")
	}
	if pod.Namespace != "default" || !links {
		if _, ok := byName["kubernetes"]; !ok {
			consider("default", "kubernetes")
		}
	}
	var out []EnvVar
	for _, name := range slices.Sorted(maps.Keys(byName)) {
		svc := byName[name]
		ip := svc.Spec.ClusterIP
		if ip == "" || ip == corev1.ClusterIPNone || len(svc.Spec.Ports) == 0 {
			continue
		}
		prefix := strings.ToUpper(strings.ReplaceAll(svc.Name, "-", "_"))
		first := strconv.Itoa(int(svc.Spec.Ports[0].Port))
		out = append(out, EnvVar{prefix + "_SERVICE_HOST", ip}, EnvVar{prefix + "_SERVICE_PORT", first})
		for _, sp := range svc.Spec.Ports {
			if sp.Name != "" {
				out = append(out, EnvVar{prefix + "_SERVICE_PORT_" + strings.ToUpper(strings.ReplaceAll(sp.Name, "-", "_")), strconv.Itoa(int(sp.Port))})
			}
		}
		for i, sp := range svc.Spec.Ports {
			proto := cmp.Or(string(sp.Protocol), "TCP")
			port := strconv.Itoa(int(sp.Port))
			url := strings.ToLower(proto) + "://" + net.JoinHostPort(ip, port)
			if i == 0 {
				out = append(out, EnvVar{prefix + "_PORT", url})
			}
			pp := fmt.Sprintf("%s_PORT_%d_%s", prefix, sp.Port, strings.ToUpper(proto))
			out = append(out, EnvVar{pp, url}, EnvVar{pp + "_PROTO", strings.ToLower(proto)}, EnvVar{pp + "_PORT", port}, EnvVar{pp + "_ADDR", ip})
		}
	}
	return out
}

// startedAt is when the container's current instance started (zero if
// unknown).
func startedAt(pod *corev1.Pod, name string) time.Time {
	all := append(append([]corev1.ContainerStatus(nil), pod.Status.ContainerStatuses...), pod.Status.InitContainerStatuses...)
	all = append(all, pod.Status.EphemeralContainerStatuses...)
	for _, cs := range all {
		if cs.Name != name {
			continue
		}
		switch {
		case cs.State.Running != nil:
			return cs.State.Running.StartedAt.Time
		case cs.State.Terminated != nil:
			return cs.State.Terminated.StartedAt.Time
		}
	}
	return time.Time{}
}
