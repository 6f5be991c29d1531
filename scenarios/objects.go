package scenarios

import (
	"fmt"
	"strings"

	"go.yaml.in/yaml/v3"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	sigsjson "sigs.k8s.io/json"

	"github.com/kubesim/kubesim/internal/textdist"
	karpv1 "github.com/kubesim/kubesim/sim/apis/karpenter/v1"
	"github.com/kubesim/kubesim/sim/apiserver"
	"github.com/kubesim/kubesim/sim/store"
)

// builtinNamespaces exist in every cluster before the workloads are created.
var builtinNamespaces = []string{"default", "kube-system", "kube-public", "kube-node-lease"}

// workloads reads the objects created at t=0.
func (p *parser) workloads(n *yaml.Node) []Object {
	items, ok := p.Sequence(n, "workloads")
	if !ok {
		return nil
	}
	var objs []Object
	for i, it := range items {
		objs = append(objs, p.manifestRef(it, fmt.Sprintf("workloads[%d]", i))...)
	}
	p.checkDuplicates(objs, "workloads")
	p.checkNamespaces(objs)
	return objs
}

// manifestRef reads a {file: ...} or {manifest: ...} entry.
func (p *parser) manifestRef(n *yaml.Node, path string) []Object {
	if r := ResolveNode(n); r != nil && r.Kind == yaml.MappingNode && hasKey(r, "kind") && !hasKey(r, "manifest") {
		p.Errorf(n, "indent the object under `manifest:` (or put it in a file and use `file:`)", "%s: a Kubernetes object here must be wrapped as `manifest: {...}`", path)
		return nil
	}
	f, ok := p.Mapping(n, path, "file", "manifest")
	if !ok {
		return nil
	}
	switch {
	case f.Has("file") && f.Has("manifest"):
		p.Errorf(f.Keys["manifest"], "use two entries", "%s: give either file or manifest, not both", path)
	case f.Has("file"):
		return p.manifestFile(f.Vals["file"], path+".file")
	case f.Has("manifest"):
		if o, ok := p.object(f.Vals["manifest"]); ok {
			return []Object{o}
		}
	default:
		p.errAt(p.file, f.Pos(), "e.g. `- file: manifests/web.yaml` or `- manifest: {apiVersion: v1, kind: Pod, ...}`", path+": expected `file:` or `manifest:`")
	}
	return nil
}

func hasKey(n *yaml.Node, key string) bool {
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return true
		}
	}
	return false
}

// manifestFile reads every object of the (multi-document) manifest file
// named by the string node n.
func (p *parser) manifestFile(n *yaml.Node, path string) []Object {
	rel, ok := p.Str(n, path)
	if !ok {
		return nil
	}
	return p.manifestPath(n, rel, path)
}

// manifestPath reads every object of the manifest file rel; problems with
// the path itself are reported at node n.
func (p *parser) manifestPath(n *yaml.Node, rel, path string) []Object {
	data, ok := p.readPath(n, rel, path)
	if !ok {
		return nil
	}
	saved := p.file
	p.file = p.display(rel)
	defer func() { p.file = saved }()
	var objs []Object
	docs := p.Documents(data)
	for _, d := range docs {
		if IsNull(d) {
			continue // empty document, e.g. after a trailing ---
		}
		objs = append(objs, p.objectOrList(d)...)
	}
	if len(objs) == 0 && len(docs) == 0 && len(p.errs) == 0 {
		p.errAt(p.file, Pos{1, 1}, "", "manifest file holds no objects")
	}
	for i := range objs {
		objs[i].refFile, objs[i].refPos = saved, NodePos(n)
	}
	return objs
}

// objectOrList reads one object, or the items of a `kind: List`.
func (p *parser) objectOrList(n *yaml.Node) []Object {
	r := ResolveNode(n)
	if r == nil || r.Kind != yaml.MappingNode || !isListKind(r) {
		if o, ok := p.object(n); ok {
			return []Object{o}
		}
		return nil
	}
	f, _ := p.looseMapping(r, "List")
	items, _ := p.Sequence(f.Vals["items"], "items")
	var out []Object
	for _, it := range items {
		if o, ok := p.object(it); ok {
			out = append(out, o)
		}
	}
	return out
}

func isListKind(n *yaml.Node) bool {
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == "kind" && ScalarValue(n.Content[i+1]) == "List" {
			return true
		}
	}
	return false
}

// object decodes one manifest strictly into its typed object and checks it
// as the API server would on create.
func (p *parser) object(n *yaml.Node) (Object, bool) {
	f, ok := p.looseMapping(n, "manifest")
	if !ok {
		return Object{}, false
	}
	info, ok := p.objectKind(f)
	if !ok {
		return Object{}, false
	}
	w, ok := p.toJSON(f.Node)
	if !ok {
		return Object{}, false
	}
	obj := info.New()
	label := objectLabel(info.Kind, f)
	strictErrs, err := sigsjson.UnmarshalStrict(w.buf.Bytes(), obj)
	if err != nil {
		p.decodeError(err, w, info, label, f.Pos())
		return Object{}, false
	}
	for _, se := range strictErrs {
		p.strictError(se, w, info, label, f.Pos())
	}
	if len(strictErrs) > 0 {
		return Object{}, false
	}
	if info.Namespaced && obj.GetNamespace() == "" {
		obj.SetNamespace(metav1.NamespaceDefault)
	}
	check := obj.DeepCopyObject().(store.Object)
	if check.GetName() == "" && check.GetGenerateName() != "" {
		check.SetName(check.GetGenerateName() + "x7k2q") // the API server generates the suffix
	}
	apiserver.Default(check)
	if err := apiserver.Validate(check); err != nil {
		p.Errorf(f.Node, "", "%s", err.Error())
		return Object{}, false
	}
	if np, ok := check.(*karpv1.NodePool); ok {
		before := len(p.errs)
		p.checkNodePool(np, f.Node)
		if len(p.errs) > before {
			return Object{}, false
		}
	}
	return Object{Obj: obj, Pos: f.Pos(), Source: p.file}, true
}

