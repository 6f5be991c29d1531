package action

import (
	"cmp"
	"fmt"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"

	"github.com/kubesim/kubesim/internal/textdist"
	"github.com/kubesim/kubesim/sim/apiserver"
	"github.com/kubesim/kubesim/sim/store"
)

// Delete deletes objects of Kind by Name or by label Selector.
type Delete struct {
	Kind, Namespace, Name, Selector string
}

func (*Delete) ActionName() string { return "delete" }

func init() {
	Register(Entry[*Delete]{
		Example:     "{kind: Pod, selector: app=web}",
		Fields:      []string{"kind", "namespace", "name", "selector"},
		ParseFields: parseDelete,
		Run:         runDelete,
		Write: func(a *Delete) (any, error) {
			m := map[string]any{"kind": a.Kind}
			if a.Namespace != "" {
				m["namespace"] = a.Namespace
			}
			if a.Selector != "" {
				m["selector"] = a.Selector
			} else {
				m["name"] = a.Name
			}
			return m, nil
		},
	})
}

// parseDelete reads {kind, namespace, name | selector}.
func parseDelete(d Decoder, f *Fields) (*Delete, bool) {
	var ok bool
	before := d.Errors()
	a := &Delete{}
	var info *store.KindInfo
	if a.Kind, ok = d.RequiredString(f, "kind", "delete"); ok {
		if info, ok = store.LookupKind(a.Kind); !ok {
			d.Errorf(f.Vals["kind"], textdist.DidYouMean(a.Kind, store.Kinds(), "kinds"), "delete: unknown kind %q", a.Kind)
		}
	}
	if v, ok := f.Vals["namespace"]; ok {
		a.Namespace, _ = d.String(v, "delete.namespace")
		if info != nil && !info.Namespaced {
			d.Errorf(v, "", "delete: %s is not namespaced", info.Kind)
		}
	} else if info != nil && info.Namespaced {
		a.Namespace = metav1.NamespaceDefault
	}
	switch {
	case f.Has("name") && f.Has("selector"):
		d.Errorf(f.Keys["selector"], "", "delete: give either name or selector, not both")
	case f.Has("name"):
		a.Name, _ = d.String(f.Vals["name"], "delete.name")
	case f.Has("selector"):
		a.Selector, _ = d.String(f.Vals["selector"], "delete.selector")
		if _, err := labels.Parse(a.Selector); err != nil {
			d.Errorf(f.Vals["selector"], "e.g. app=web or tier in (web,api)", "delete.selector: %v", err)
		}
	default:
		d.Errorf(f.Node, "e.g. `delete: {kind: Pod, name: web-1}` or `{kind: Pod, selector: app=web}`", "delete: expected `name:` or `selector:`")
	}
	return a, d.Errors() == before
}

func runDelete(env *Env, d *Delete) {
	kc := env.Kubectl.Client
	ns := cmp.Or(d.Namespace, metav1.NamespaceDefault)
	info, ok := store.LookupKind(d.Kind)
	if !ok {
		env.Note("delete", d.Kind, "", fmt.Errorf("unknown kind %q", d.Kind))
		return
	}
	if !info.Namespaced {
		ns = ""
	}
	if d.Name != "" {
		env.Note("delete", strings.ToLower(d.Kind)+"/"+d.Name, "", kc.Delete(d.Kind, ns, d.Name, apiserver.DeleteOptions{}))
		return
	}
	sel, err := labels.Parse(d.Selector)
	if err != nil {
		env.Note("delete", d.Selector, "", err)
		return
	}
	objs := env.Cluster.Store.Select(d.Kind, ns, sel)
	var names []string
	for _, o := range objs {
		if err := kc.Delete(d.Kind, o.GetNamespace(), o.GetName(), apiserver.DeleteOptions{}); err == nil {
			names = append(names, o.GetName())
		}
	}
	env.Note("delete", strings.ToLower(d.Kind)+" -l "+d.Selector, fmt.Sprintf("%d deleted: %s", len(names), strings.Join(names, ", ")), nil)
}
