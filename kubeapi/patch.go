package kubeapi

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"strconv"
	"strings"

	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/strategicpatch"
)

// applyPatch applies a patch body of the given type to the JSON of the
// current object. dataStruct is the Go type strategic merge patch reads
// its merge keys from.
func applyPatch(typ types.PatchType, current, patch []byte, dataStruct any) ([]byte, error) {
	switch typ {
	case types.JSONPatchType:
		return jsonPatch(current, patch)
	case types.MergePatchType:
		return mergePatch(current, patch)
	case types.StrategicMergePatchType:
		out, err := strategicpatch.StrategicMergePatch(current, patch, dataStruct)
		if err != nil {
			return nil, badRequest("%v", err)
		}
		return out, nil
	}
	return nil, fmt.Errorf("unsupported patch type %q", typ)
}

// mergePatch is RFC 7386 JSON merge patch: objects merge recursively, null
// deletes, anything else replaces.
func mergePatch(current, patch []byte) ([]byte, error) {
	var doc, p any
	if err := decodeJSON(current, &doc); err != nil {
		return nil, err
	}
	if err := decodeJSON(patch, &p); err != nil {
		return nil, badRequest("error decoding merge patch: %v", err)
	}
	return json.Marshal(mergeValue(doc, p))
}

func mergeValue(doc, patch any) any {
	pm, ok := patch.(map[string]any)
	if !ok {
		return patch
	}
	dm, ok := doc.(map[string]any)
	if !ok {
		dm = map[string]any{}
	}
	for k, v := range pm {
		if v == nil {
			delete(dm, k)
		} else {
			dm[k] = mergeValue(dm[k], v)
		}
	}
	return dm
}

func decodeJSON(b []byte, v any) error {
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	return d.Decode(v)
}

type jsonPatchOp struct {
	Op    string           `json:"op"`
	Path  string           `json:"path"`
	From  string           `json:"from"`
	Value *json.RawMessage `json:"value"`
}

// jsonPatch is RFC 6902 JSON patch (add, remove, replace, move, copy,
// test); a failed operation fails the whole patch.
func jsonPatch(current, patch []byte) ([]byte, error) {
	var ops []jsonPatchOp
	if err := json.Unmarshal(patch, &ops); err != nil {
		return nil, badRequest("error decoding json patch: %v", err)
	}
	var doc any
	if err := decodeJSON(current, &doc); err != nil {
		return nil, err
	}
	for i, op := range ops {
		var err error
		if doc, err = applyOp(doc, op); err != nil {
			return nil, unprocessable(fmt.Sprintf("the server rejected our request due to an error in our request: json patch operation %d (%s %s): %v", i, op.Op, op.Path, err))
		}
	}
	return json.Marshal(doc)
}

func applyOp(doc any, op jsonPatchOp) (any, error) {
	value := func() (any, error) {
		if op.Value == nil {
			return nil, fmt.Errorf("missing value")
		}
		var v any
		return v, decodeJSON(*op.Value, &v)
	}
	switch op.Op {
	case "add", "replace":
		v, err := value()
		if err != nil {
			return nil, err
		}
		return setPath(doc, pointer(op.Path), v, op.Op == "add")
	case "remove":
		return removePath(doc, pointer(op.Path))
	case "test":
		v, err := value()
		if err != nil {
			return nil, err
		}
		got, err := getPath(doc, pointer(op.Path))
		if err != nil {
			return nil, err
		}
		if !reflect.DeepEqual(normalize(got), normalize(v)) {
			return nil, fmt.Errorf("test failed")
		}
		return doc, nil
	case "move", "copy":
		v, err := getPath(doc, pointer(op.From))
		if err != nil {
			return nil, err
		}
		if op.Op == "move" {
			if doc, err = removePath(doc, pointer(op.From)); err != nil {
				return nil, err
			}
		} else {
			v = deepCopyJSON(v)
		}
		return setPath(doc, pointer(op.Path), v, true)
	}
	return nil, fmt.Errorf("unknown operation %q", op.Op)
}

// normalize makes numbers comparable whatever their spelling.
func normalize(v any) any {
	b, _ := json.Marshal(v)
	var out any
	_ = json.Unmarshal(b, &out) // b was just marshalled
	return out
}

func deepCopyJSON(v any) any {
	b, _ := json.Marshal(v)
	var out any
	_ = decodeJSON(b, &out) // b was just marshalled
	return out
}

// pointer splits an RFC 6901 JSON pointer into unescaped tokens.
func pointer(p string) []string {
	if p == "" {
		return nil
	}
	parts := strings.Split(strings.TrimPrefix(p, "/"), "/")
	for i, s := range parts {
		parts[i] = strings.ReplaceAll(strings.ReplaceAll(s, "~1", "/"), "~0", "~")
	}
	return parts
}

func getPath(doc any, path []string) (any, error) {
	cur := doc
	for _, tok := range path {
		switch c := cur.(type) {
		case map[string]any:
			v, ok := c[tok]
			if !ok {
				return nil, fmt.Errorf("path not found: %s", tok)
			}
			cur = v
		case []any:
			i, err := strconv.Atoi(tok)
			if err != nil || i < 0 || i >= len(c) {
				return nil, fmt.Errorf("index out of range: %s", tok)
			}
			cur = c[i]
		default:
			return nil, fmt.Errorf("path not found: %s", tok)
		}
	}
	return cur, nil
}

// setPath adds (insert into arrays) or replaces (must exist) a value.
func setPath(doc any, path []string, v any, add bool) (any, error) {
	if len(path) == 0 {
		return v, nil
	}
	parent, err := getPath(doc, path[:len(path)-1])
	if err != nil {
		return nil, err
	}
	last := path[len(path)-1]
	switch c := parent.(type) {
	case map[string]any:
		if _, ok := c[last]; !ok && !add {
			return nil, fmt.Errorf("path not found: %s", last)
		}
		c[last] = v
		return doc, nil
	case []any:
		var i int
		if last == "-" && add {
			i = len(c)
		} else if i, err = strconv.Atoi(last); err != nil || i < 0 || i > len(c) || (!add && i == len(c)) {
			return nil, fmt.Errorf("index out of range: %s", last)
		}
		var out []any
		if add {
			out = append(append(append([]any{}, c[:i]...), v), c[i:]...)
		} else {
			out = append([]any{}, c...)
			out[i] = v
		}
		return setPath(doc, path[:len(path)-1], out, false)
	}
	return nil, fmt.Errorf("path not found: %s", last)
}

func removePath(doc any, path []string) (any, error) {
	if len(path) == 0 {
		return nil, fmt.Errorf("cannot remove the whole document")
	}
	parent, err := getPath(doc, path[:len(path)-1])
	if err != nil {
		return nil, err
	}
	last := path[len(path)-1]
	switch c := parent.(type) {
	case map[string]any:
		if _, ok := c[last]; !ok {
			return nil, fmt.Errorf("path not found: %s", last)
		}
		delete(c, last)
		return doc, nil
	case []any:
		i, err := strconv.Atoi(last)
		if err != nil || i < 0 || i >= len(c) {
			return nil, fmt.Errorf("index out of range: %s", last)
		}
		out := append(append([]any{}, c[:i]...), c[i+1:]...)
		return setPath(doc, path[:len(path)-1], out, false)
	}
	return nil, fmt.Errorf("path not found: %s", last)
}
