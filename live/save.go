package live

import (
	"fmt"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/kubesim/kubesim/scenarios"
	"github.com/kubesim/kubesim/sim/action"
)

// ScenarioYAML is the session as a scenario file: the original file with
// the session's seed, a duration reaching the current virtual time, and
// every recorded command appended to the timeline at the virtual time it
// was injected. Running it reproduces the session's trace hash.
func (s *Session) ScenarioYAML() ([]byte, error) {
	s.mu.Lock()
	recorded := append([]Recorded(nil), s.recorded...)
	now := s.c.Engine.Elapsed()
	seed := s.seed
	s.mu.Unlock()

	var doc yaml.Node
	if err := yaml.Unmarshal(s.scenario.Raw(), &doc); err != nil || len(doc.Content) == 0 || doc.Content[0].Kind != yaml.MappingNode {
		return nil, fmt.Errorf("live: the scenario's source cannot be re-read: %v", err)
	}
	root := doc.Content[0]
	setScalar(root, "seed", strconv.FormatUint(seed, 10), "!!int")
	if st := s.scenario.StartTime; !st.IsZero() {
		setScalar(root, "startTime", st.UTC().Format(time.RFC3339), "!!str")
	}
	dur := s.scenario.Duration
	if now > dur {
		dur = now
	}
	setScalar(root, "duration", dur.String(), "!!str")
	tl := scenarios.MapValue(root, "timeline")
	if tl == nil || tl.Kind != yaml.SequenceNode {
		tl = &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq"}
		setValue(root, "timeline", tl)
	}
	for _, r := range recorded {
		n, err := actionNode(r.At, r.Action)
		if err != nil {
			return nil, err
		}
		tl.Content = append(tl.Content, n)
	}
	return yaml.Marshal(&doc)
}

// Save writes the session as <dir>/<name>.yaml together with the manifest
// files the scenario refers to (so a library scenario's manifests travel
// with it), and returns the scenario's path.
func (s *Session) Save(dir, name string) (string, error) {
	data, err := s.ScenarioYAML()
	if err != nil {
		return "", err
	}
	if name == "" || filepath.Base(name) != name {
		return "", fmt.Errorf("live: %q is not a file name", name)
	}
	for _, rel := range s.scenario.Files() {
		b, err := s.scenario.ReadFile(rel)
		if err != nil {
			return "", err
		}
		dst := filepath.Join(dir, filepath.FromSlash(path.Clean(rel)))
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			return "", err
		}
		if err := os.WriteFile(dst, b, 0o644); err != nil {
			return "", err
		}
	}
	p := filepath.Join(dir, name+".yaml")
	return p, os.WriteFile(p, data, 0o644)
}

// actionNode renders one timeline entry with its action's write-back.
func actionNode(at time.Duration, a scenarios.Action) (*yaml.Node, error) {
	v, err := action.Write(a.Do)
	if err != nil {
		return nil, fmt.Errorf("live: cannot write action at %s: %w", at, err)
	}
	m := map[string]any{"at": at.String(), a.Do.ActionName(): v}
	if a.Name != "" {
		m["name"] = a.Name
	}
	var n yaml.Node
	if err := n.Encode(m); err != nil {
		return nil, err
	}
	return &n, nil
}

func setValue(m *yaml.Node, key string, v *yaml.Node) {
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			m.Content[i+1] = v
			return
		}
	}
	m.Content = append(m.Content, &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: key}, v)
}

func setScalar(m *yaml.Node, key, value, tag string) {
	setValue(m, key, &yaml.Node{Kind: yaml.ScalarNode, Tag: tag, Value: value})
}
