package plan

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/kubesim/kubesim/scenarios"
)

// PartialName is the file a shard's result is written to.
func PartialName(shard, shards int) string {
	return fmt.Sprintf("partial-%d-of-%d.json", shard, shards)
}

// WritePartial writes a shard's result into dir.
func WritePartial(dir string, p *Partial) (string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	data, err := json.MarshalIndent(p, "", " ")
	if err != nil {
		return "", err
	}
	path := filepath.Join(dir, PartialName(p.Header.Shard, p.Header.Shards))
	return path, os.WriteFile(path, append(data, '\n'), 0o644)
}

// ReadPartials reads every partial-*.json in the directories, in name
// order, and checks they belong to one sweep: a file from another plan is
// reported at its digest, as file:line:column.
func ReadPartials(dirs []string) ([]*Partial, error) {
	var files []string
	for _, d := range dirs {
		m, err := filepath.Glob(filepath.Join(d, "partial-*-of-*.json"))
		if err != nil {
			return nil, err
		}
		if len(m) == 0 {
			return nil, fmt.Errorf("%s: no partial results (partial-I-of-N.json) in this directory", d)
		}
		files = append(files, m...)
	}
	slices.Sort(files)
	var parts []*Partial
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			return nil, err
		}
		var p Partial
		dec := json.NewDecoder(bytes.NewReader(data))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&p); err != nil {
			return nil, positioned(f, data, 0, "not a kubesim plan partial result: "+err.Error(), "")
		}
		if len(parts) > 0 {
			first := parts[0].Header
			if err := sameSweep(first, p.Header); err != nil {
				at := bytes.Index(data, []byte(`"digest"`))
				return nil, positioned(f, data, at, strings.TrimPrefix(err.Error(), "plan: "),
					fmt.Sprintf("merge only the shards of one `kubesim plan` run (first file: %s)", files[0]))
			}
		}
		parts = append(parts, &p)
	}
	return parts, nil
}

// positioned is an error at a byte offset of a file.
func positioned(file string, data []byte, off int, msg, hint string) error {
	line, col := 1, 1
	if off > 0 {
		line = 1 + bytes.Count(data[:off], []byte("\n"))
		col = off - bytes.LastIndexByte(data[:off], '\n')
	}
	return scenarios.ErrorList{&scenarios.Error{File: file, Line: line, Column: col, Msg: msg, Hint: hint}}
}

// WriteScenarios writes, into dir, the scenario file of every run that
// failed, so the report's reproduce commands run as printed.
func (pl *Plan) WriteScenarios(dir string, p *Partial) error {
	written := map[string]bool{}
	for _, r := range p.Results {
		if (r.Passed && r.Error == "") || written[r.Scenario] {
			continue
		}
		written[r.Scenario] = true
		ci := slices.IndexFunc(pl.Candidates, func(c Candidate) bool { return c.Name == r.Candidate })
		c := pl.Candidates[ci]
		for _, v := range pl.variants(c) {
			v = v.forSeed(c, r.Seed)
			if c.file(v) != r.Scenario {
				continue
			}
			data, _, err := pl.scenarioYAML(c, v)
			if err != nil {
				return err
			}
			if err := os.MkdirAll(dir, 0o755); err != nil {
				return err
			}
			if err := os.WriteFile(filepath.Join(dir, r.Scenario), data, 0o644); err != nil {
				return err
			}
		}
	}
	return nil
}
