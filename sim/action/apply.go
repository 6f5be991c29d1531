package action

import (
	"fmt"

	"github.com/kubesim/kubesim/sim/kubectl"
	"github.com/kubesim/kubesim/sim/store"
)

// Apply is a `kubectl apply -f`: a manifest file (File set) or one inline
// manifest (File ""); Objects are decoded at load time.
type Apply struct {
	File    string
	Objects []store.Object
}

func (*Apply) ActionName() string { return "apply" }

func init() {
	Register(Entry[*Apply]{
		Example: "{file: manifests/web-v2.yaml}",
		Fields:  []string{"file", "manifest"},
		ParseFields: func(d Decoder, f *Fields) (*Apply, bool) {
			before := d.Errors()
			a := &Apply{}
			switch {
			case f.Has("file") && f.Has("manifest"):
				d.Errorf(f.Keys["manifest"], "use two timeline entries", "apply: give either file or manifest, not both")
			case f.Has("file"):
				var ok bool
				if a.File, ok = d.String(f.Vals["file"], "apply.file"); ok {
					a.Objects = d.ApplyFile(f.Vals["file"], "apply.file")
				}
			case f.Has("manifest"):
				if o, ok := d.ApplyManifest(f.Vals["manifest"]); ok {
					a.Objects = []store.Object{o}
				}
			default:
				d.Errorf(f.Node, "e.g. `apply: {file: manifests/web-v2.yaml}`", "apply: expected `file:` or `manifest:`")
			}
			return a, d.Errors() == before
		},
		Run: func(env *Env, a *Apply) {
			out, err := kubectl.ApplyObjects(env.Kubectl, a.Objects) // it copies what it creates
			env.Note("apply", a.File, out, err)
		},
		Write: func(a *Apply) (any, error) {
			if a.File != "" {
				return map[string]any{"file": a.File}, nil
			}
			if len(a.Objects) != 1 {
				return nil, fmt.Errorf("action: an inline apply holds one manifest, not %d", len(a.Objects))
			}
			m, err := ManifestMap(a.Objects[0])
			if err != nil {
				return nil, err
			}
			return map[string]any{"manifest": m}, nil
		},
		Files: func(a *Apply) []string {
			if a.File == "" {
				return nil
			}
			return []string{a.File}
		},
	})
}

// ManifestMap is an object as a person would write it: apiVersion and
// kind set, no status, no server-set metadata.
func ManifestMap(o store.Object) (map[string]any, error) {
	m, err := ObjectMap(o)
	if err != nil {
		return nil, err
	}
	delete(m, "status")
	if md, ok := m["metadata"].(map[string]any); ok {
		delete(md, "creationTimestamp")
	}
	return m, nil
}
