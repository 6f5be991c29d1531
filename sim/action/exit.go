package action

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Exit ends a running container's process with Code: what a shell
// attached by `kubectl run -i` or `kubectl debug -i` does when its input
// ends or it runs `exit` (a live session records it so).
type Exit struct {
	Namespace, Pod, Container string
	Code                      int32
}

func (*Exit) ActionName() string { return "exit" }

func init() {
	Register(Entry[*Exit]{
		Example: "{pod: debug, container: debugger, code: 0}",
		Fields:  []string{"namespace", "pod", "container", "code"},
		ParseFields: func(d Decoder, f *Fields) (*Exit, bool) {
			before := d.Errors()
			a := &Exit{Namespace: metav1.NamespaceDefault}
			if v, ok := f.Vals["namespace"]; ok {
				a.Namespace, _ = d.String(v, "exit.namespace")
			}
			a.Pod, _ = d.RequiredString(f, "pod", "exit")
			a.Container, _ = d.RequiredString(f, "container", "exit")
			if v, ok := f.Vals["code"]; ok {
				c, _ := d.Integer(v, "exit.code", 0, 255)
				a.Code = int32(c)
			}
			return a, d.Errors() == before
		},
		Run: func(env *Env, a *Exit) {
			env.Note("exit", "pod/"+a.Namespace+"/"+a.Pod, "", env.Cluster.ContainerExit(a.Namespace, a.Pod, a.Container, a.Code))
		},
		Write: func(a *Exit) (any, error) {
			return map[string]any{"namespace": a.Namespace, "pod": a.Pod, "container": a.Container, "code": a.Code}, nil
		},
	})
}
