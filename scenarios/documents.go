package scenarios

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"

	"go.yaml.in/yaml/v3"
)

// DecodeDocuments decodes every YAML document of data, in order: a
// document's root node, nil for an empty document.
func DecodeDocuments(data []byte) ([]*yaml.Node, error) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var docs []*yaml.Node
	for {
		var doc yaml.Node
		err := dec.Decode(&doc)
		if errors.Is(err, io.EOF) {
			return docs, nil
		}
		if err != nil {
			return nil, err
		}
		if len(doc.Content) > 0 {
			docs = append(docs, doc.Content[0])
		} else {
			docs = append(docs, nil)
		}
	}
}

// Documents decodes every YAML document of data (see DecodeDocuments),
// recording a syntax error at its line. The YAML library is the one call
// that is guarded against panics: whatever the input, a loader reports an
// error instead of crashing.
func (p *NodeReader) Documents(data []byte) (docs []*yaml.Node) {
	defer func() {
		if r := recover(); r != nil {
			docs = nil
			p.errAt(p.file, Pos{1, 1}, "", fmt.Sprintf("invalid YAML: %v", r))
		}
	}()
	docs, err := DecodeDocuments(data)
	if err != nil {
		line, msg := SplitYAMLLine(strings.TrimPrefix(err.Error(), "yaml: "))
		p.errAt(p.file, Pos{Line: max(line, 1), Column: 1}, "", "invalid YAML: "+msg)
		return nil
	}
	return docs
}

// SplitYAMLLine splits the line number off a YAML library message ("line
// 3: mapping values are not allowed in this context"); line is 0 when msg
// names none.
func SplitYAMLLine(msg string) (line int, rest string) {
	if n, _ := fmt.Sscanf(msg, "line %d:", &line); n == 1 {
		if i := strings.Index(msg, ": "); i >= 0 {
			return line, msg[i+2:]
		}
	}
	return 0, msg
}
