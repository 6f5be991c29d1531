package scenarios

import (
	"bytes"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/kubesim/kubesim/sim/action"
)

// LibraryFiles returns the files a library scenario reads besides its
// own YAML (see Scenario.Files).
func LibraryFiles(name string) ([]string, error) {
	s, err := LoadLibrary(name)
	if err != nil {
		return nil, err
	}
	return s.Files(), nil
}

// Files lists the files the scenario reads besides its own YAML, relative
// to it: the eksctl config, workload `file:` entries, then what the
// timeline's actions name (apply files, `kubectl apply -f` arguments), in
// time order, each once.
func (s *Scenario) Files() []string {
	var out []string
	seen := map[string]bool{}
	add := func(f string) {
		if f != "" && !seen[f] {
			seen[f] = true
			out = append(out, f)
		}
	}
	add(s.Cluster.Eksctl)
	var doc yaml.Node
	if yaml.Unmarshal(s.raw, &doc) == nil && len(doc.Content) > 0 {
		if wl := MapValue(doc.Content[0], "workloads"); wl != nil {
			for _, it := range wl.Content {
				if f := MapValue(it, "file"); f != nil && f.Kind == yaml.ScalarNode {
					add(f.Value)
				}
			}
		}
	}
	for _, a := range s.Timeline {
		for _, f := range action.Files(a.Do) {
			add(f)
		}
	}
	return out
}

// ExportLibrary writes a library scenario and the files it reads into
// dir (created if needed) as NAME.yaml and its relative paths, so that
// `kubesim run DIR/NAME.yaml` runs it and the files can be edited. It
// refuses to overwrite existing files and returns the paths written.
func ExportLibrary(name, dir string) ([]string, error) {
	src, err := LibrarySource(name)
	if err != nil {
		return nil, err
	}
	files, err := LibraryFiles(name)
	if err != nil {
		return nil, err
	}
	type out struct {
		path string
		data []byte
	}
	writes := []out{{filepath.Join(dir, name+".yaml"), src}}
	for _, f := range files {
		p := path.Join("library", f)
		if !fs.ValidPath(p) || !strings.HasPrefix(p, "library/") {
			return nil, fmt.Errorf("library scenario %s names a file outside its directory: %q", name, f)
		}
		data, err := libraryFS.ReadFile(p)
		if err != nil {
			return nil, fmt.Errorf("library scenario %s: %w", name, err)
		}
		writes = append(writes, out{filepath.Join(dir, filepath.FromSlash(f)), data})
	}
	for _, w := range writes {
		if _, err := os.Stat(w.path); err == nil {
			return nil, fmt.Errorf("%s already exists: export into an empty or new directory", w.path)
		}
	}
	var written []string
	for _, w := range writes {
		if err := os.MkdirAll(filepath.Dir(w.path), 0o755); err != nil {
			return written, err
		}
		if err := os.WriteFile(w.path, w.data, 0o644); err != nil {
			return written, err
		}
		written = append(written, w.path)
	}
	return written, nil
}

// InlineLibrary returns a library scenario's YAML with the manifest files
// it names put inline (`file:` workloads become `manifest:` entries, one
// per document; an `apply: {file:}` becomes one `apply: {manifest:}`
// timeline entry per document), so the text runs on its own:
// `kubesim scenarios show NAME > my.yaml && kubesim run my.yaml`. Files
// named by kubectl lines stay references (ExportLibrary writes them).
func InlineLibrary(name string) ([]byte, error) {
	src, err := LibrarySource(name)
	if err != nil {
		return nil, err
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(src, &doc); err != nil {
		return nil, err
	}
	if len(doc.Content) != 1 || doc.Content[0].Kind != yaml.MappingNode {
		return src, nil
	}
	root := doc.Content[0]
	read := func(rel string) ([]*yaml.Node, error) {
		data, err := libraryFS.ReadFile(path.Join("library", rel))
		if err != nil {
			return nil, fmt.Errorf("library scenario %s: %w", name, err)
		}
		all, err := DecodeDocuments(data)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", rel, err)
		}
		return slices.DeleteFunc(all, func(d *yaml.Node) bool { return d == nil || d.Kind != yaml.MappingNode }), nil
	}
	// A workload naming a file becomes one manifest entry per document; a
	// timeline apply naming a file becomes one apply per document.
	err = inlineFiles(MapValue(root, "workloads"), func(it *yaml.Node) *yaml.Node { return MapValue(it, "file") }, read,
		func(it *yaml.Node, i int, doc *yaml.Node, file string) *yaml.Node {
			m := mapping("manifest", doc)
			if i == 0 {
				m.HeadComment = strings.TrimSpace(it.HeadComment + "\nfrom " + file)
			}
			return m
		})
	if err != nil {
		return nil, err
	}
	err = inlineFiles(MapValue(root, "timeline"), func(it *yaml.Node) *yaml.Node { return MapValue(MapValue(it, "apply"), "file") }, read,
		func(it *yaml.Node, _ int, doc *yaml.Node, _ string) *yaml.Node {
			c := *it
			c.Content = nil
			for i := 0; i+1 < len(it.Content); i += 2 {
				k, v := it.Content[i], it.Content[i+1]
				if k.Value == "apply" {
					v = mapping("manifest", doc)
				}
				c.Content = append(c.Content, k, v)
			}
			return &c
		})
	if err != nil {
		return nil, err
	}
	var b bytes.Buffer
	fmt.Fprintf(&b, "# The library scenario %s with its manifests inline: it runs on its own.\n", name)
	fmt.Fprintf(&b, "# `kubesim scenarios export %s DIR` writes it with the manifests as files.\n", name)
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	if err := enc.Encode(&doc); err != nil {
		return nil, err
	}
	if err := enc.Close(); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// inlineFiles replaces each item of the list seq that names a manifest
// file (file finds the name in an item; nil: it names none) with one item
// per document of that file, made by inline (i counts the documents).
func inlineFiles(seq *yaml.Node, file func(it *yaml.Node) *yaml.Node, read func(string) ([]*yaml.Node, error),
	inline func(it *yaml.Node, i int, doc *yaml.Node, file string) *yaml.Node) error {
	if seq == nil || seq.Kind != yaml.SequenceNode {
		return nil
	}
	var items []*yaml.Node
	for _, it := range seq.Content {
		f := file(it)
		if f == nil || f.Kind != yaml.ScalarNode {
			items = append(items, it)
			continue
		}
		docs, err := read(f.Value)
		if err != nil {
			return err
		}
		for i, d := range docs {
			items = append(items, inline(it, i, d, f.Value))
		}
	}
	seq.Content = items
	return nil
}

func mapping(key string, v *yaml.Node) *yaml.Node {
	return &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map", Content: []*yaml.Node{{Kind: yaml.ScalarNode, Tag: "!!str", Value: key}, v}}
}