// objectKind checks kind and apiVersion against the kinds the simulator
// serves.
func (p *parser) objectKind(f *Fields) (*store.KindInfo, bool) {
	kinds := store.Kinds()
	kn, ok := f.Vals["kind"]
	if !ok {
		p.errAt(p.file, f.Pos(), "kinds: "+strings.Join(kinds, ", "), "manifest: missing required field \"kind\"")
		return nil, false
	}
	kind, ok := p.Str(kn, "kind")
	if !ok {
		return nil, false
	}
	info, ok := store.LookupKind(kind)
	if !ok {
		p.Errorf(kn, textdist.DidYouMean(kind, kinds, "kinds"), "unknown kind %q", kind)
		return nil, false
	}
	if kind == "Node" {
		p.Errorf(kn, "describe machines under cluster.nodeGroups: nodes register themselves", "Node objects cannot be created from manifests")
		return nil, false
	}
	want := info.GroupVersion.String()
	av, ok := f.Vals["apiVersion"]
	if !ok {
		p.errAt(p.file, f.Pos(), "add `apiVersion: "+want+"`", "manifest: missing required field \"apiVersion\"")
		return nil, false
	}
	got, ok := p.Str(av, "apiVersion")
	if ok && got != want {
		p.Errorf(av, "use `apiVersion: "+want+"`", "apiVersion %q does not serve kind %s", got, kind)
		ok = false
	}
	return info, ok
}

// objectLabel names an object in messages: `Deployment "web"`.
func objectLabel(kind string, f *Fields) string {
	if md := ResolveNode(f.Vals["metadata"]); md != nil && md.Kind == yaml.MappingNode {
		for i := 0; i+1 < len(md.Content); i += 2 {
			if md.Content[i].Value == "name" {
				if name := ScalarValue(md.Content[i+1]); name != "" {
					return fmt.Sprintf("%s %q", kind, name)
				}
			}
		}
	}
	return kind
}

// checkDuplicates reports objects with the same kind, namespace and name.
func (p *parser) checkDuplicates(objs []Object, where string) {
	first := map[string]Object{}
	for _, o := range objs {
		name := o.Obj.GetName()
		if name == "" {
			continue // generateName: the API server picks a fresh name
		}
		kind := store.MustKind(o.Obj)
		key := kind + "/" + store.Key(o.Obj.GetNamespace(), name)
		if prev, dup := first[key]; dup && prev.Source == o.Source && prev.Pos == o.Pos && o.refFile != "" {
			p.errAt(o.refFile, o.refPos, "list each manifest file once",
				fmt.Sprintf("duplicate %s %q in %s: %s is referenced twice", kind, store.Key(o.Obj.GetNamespace(), name), where, o.Source))
			continue
		} else if dup {
			p.errAt(o.Source, o.Pos, "rename one of them, or use an `apply:` timeline action to change it later",
				fmt.Sprintf("duplicate %s %q in %s (first at %s:%s)", kind, store.Key(o.Obj.GetNamespace(), name), where, prev.Source, prev.Pos))
			continue
		}
		first[key] = o
	}
}

// checkNamespaces reports workloads in a namespace that neither exists in
// a new cluster nor is created by an earlier workload.
func (p *parser) checkNamespaces(objs []Object) {
	known := map[string]bool{}
	for _, ns := range builtinNamespaces {
		known[ns] = true
	}
	for _, o := range objs {
		if store.MustKind(o.Obj) == "Namespace" {
			known[o.Obj.GetName()] = true
			continue
		}
		if ns := o.Obj.GetNamespace(); ns != "" && !known[ns] {
			p.errAt(o.Source, o.Pos, fmt.Sprintf("add a Namespace before it: {apiVersion: v1, kind: Namespace, metadata: {name: %s}}", ns),
				fmt.Sprintf("%s %q: namespace %q not found", store.MustKind(o.Obj), o.Obj.GetName(), ns))
		}
	}
}

// ParseManifest reads Kubernetes objects from a manifest text (one or more
// YAML documents, or a List) with the same strict decoding and API-server
// validation as scenario files; errors are positioned in "manifest".
// Frontends use it for manifests pasted by a person.
func ParseManifest(data []byte) ([]Object, error) {
	const name = "manifest"
	p := newParser(name, nil, &source{dir: ".", displayDir: "."})
	var objs []Object
	docs := p.Documents(data)
	for _, d := range docs {
		if IsNull(d) {
			continue
		}
		objs = append(objs, p.objectOrList(d)...)
	}
	if len(objs) == 0 && len(p.errs) == 0 {
		p.errAt(name, Pos{1, 1}, "paste a manifest with apiVersion, kind and metadata.name", "manifest holds no objects")
	}
	if err := p.errs.errOrNil(); err != nil {
		return nil, err
	}
	return objs, nil
}
